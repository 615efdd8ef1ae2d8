#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a while, starting from the committed seeds, and
# prints executions and crashes per target. Needs the nightly toolchain (libFuzzer's
# instrumentation); installs cargo-fuzz if it is missing.
#
#   scripts/fuzz.sh [seconds-per-target]     # default 60
#
# Environment: FUZZ_TARGETS="a b" runs only those; FUZZ_SANITIZER (default none: the core
# forbids unsafe code, so ASan finds nothing safe Rust would not, at a third of the speed);
# FUZZ_MAX_LEN (default 4096 bytes, room for over-long lines and long pipelined sessions).
# Each target gets a dictionary of tokens to splice in (see dict_for): fuzz/dict/smtp.dict
# (SMTP verbs, parameters, line ends), message.dict, mailauth.dict, scenario.dict, pop3.dict.
# FUZZ_KEEP_GOING=1 runs libFuzzer with -fork=1 -ignore_crashes=1: it goes on after a crash
# (to look past a known, unfixed bug) and leaves every crashing input in fuzz/artifacts/.
#
# The growing corpus lives in fuzz/corpus/<target>/ and crashes in fuzz/artifacts/<target>/
# (both git-ignored). A crash worth keeping is minimized (`cargo +nightly fuzz tmin`) and
# committed to fuzz/regressions/<target>/, where tests/fuzz_regressions.rs replays it on
# stable in every `cargo test`.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECONDS_PER_TARGET=${1:-60}
SANITIZER=${FUZZ_SANITIZER:-none}
MAX_LEN=${FUZZ_MAX_LEN:-4096}
KEEP_GOING=()
[ "${FUZZ_KEEP_GOING:-0}" = 1 ] && KEEP_GOING=(-fork=1 -ignore_crashes=1)
START=$SECONDS

say() { printf '\033[1m[fuzz %4ds] %s\033[0m\n' $((SECONDS - START)) "$*"; }

# The dictionary whose tokens fit a target's input.
dict_for() {
  case $1 in
    message_fields | eml_import) echo fuzz/dict/message.dict ;;
    mailauth_*) echo fuzz/dict/mailauth.dict ;;
    scenario_parse) echo fuzz/dict/scenario.dict ;;
    pop3) echo fuzz/dict/pop3.dict ;;
    *) echo fuzz/dict/smtp.dict ;;
  esac
}

case $SECONDS_PER_TARGET in
  '' | *[!0-9]*) echo "usage: scripts/fuzz.sh [seconds-per-target]" >&2; exit 2 ;;
esac

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is needed (rustup toolchain install nightly)" >&2
  exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  say "cargo-fuzz missing: cargo +nightly install cargo-fuzz --locked (a few minutes on 2 cores)"
  cargo +nightly install cargo-fuzz --locked || { echo "fuzz: installing cargo-fuzz failed" >&2; exit 1; }
fi
say "$(cargo +nightly fuzz --version)"

TARGETS=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
say "building $(echo $TARGETS | wc -w) targets in fuzz/target (sanitizer: $SANITIZER, debug assertions on)"
mkdir -p fuzz/artifacts
for target in $TARGETS; do
  if ! cargo +nightly fuzz build --sanitizer "$SANITIZER" "$target" >fuzz/artifacts/build.log 2>&1; then
    tail -n 30 fuzz/artifacts/build.log >&2
    echo "fuzz: building $target failed (log: fuzz/artifacts/build.log)" >&2
    exit 1
  fi
done
tail -n 1 fuzz/artifacts/build.log

SUMMARY=()
CRASHED=0
TOTAL_EXECS=0
for target in $TARGETS; do
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target" "fuzz/seeds/$target"
  log="fuzz/artifacts/$target/last-run.log"
  say "$target: ${SECONDS_PER_TARGET}s from $(ls "fuzz/seeds/$target" | wc -l) seeds + $(ls "fuzz/corpus/$target" | wc -l) corpus inputs (log: $log)"
  # New inputs go to the first corpus folder (git-ignored); the seeds are only read.
  cargo +nightly fuzz run --sanitizer "$SANITIZER" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -max_len="$MAX_LEN" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -dict="$(dict_for "$target")" "${KEEP_GOING[@]}" >"$log" 2>&1
  rc=$?
  # One process prints final stats; fork mode prints `#execs: cov: … crash: o/t/c` lines.
  execs=$(awk '/stat::number_of_executed_units:/ { n = $2 } /^#[0-9]+: cov:/ { n = substr($1, 2) + 0 }
               END { print n + 0 }' "$log")
  rate=$(awk '/stat::average_exec_per_sec:/ { n = $2 } END { print n + 0 }' "$log")
  if [ ${#KEEP_GOING[@]} -gt 0 ]; then
    rate=$((execs / (SECONDS_PER_TARGET > 0 ? SECONDS_PER_TARGET : 1)))
    forked_crashes=$(grep -oE 'crash: [0-9]+/[0-9]+/[0-9]+' "$log" | tail -n 1 | awk -F/ '{print $3 + 0}')
    [ "${forked_crashes:-0}" -gt 0 ] && rc=1
  fi
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | awk '{print $2}')
  TOTAL_EXECS=$((TOTAL_EXECS + execs))
  grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | tail -n 2 | sed 's/^/    /'
  if [ "$rc" -ne 0 ]; then
    CRASHED=$((CRASHED + 1))
    artifact=$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/Test unit written to //')
    # Fork mode does not always say where; the newest crash file is the one.
    [ -n "$artifact" ] || artifact=$(ls -t "fuzz/artifacts/$target"/crash-* 2>/dev/null | head -n 1)
    printf '\033[31m  CRASH in %s (exit %d); input: %s\033[0m\n' "$target" "$rc" "${artifact:-see log}"
    grep -m 1 -A 4 -E 'panicked at|ERROR: libFuzzer|==ERROR' "$log" | sed 's/^/    /'
    if [ -n "$artifact" ]; then
      echo "    minimize: cargo +nightly fuzz tmin -s $SANITIZER $target $artifact"
    fi
    SUMMARY+=("$(printf '%-16s %12s execs %8s/s  cov %-6s CRASH %s' "$target" "$execs" "$rate" "${cov:-?}" "${artifact:-}")")
  else
    SUMMARY+=("$(printf '%-16s %12s execs %8s/s  cov %-6s no crash' "$target" "$execs" "$rate" "${cov:-?}")")
  fi
done

say "summary (${SECONDS_PER_TARGET}s per target)"
printf '  %s\n' "${SUMMARY[@]}"
printf '  %-16s %12s execs, %d target(s) crashed\n' "total" "$TOTAL_EXECS" "$CRASHED"
[ "$CRASHED" -eq 0 ]
