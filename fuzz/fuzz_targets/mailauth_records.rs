//! SPF records and macro-strings, domain-specs, DMARC records and DKIM c= values never panic
//! and round trip through their printed form; macros expand.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_mailauth_records(data));
