//! A ServerSession fed chunked input never panics, and sends only replies that round trip
//! and keep every line within 512 octets.
//! The properties live in ../checks.rs, shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_server_session(data));
