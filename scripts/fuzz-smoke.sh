#!/usr/bin/env bash
# A quick check that every cargo-fuzz target in fuzz/ builds and survives a few seconds of
# fuzzing from its committed seeds: a compile check for CI, not a fuzzing campaign (that is
# scripts/fuzz.sh). Exits non-zero when a target fails to build or crashes; skips, with
# exit 0, when the nightly toolchain or cargo-fuzz is missing (it never installs them).
#
#   scripts/fuzz-smoke.sh [seconds-per-target]     # default 3
#
# Builds all targets in one cargo invocation (sanitizer none, as scripts/fuzz.sh), then runs
# each on a throw-away corpus, so fuzz/corpus/ is left alone. Crash inputs land in
# fuzz/artifacts/<target>/ as with scripts/fuzz.sh.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECONDS_PER_TARGET=${1:-3}
case $SECONDS_PER_TARGET in
  '' | *[!0-9]*) echo "usage: scripts/fuzz-smoke.sh [seconds-per-target]" >&2; exit 2 ;;
esac
START=$SECONDS
say() { printf '[fuzz-smoke %3ds] %s\n' $((SECONDS - START)) "$*"; }

if ! cargo +nightly --version >/dev/null 2>&1; then
  say "skipped: the nightly toolchain is not installed (rustup toolchain install nightly)"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  say "skipped: cargo-fuzz is not installed (cargo +nightly install cargo-fuzz --locked)"
  exit 0
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
    -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
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
say "all targets built and ran ${SECONDS_PER_TARGET}s each without a crash"
