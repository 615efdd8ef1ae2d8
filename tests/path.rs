//! The learning path (issue 12): every lesson once, each lesson's "next" the one after it,
//! and each topic in one run, so the path reads as topics in order.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use smtp_playground::scenario::{lessons, played};

#[test]
fn every_lesson_is_on_the_path_exactly_once() {
    let library: BTreeSet<&str> = lessons::ALL.iter().map(|l| l.id).collect();
    let path: Vec<&str> = lessons::path().map(|l| l.id).collect();
    assert_eq!(path.len(), lessons::PATH.len(), "every id on the path names a lesson: {:?}", lessons::PATH);
    let unique: BTreeSet<&str> = path.iter().copied().collect();
    assert_eq!(unique.len(), path.len(), "a lesson appears twice on the path: {path:?}");
    assert_eq!(unique, library, "the path and the library hold the same lessons");
    assert_eq!(path.first(), Some(&"telnet-session"), "the path starts with a session typed by hand");
}

#[test]
fn each_lesson_leads_to_the_next_one_on_the_path() {
    let path: Vec<&str> = lessons::path().map(|l| l.id).collect();
    for pair in path.windows(2) {
        assert_eq!(lessons::next(pair[0]), Some(pair[1]), "after {}", pair[0]);
    }
    let last = path.last().copied().unwrap_or_default();
    assert_eq!(lessons::next(last), None, "{last} ends the path");
    assert_eq!(lessons::next("no-such-lesson"), None);
}

/// The path shows one heading per topic: each topic's lessons follow each other, and
/// grouping by topic keeps the path's order.
#[test]
fn topics_are_contiguous_and_keep_the_path_order() {
    let topics = played::index();
    let flat: Vec<&str> = topics.iter().flat_map(|(_, l)| l.iter().map(|s| s.id.as_str())).collect();
    assert_eq!(flat, lessons::PATH, "a topic comes back later on the path");
    let names: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
    for topic in ["Basics", "Routing", "Authentication"] {
        assert!(names.contains(&topic), "{topic} in {names:?}");
    }
    // DMARC combines SPF and DKIM: it comes after both.
    let at = |id: &str| lessons::PATH.iter().position(|p| *p == id);
    assert!(at("dmarc-reject") > at("spf-spoofed") && at("dmarc-reject") > at("dkim-pass"));
    assert!(at("mx-relay") < at("retry-later"), "routing before queueing");
    for (topic, summaries) in &topics {
        for summary in summaries {
            assert_eq!(&summary.topic, topic);
            assert!(!summary.title.is_empty(), "{} has a title", summary.id);
        }
    }
}

#[test]
fn the_cli_lists_the_lessons_in_path_order() {
    let (out, code) = smtp_playground::cli::main(&["lessons".to_owned()]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = out.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(ids, lessons::PATH);
}

/// index.html preloads the lesson's data before the player runs (issue 13); its list of
/// lesson ids is the path's, in the same order.
#[test]
fn the_pages_preload_list_is_the_path() {
    let html = include_str!("../index.html");
    let list =
        html.split("var lessons = [").nth(1).and_then(|rest| rest.split(']').next()).expect("the list");
    let ids: Vec<&str> = list.split(", ").map(|id| id.trim_matches('\'')).collect();
    assert_eq!(ids, lessons::PATH);
}
