#!/usr/bin/env bash
# Dunning at scale (a measurement script, not a test): 100,000 invoices in the local stack's DynamoDB, of
# which 1,000 are due a reminder; reports the index items the scheduler reads and its time (median of 5).
# Loading takes several minutes (BatchWriteItem into DynamoDB Local); the table is deleted afterwards.
#
#   scripts/bench-dunning.sh                          # 100,000 / 1,000
#   scripts/bench-dunning.sh --invoices 20000 --due 500
set -euo pipefail
cd "$(dirname "$0")/.."
started_stack=0
if ! scripts/local-stack.sh status 2>/dev/null | grep -q '^localstack: running'; then
  SEIKYU_NO_FUNCTIONS=1 scripts/local-stack.sh up
  started_stack=1
fi
[ "$started_stack" = 1 ] && trap 'scripts/local-stack.sh down' EXIT
cargo run -q -p seikyu-tests --example dunning_scale -- "$@"
