#!/usr/bin/env bash
# A quick check that every cargo-fuzz target in fuzz/ builds and survives a short,
# deterministic stretch of fuzzing from its committed seeds: a check for CI (scripts/test.sh
# runs it), not a fuzzing campaign (that is scripts/fuzz.sh). Each target runs a fixed number
# of inputs from a fixed seed (-runs, -seed=1), so the same tree always runs the same inputs:
# a landing is never blocked by a crash found by chance, only by one these inputs reach,
# every time. Exits non-zero when a target fails to build or crashes; when the nightly
# toolchain or cargo-fuzz is missing it skips with exit 0, or fails with
# FUZZ_SMOKE_REQUIRE=1 (as scripts/test.sh sets; scripts/setup.sh test installs cargo-fuzz).
#
#   scripts/fuzz-smoke.sh [runs-per-target]     # default 3000 inputs, at most 10 s a target
#
# Builds all targets in one cargo invocation (sanitizer none, as scripts/fuzz.sh), then runs
# each on a throw-away corpus, so fuzz/corpus/ is left alone. Crash inputs land in
# fuzz/artifacts/<target>/ as with scripts/fuzz.sh.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RUNS=${1:-3000}
case $RUNS in
  '' | *[!0-9]*) echo "usage: scripts/fuzz-smoke.sh [runs-per-target]" >&2; exit 2 ;;
esac
# Missing tools: skip, or fail when the caller requires the smoke.
missing() {
  if [ "${FUZZ_SMOKE_REQUIRE:-0}" = 1 ]; then
    echo "fuzz-smoke: $1 (scripts/setup.sh test installs it)" >&2
    exit 1
  fi
  say "skipped: $1"
  exit 0
}
START=$SECONDS
say() { printf '[fuzz-smoke %3ds] %s\n' $((SECONDS - START)) "$*"; }

if ! cargo +nightly --version >/dev/null 2>&1; then
  missing "the nightly toolchain is not installed (rustup toolchain install nightly)"
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  missing "cargo-fuzz is not installed (cargo +nightly install cargo-fuzz --locked)"
fi

TARGETS=$(cargo +nightly fuzz list)
mkdir -p fuzz/artifacts
say "building $(echo $TARGETS | wc -w) targets"
if ! cargo +nightly fuzz build --sanitizer none >fuzz/artifacts/smoke-build.log 2>&1; then
  tail -n 30 fuzz/artifacts/smoke-build.log >&2
  echo "fuzz-smoke: the build failed (log: fuzz/artifacts/smoke-build.log)" >&2
  exit 1
fi

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
FAILED=()
for target in $TARGETS; do
  mkdir -p "$SCRATCH/$target" "fuzz/artifacts/$target" "fuzz/seeds/$target"
  log="fuzz/artifacts/$target/smoke.log"
  cargo +nightly fuzz run --sanitizer none "$target" "$SCRATCH/$target" "fuzz/seeds/$target" -- \
    -runs="$RUNS" -seed=1 -max_total_time=10 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log")
  if [ "$rc" -ne 0 ]; then
    FAILED+=("$target")
    say "$target: CRASH (exit $rc; log: $log)"
    grep -m 1 -A 4 -E 'panicked at|ERROR: libFuzzer|==ERROR' "$log" | sed 's/^/    /'
    grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/^/    /'
  else
    say "$target: ${execs:-?} execs, no crash"
  fi
done

if [ ${#FAILED[@]} -gt 0 ]; then
  say "failed: ${FAILED[*]}"
  exit 1
fi
say "all targets built and ran $RUNS inputs each (seed 1) without a crash"
