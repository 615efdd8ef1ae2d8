//! POP3 server and client sessions never panic; responses are well formed; a client talking
//! to the server retrieves every message exactly (dot-stuffing round trips).
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_pop3(data));
