//! The packed steps the simulator's worker posts to the page (`timeline::packed`, issue 16):
//! every lesson's run and a bulk run come back equal to the steps packed, whatever the size
//! of the parts, and a bulk run packs into a fraction of its plain JSON.
#![cfg(not(target_arch = "wasm32"))]

use smtp_playground::scenario::{self, lessons};
use smtp_playground::timeline::Step;
use smtp_playground::timeline::packed::{Packer, ReadPart, Unpacker};

/// `steps` packed in parts of `size`, each written as JSON and read back, as the page does.
fn round_trip(steps: &[Step], size: usize) -> (Vec<Step>, usize) {
    let mut packer = Packer::default();
    let mut unpacker = Unpacker::default();
    let mut bytes = 0;
    for part in steps.chunks(size) {
        let json = serde_json::to_string(&packer.part(part)).expect("serializes");
        bytes += json.len();
        let read: ReadPart = serde_json::from_str(&json).expect("reads back");
        unpacker.add(read).expect("every text it names was sent");
    }
    (unpacker.finish(), bytes)
}

#[test]
fn every_lesson_comes_back_equal_in_parts_of_any_size() {
    for lesson in lessons::ALL {
        let steps = scenario::parse(lesson.source).expect("parses").run().steps;
        for size in [1, 7, 2_000] {
            let (back, _) = round_trip(&steps, size);
            assert!(back == steps, "{}: parts of {size} changed the steps", lesson.id);
        }
    }
}

#[test]
fn a_bulk_run_packs_into_a_fraction_of_its_plain_json() {
    let world = include_str!("worlds/thousand-greylisted.toml").replace("count = 1000", "count = 100");
    let steps = scenario::parse(&world).expect("parses").run().steps;
    let plain = serde_json::to_string(&steps).expect("serializes").len();
    let (back, packed) = round_trip(&steps, 2_000);
    assert!(back == steps);
    println!("100 messages, {} steps: plain {plain} bytes, packed {packed} bytes", steps.len());
    // Measured: 2.50 MB plain, 0.64 MB packed.
    assert!(packed * 3 < plain, "packed {packed} bytes, plain {plain}");
}
