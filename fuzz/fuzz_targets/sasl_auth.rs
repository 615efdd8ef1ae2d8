//! SASL responses, base64, PLAIN messages and mechanism names round trip; a server offering
//! AUTH PLAIN and LOGIN never panics and authenticates only the right user and password.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_sasl_auth(data));
