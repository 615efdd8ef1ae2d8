//! The TOML reader and the scenario reader never panic; TOML strings, durations, permalinks
//! and [[fault]] edits round trip.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_scenario_parse(data));
