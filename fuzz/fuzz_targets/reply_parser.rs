//! `reply` never panics; what parses round trips.
//! The properties live in ../checks.rs, shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_reply_parser(data));
