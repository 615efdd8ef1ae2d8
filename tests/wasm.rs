//! wasm-bindgen tests: the core, compiled to wasm, run in headless Chromium.
#![cfg(target_arch = "wasm32")]

use smtp_playground::scenario::seed_telnet_session;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn seed_session_runs_in_the_browser_and_matches_golden() {
    let got: Vec<String> = seed_telnet_session().iter().map(ToString::to_string).collect();
    let want: Vec<&str> = include_str!("golden/seed_telnet.txt").lines().collect();
    assert_eq!(got, want);
}
