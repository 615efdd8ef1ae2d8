#!/usr/bin/env bash
# `serve` against real SMTP servers we did not write, same machine, same client, alternated
# runs (issue 16). Prints one table: messages per second, ours, the peer's, and the ratio.
#
#   scripts/bench-serve.sh [ROUNDS]      # default 3 rounds; each figure is the median
#
# With BENCH_ROWS=FILE it also appends "client|peer|ours|peer" lines there, for the one table
# scripts/bench.sh prints.
#
# Peers: aiosmtpd's Sink (Python, from .venv) with Python smtplib as the client, at one
# message per connection and at twenty; Postfix's smtp-sink with Postfix's smtp-source as the
# client (`-s 20 -d -m 5000 -l 5120`: 20 sessions in parallel, a connection per message,
# 5,000 messages of 5 KB). Postfix's tools come from Debian's `postfix` package, installed
# here with its daemon kept from starting (policy-rc.d); its mail system is never configured.
# Our maildir is on tmpfs (/dev/shm), as the goal is stated; every run checks that the files
# stored equal the messages sent. The peers store nothing, so this is the cost of storing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
ROUNDS=${1:-3}
say() { printf '[bench-serve] %s\n' "$*"; }

PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "bench-serve: run scripts/setup.sh test first (.venv with aiosmtpd)" >&2; exit 1; }
if ! command -v smtp-source >/dev/null || ! command -v smtp-sink >/dev/null; then
  PATH="$PATH:/usr/sbin"
fi
if ! command -v smtp-source >/dev/null; then
  say "installing Postfix's smtp-source and smtp-sink (Debian postfix; its daemon is not started)"
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

say "cargo build --release (serve)"
cargo build -q --release --locked --bin smtp-playground
BIN="$ROOT/target/release/smtp-playground"
WORK=$(mktemp -d /dev/shm/bench-serve.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1).close()" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench-serve: nothing listens on $1" >&2; exit 1
}

# Starts a server ("ours" or a peer) on a fresh port; sets PORT and SERVER_PID.
start() {
  PORT=$(free_port)
  case "$1" in
    ours)
      rm -rf "$WORK/mail"
      "$BIN" serve --scenario tests/interop/serve.toml --listen "127.0.0.1:$PORT" --maildir "$WORK/mail" \
        --no-color >"$WORK/serve.log" 2>&1 &
      ;;
    aiosmtpd) "$PY" -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l "127.0.0.1:$PORT" >/dev/null 2>&1 & ;;
    # As root it must be told whom to run as.
    smtp-sink) smtp-sink -u nobody "127.0.0.1:$PORT" 256 >/dev/null 2>&1 & ;;
  esac
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_port "$PORT"
}

stop() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# smtplib: $1 messages, $2 per connection; prints messages per second.
smtplib_rate() {
  "$PY" - "$PORT" "$1" "$2" <<'PY'
import smtplib, sys, time
port, total, per = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
body = "Subject: bench\r\n\r\n" + "x" * 998 + "\r\n"
start = time.perf_counter()
sent = 0
while sent < total:
    with smtplib.SMTP("127.0.0.1", port) as s:
        for _ in range(min(per, total - sent)):
            s.sendmail("alice@example.com", ["bob@example.net"], body)
            sent += 1
print(f"{total / (time.perf_counter() - start):.1f}")
PY
}

# smtp-source -s 20 -d -m 5000 -l 5120; prints messages per second.
source_rate() {
  local start end
  start=$(date +%s.%N)
  smtp-source -s 20 -d -m 5000 -l 5120 -f alice@example.com -t bob@example.net "127.0.0.1:$PORT"
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", 5000 / (e - s) }'
}

# After a run of ours: the files stored must equal the messages sent.
check_stored() {
  local stored
  stored=$(find "$WORK/mail/.messages" -type f -name '*.eml' 2>/dev/null | wc -l)
  [ "$stored" -eq "$1" ] || { echo "bench-serve: sent $1, stored $stored" >&2; exit 1; }
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A OURS PEER
run_case() { # name peer messages kind(per-connection count | source)
  local name=$1 peer=$2 total=$3 kind=$4 ours="" theirs="" r
  for round in $(seq "$ROUNDS"); do
    for who in ours "$peer"; do
      start "$who"
      if [ "$kind" = source ]; then r=$(source_rate); else r=$(smtplib_rate "$total" "$kind"); fi
      stop
      if [ "$who" = ours ]; then check_stored "$total"; ours="$ours $r"; else theirs="$theirs $r"; fi
      say "$name, round $round, $who: $r msg/s"
    done
  done
  OURS[$name]=$(echo "$ours" | median)
  PEER[$name]=$(echo "$theirs" | median)
}

CASES=("smtplib, 1 msg/connection|aiosmtpd|500|1"
       "smtplib, 20 msg/connection|aiosmtpd|2000|20"
       "smtp-source -s 20 -d, 5 KB|smtp-sink|5000|source")
for c in "${CASES[@]}"; do
  IFS='|' read -r name peer total kind <<<"$c"
  run_case "$name" "$peer" "$total" "$kind"
done

echo
say "summary: messages per second, median of $ROUNDS alternated rounds (maildir on tmpfs)"
printf '  %-30s %-10s %10s %10s %8s\n' "client" "peer" "ours" "peer" "ratio"
for c in "${CASES[@]}"; do
  IFS='|' read -r name peer _ _ <<<"$c"
  awk -v n="$name" -v p="$peer" -v o="${OURS[$name]}" -v t="${PEER[$name]}" \
    'BEGIN { printf "  %-30s %-10s %10.1f %10.1f %7.2fx\n", n, p, o, t, o / t }'
  if [ -n "${BENCH_ROWS:-}" ]; then echo "$name|$peer|${OURS[$name]}|${PEER[$name]}" >>"$BENCH_ROWS"; fi
done
