//! `EhloReply::from_reply` after the reply parser never panics; what it reads round trips
//! through `to_reply`, and each capability through its `ehlo-line`.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_ehlo_reply(data));
