//! RFC 5322 messages, fields, folding and dates, Received:/Return-Path:, and RFC 3464 DSNs
//! (with their MIME) never panic; each reader round trips through its writer.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_message_fields(data));
