#!/usr/bin/env bash
# Throughput of `seikyu serve` on this machine (a measurement, not a test): a release build, a fresh data
# folder, N invoices created over HTTP at concurrency C across 4 sellers, a quarter of them paid by a
# signed webhook (receipts and receipt mails flow beside the invoice mails), then until every mail is out.
#
#   scripts/bench-serve.sh [INVOICES=20000] [CONCURRENCY=16] [--fsync] [--no-jobs]
#
# --fsync: every commit flushed to the disk; --no-jobs: the API alone (mail and receipts wait in the
# queues), to see what the HTTP side does without the typesetting beside it.
#
# Prints the load's JSON (invoices/s, p50/p99 latency, errors, mail catch-up), the server's peak memory
# and the data folder's size per 10,000 invoices (database, archive, mail).
set -euo pipefail
cd "$(dirname "$0")/.."
invoices=20000
concurrency=16
server_args=()
load_args=()
positional=0
for a in "$@"; do
  case $a in
    --fsync) server_args+=(--fsync) ;;
    --no-jobs) server_args+=(--no-jobs) load_args+=(--no-mail-wait) ;;
    *)
      positional=$((positional + 1))
      case $positional in
        1) invoices=$a ;;
        2) concurrency=$a ;;
        *) echo "bench-serve: unexpected argument $a" >&2; exit 2 ;;
      esac
      ;;
  esac
done
port=${SEIKYU_BENCH_PORT:-18181}

cargo build --release --locked -q -p seikyu-cli --bin seikyu -p seikyu-tests --example serve_load
work=$(mktemp -d)
data=$work/data
admin=bench-admin-$$-$RANDOM
SEIKYU_ADMIN_KEY=$admin target/release/seikyu serve --listen "127.0.0.1:$port" --data "$data" \
  ${server_args[@]+"${server_args[@]}"} >"$work/out" 2>"$work/log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/invoices" && break
  sleep 0.1
done

target/release/examples/serve_load "http://127.0.0.1:$port" "$admin" "$data" "$invoices" "$concurrency" \
  ${load_args[@]+"${load_args[@]}"}
peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"
wait "$pid" || true

size() { du -sb "$@" 2>/dev/null | awk '{s+=$1} END {print s+0}'; }
per10k() { awk -v b="$1" -v n="$invoices" 'BEGIN {printf "%.1f MB", b / n * 10000 / 1e6}'; }
db=$(size "$data"/seikyu.sqlite3*)
archive=$(size "$data/archive")
mail=$(size "$data/mail")
echo "server peak RSS: $((peak / 1024)) MB"
echo "data folder per 10,000 invoices: database $(per10k "$db"), archive (UBL + PDF) $(per10k "$archive"), mail (.eml) $(per10k "$mail"), total $(per10k $((db + archive + mail)))"
