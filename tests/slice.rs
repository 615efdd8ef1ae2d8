//! The seed's telnet session, end to end through the core, against a golden transcript.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario::seed_telnet_session;

#[test]
fn seed_telnet_session_matches_golden_transcript() {
    let got: Vec<String> = seed_telnet_session().iter().map(ToString::to_string).collect();
    let golden = include_str!("golden/seed_telnet.txt");
    let want: Vec<&str> = golden.lines().collect();
    assert_eq!(got, want);
}

#[test]
fn last_reply_is_221() {
    let transcript = seed_telnet_session();
    let last_code = transcript.iter().rev().find_map(|l| l.reply_code);
    assert_eq!(last_code, Some(221));
}
