#!/usr/bin/env bash
# Runs every check the project has, in order, stopping at the first failure:
# formatting, lints (native and wasm32), native tests, a deterministic fuzz smoke of every
# target, the benchmarks' build (not run: figures come from scripts/bench.sh), the release web
# build, wasm tests in headless Chromium, and the browser end-to-end tests. Ends with each
# runner's summary line.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGS="$ROOT/target/test-logs"
START=$SECONDS
SUMMARY=()

stage() { printf '\n\033[1m[test %4ds] %s\033[0m\n' $((SECONDS - START)) "$1"; }

# run NAME CMD...: runs a stage with its output shown and kept in $LOGS/NAME.log.
run() {
  local name=$1; shift
  stage "$name: $*"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$LOGS/$name.log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -ne 0 ]; then
    printf '\n\033[31m[test] %s failed (exit %d) after %ds; log: %s\033[0m\n' "$name" "$rc" $((SECONDS - t0)) "$LOGS/$name.log"
    exit "$rc"
  fi
  SUMMARY+=("$(printf '%-14s ok   %4ds' "$name" $((SECONDS - t0)))")
}

# Totals of libtest's "test result:" lines in a log.
libtest_totals() {
  awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^ignored/) g += $i } }
       END { printf "%d passed, %d failed, %d ignored", p, f, g }' "$1"
}

wasm() { (source scripts/wasm-env.sh && "$@"); }

mkdir -p "$LOGS"
run setup scripts/setup.sh test
run fmt cargo fmt --all -- --check
run clippy cargo clippy --all-targets --locked -- -D warnings
# Both halves of the page (issue 13): the player module, and everything with `full`.
run clippy-wasm wasm cargo clippy --target wasm32-unknown-unknown --all-targets --locked -- -D warnings
run clippy-wasm-full wasm cargo clippy --target wasm32-unknown-unknown --all-targets --features full --locked -- -D warnings
run cargo-test cargo test --locked
run fuzz-smoke env FUZZ_SMOKE_REQUIRE=1 scripts/fuzz-smoke.sh
run bench-build bash -c 'cd bench && CARGO_TARGET_DIR=target cargo bench --locked --no-run -q'
run build-web scripts/build-web.sh
run wasm-test wasm cargo test --target wasm32-unknown-unknown --features full --locked --lib --test wasm --test wasm_inspect --test wasm_check --test wasm_path
run e2e node --test --test-concurrency=1 --test-reporter=spec tests/e2e/

stage "Summary ($((SECONDS - START)) s in all)"
printf '  %s\n' "${SUMMARY[@]}"
echo
echo "  cargo test (native):       $(libtest_totals "$LOGS/cargo-test.log")"
echo "  wasm-bindgen-test (Chromium): $(libtest_totals "$LOGS/wasm-test.log")"
echo "  e2e (Playwright, Chromium): $(grep -E '^ℹ (tests|pass|fail) ' "$LOGS/e2e.log" | sed 's/^ℹ //' | paste -sd, | sed 's/,/, /g')"
echo "  site size: $(tail -n 1 "$LOGS/build-web.log" | sed 's/  */ /g')"
