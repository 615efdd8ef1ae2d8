//! A scenario that parses is run: the simulated world never panics, runs deterministically,
//! keeps time moving forward and yields a timeline that survives JSON.
//! The properties live in ../checks.rs (and checks/), shared with the root crate's
//! tests/fuzz_regressions.rs.
#![no_main]

#[allow(dead_code)]
mod checks {
    include!("../checks.rs");
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check_scenario_run(data));
