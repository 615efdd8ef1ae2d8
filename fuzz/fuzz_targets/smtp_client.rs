//! A ClientSession fed server bytes never panics, sends only CRLF-terminated data, and
//! never counts a recipient as delivered that the server did not accept.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_smtp_client(data));
