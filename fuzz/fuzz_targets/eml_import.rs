//! `edit::with_eml` adding an .eml to a lesson never panics; the file it writes parses and
//! sends exactly the message's text.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_eml_import(data));
