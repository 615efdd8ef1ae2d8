//! Permalinks: every lesson survives the trip through a URL parameter; damaged, hostile
//! and oversized parameters get a clear error, never a panic or a huge allocation.
#![cfg(not(target_arch = "wasm32"))]

use base64::Engine;
use proptest::prelude::*;
use smtp_playground::scenario::permalink::{PermalinkError, decode, encode};
use smtp_playground::scenario::{MAX_SCENARIO_OCTETS, lessons};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[test]
fn every_lesson_round_trips_and_shrinks() {
    for lesson in lessons::ALL {
        let param = encode(lesson.source);
        assert!(param.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{}", lesson.id);
        assert_eq!(decode(&param).as_deref(), Ok(lesson.source), "{}", lesson.id);
        assert!(
            param.len() < lesson.source.len(),
            "{}: {} ≥ {}",
            lesson.id,
            param.len(),
            lesson.source.len()
        );
    }
    assert_eq!(decode(&encode("")).as_deref(), Ok(""));
}

#[test]
fn damaged_links_get_clear_errors() {
    assert!(matches!(decode("not base64!"), Err(PermalinkError::Base64(_))));
    assert!(matches!(decode("A"), Err(PermalinkError::Base64(_))));
    // Valid base64, not DEFLATE (a reserved block type).
    assert!(matches!(decode(&B64.encode([0xFFu8; 16])), Err(PermalinkError::Deflate(_))));
    // A truncated stream.
    let param = encode(lessons::ALL[0].source);
    let cut = B64.encode(&B64.decode(&param).unwrap()[..10]);
    assert!(matches!(decode(&cut), Err(PermalinkError::Deflate(_))), "{:?}", decode(&cut));
    // Not UTF-8.
    let latin1 = miniz_oxide::deflate::compress_to_vec(b"title = \"caf\xe9\"", 6);
    assert_eq!(decode(&B64.encode(latin1)), Err(PermalinkError::NotUtf8 { valid_up_to: 12 }));
    // Nothing at all (`#scenario=` cut short).
    assert_eq!(decode(""), Err(PermalinkError::Empty));
    assert_eq!(decode(" \n"), Err(PermalinkError::Empty));
    // Too long to be any scenario.
    assert!(matches!(decode(&"A".repeat(1 << 20)), Err(PermalinkError::TooLong { .. })));
    // Padding and surrounding blanks are forgiven.
    let padded = base64::engine::general_purpose::URL_SAFE.encode(B64.decode(encode("x = 1")).unwrap());
    assert_eq!(decode(&format!(" {padded}\n")).as_deref(), Ok("x = 1"));
    for e in
        [PermalinkError::TooLarge { limit: 1 }, PermalinkError::Base64("x".into()), PermalinkError::Empty]
    {
        assert!(e.to_string().starts_with("the link"));
    }
}

#[test]
fn a_zip_bomb_stops_at_the_limit() {
    // 64 MiB of zeros deflate to ~64 KB; inflating stops at the scenario limit.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b'a'; 64 << 20], 9);
    let param = B64.encode(&bomb);
    assert!(param.len() < 200_000, "{}", param.len());
    assert_eq!(decode(&param), Err(PermalinkError::TooLarge { limit: MAX_SCENARIO_OCTETS }));
    // Exactly at the limit is fine.
    let full = "#".repeat(MAX_SCENARIO_OCTETS);
    assert_eq!(decode(&encode(&full)).map(|s| s.len()), Ok(MAX_SCENARIO_OCTETS));
    let over = "#".repeat(MAX_SCENARIO_OCTETS + 1);
    assert_eq!(decode(&encode(&over)), Err(PermalinkError::TooLarge { limit: MAX_SCENARIO_OCTETS }));
}

proptest! {
    #[test]
    fn any_text_round_trips(text in any::<String>()) {
        prop_assert_eq!(decode(&encode(&text)), Ok(text));
    }

    #[test]
    fn any_parameter_is_answered_without_panic(param in "[A-Za-z0-9_=-]{0,400}") {
        let _ = decode(&param);
    }

    #[test]
    fn any_bytes_as_deflate_are_answered(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode(&B64.encode(bytes));
    }
}
