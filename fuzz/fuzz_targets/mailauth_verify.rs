//! SPF, DKIM (tag lists, signatures, keys) and DMARC of an MX, over a fuzzed zone and message,
//! never panic; a fresh Ed25519 signature of any message verifies.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_mailauth_verify(data));
