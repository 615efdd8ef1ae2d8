//! Simulation cost against the number of messages (issue 16: time and JSON linear in the
//! messages; a queue of 1,000 under 50 ms). The world is tests/worlds/thousand-greylisted.toml
//! (each message greylisted once, queued, retried, delivered) with its `count` set to 10,
//! 100 and 1,000; each iteration parses the scenario and runs it (built as the CLI is: with
//! its allocator, and LTO in bench/Cargo.toml). The timeline's JSON size,
//! which the page receives from the simulator's worker, is written beside criterion's files
//! for scripts/bench.sh to print.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use smtp_playground::scenario;

/// The simulation as the CLI runs it, with the allocator the CLI uses (src/main.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The world with `count` messages.
fn world(count: usize) -> String {
    let text = include_str!("../../tests/worlds/thousand-greylisted.toml");
    text.replace("count = 1000", &format!("count = {count}"))
}

fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate");
    group.sample_size(20).measurement_time(Duration::from_secs(8));
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    for count in [10, 100, 1000] {
        let text = world(count);
        let timeline = scenario::parse(&text).expect("the world parses").run();
        assert_eq!(timeline.outcome.delivered.values().sum::<usize>(), count, "every message delivered");
        assert!(!timeline.outcome.truncated);
        let json = serde_json::to_string(&timeline).expect("JSON");
        let sizes = format!("{target}/criterion/simulate/{count}");
        std::fs::create_dir_all(&sizes).expect("criterion's directory");
        let facts = format!("{{\"json_bytes\": {}, \"steps\": {}}}", json.len(), timeline.steps.len());
        std::fs::write(format!("{sizes}/sizes.json"), facts).expect("sizes");
        group.bench_function(count.to_string(), |b| {
            // The timeline is freed outside the timing, as the worker frees it after posting
            // its answer (src/ui/worker.rs) and the CLI when it exits: 5-7 ms at 1,000.
            b.iter_with_large_drop(|| scenario::parse(black_box(&text)).expect("parses").run())
        });
    }
    group.finish();
}

criterion_group!(benches, simulate);
criterion_main!(benches);
