#!/usr/bin/env bash
# Runs the benchmarks in bench/ (criterion, its own crate and target dir bench/target) and
# prints throughput in MB/s: our command and reply parsers against Stalwart's smtp-proto on
# the same corpus, with the ratio ours / smtp-proto, and a pipelined server session; then
# runs scripts/bench-serve.sh (`serve` against aiosmtpd and Postfix's smtp-sink), the
# simulation of 10, 100 and 1,000 messages (natively, and in Chromium by scripts/measure-sim.mjs
# when dist/ is built), and prints every figure in one table: ours, the peer's (or the goal),
# the ratio.
#
#   scripts/bench.sh [criterion filter]     # e.g. scripts/bench.sh replies
#   BENCH_SERVE=0 scripts/bench.sh          # no servers
#   BENCH_BROWSER=0 scripts/bench.sh        # no Chromium
#
# Figures are criterion's point estimate of the time per iteration (the regression slope,
# as its `time:` line prints; the mean where there is no slope), read from
# bench/target/criterion/*/*/new/, in 10^6 bytes per second (criterion prints MiB/s).
# On a shared machine, run it when the cores are quiet.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT/bench"
export CARGO_TARGET_DIR="$ROOT/bench/target"

echo "[bench] cargo bench (first build takes a few minutes)"
# Criterion's own lines, without progress, outlier counts and the change since last run.
cargo bench --bench parse --bench simulate -- "$@" 2>&1 | awk '
  /^ *change:/ { skip = 2; next }
  skip > 0 { skip--; next }
  /^ *$|^Benchmarking|^Found|^  [0-9]+ \(|Performance has|No change in performance|Change within noise/ { next }
  { print }'

ROWS=$(mktemp)
SIM_ROWS=$(mktemp)
trap 'rm -f "$ROWS" "$SIM_ROWS"' EXIT
if [ "${BENCH_SERVE:-1}" != 0 ]; then
  echo
  BENCH_ROWS="$ROWS" "$ROOT/scripts/bench-serve.sh"
fi
if [ -f "$ROOT/dist/simulator-worker.js" ] && [ "${BENCH_BROWSER:-1}" != 0 ]; then
  echo
  echo "[bench] the simulator in Chromium (scripts/measure-sim.mjs, dist/ as last built)"
  (cd "$ROOT" && ROWS="$SIM_ROWS" node scripts/measure-sim.mjs) || echo "[bench] measure-sim failed; its rows are left out"
fi

echo
echo "[bench] summary (MB/s = 10^6 bytes/s; msg/s = messages per second)"
python3 - "$CARGO_TARGET_DIR/criterion" "$ROWS" "$SIM_ROWS" <<'PY'
import json, pathlib, sys

root = pathlib.Path(sys.argv[1])
serve_rows = [line.split("|") for line in pathlib.Path(sys.argv[2]).read_text().splitlines() if line]
browser_rows = {int(c): (float(ms), int(b)) for c, ms, b in
                (line.split("|") for line in pathlib.Path(sys.argv[3]).read_text().splitlines() if line)}

def mbps(group, name):
    """Throughput of one benchmark from criterion's files, or None if it did not run."""
    new = root / group / name / "new"
    try:
        estimates = json.loads((new / "estimates.json").read_text())
        ns = (estimates.get("slope") or estimates["mean"])["point_estimate"]
        throughput = json.loads((new / "benchmark.json").read_text())["throughput"]
    except (OSError, KeyError, TypeError):
        return None
    return throughput["Bytes"] / (ns * 1e-9) / 1e6, ns

print(f"  {'what':<38}{'peer':<12}{'ours':>16}{'peer':>16}{'ratio':>8}")
for group, name, label in (("commands", "ours", "commands (read in place)"),
                           ("commands", "ours-owned", "commands (owned Command)"),
                           ("replies", "ours", "replies (read in place)"),
                           ("replies", "ours-owned", "replies (owned Reply)")):
    ours, theirs = mbps(group, name), mbps(group, "smtp-proto")
    if ours is None:
        continue
    cell = lambda r: f"{r[0]:.1f} MB/s" if r else "-"
    ratio = f"{ours[0] / theirs[0]:7.2f}x" if ours and theirs else f"{'-':>8}"
    print(f"  {label:<38}{'smtp-proto':<12}{cell(ours):>16}{cell(theirs):>16}{ratio}")
for name, peer, ours, theirs in serve_rows:
    ours, theirs = float(ours), float(theirs)
    print(f"  {'serve: ' + name:<38}{peer:<12}{ours:>10.1f} msg/s{theirs:>10.1f} msg/s{ours / theirs:7.2f}x")
# The simulation: no peer; the goal is the issue's (native < 50 ms, browser < 150 ms for
# 1,000 messages), and time and JSON should grow as the messages do.
for count in (10, 100, 1000):
    try:
        est = json.loads((root / "simulate" / str(count) / "new" / "estimates.json").read_text())
        facts = json.loads((root / "simulate" / str(count) / "sizes.json").read_text())
    except (OSError, ValueError):
        continue
    ms = (est.get("slope") or est["mean"])["point_estimate"] / 1e6
    print(f"  {f'simulate {count} messages (native)':<38}{'goal':<12}{ms:>13.1f} ms{'< 50 ms':>16}"
          f"   {facts['json_bytes'] / 1e6:.2f} MB JSON, {facts['steps']:,} steps")
    if count in browser_rows:
        bms, size = browser_rows[count]
        print(f"  {f'simulate {count} messages (browser)':<38}{'goal':<12}{bms:>13.1f} ms{'< 150 ms':>16}"
              f"   answer {size / 1e6:.2f} MB, request to answer")
session = mbps("server_session", "pipelined_10_recipients")
if session:
    print(f"  {'server session (10 rcpt)':<38}{session[0]:9.1f} MB/s"
          f"  = {session[1] / 1000:.1f} µs per transaction, {1e9 / session[1]:,.0f} transactions/s")
PY
