#!/usr/bin/env bash
# The contract and end-to-end suites on other dates than today's. For each date the local stack's
# functions restart on a test clock that reads 10:00 JST on that date (SEIKYU_TEST_DATE, see
# scripts/local-stack.sh) and the contract suite's injected clock starts there too; the tests derive
# every date, number and fiscal year from those clocks.
#
#   scripts/test-dates.sh [YYYY-MM-DD ...]     # default: 2027-07-15 2028-02-29 2030-12-31
#
# It stops the local stack when it ends (it restarts it for every date).
set -euo pipefail
cd "$(dirname "$0")/.."

dates=("$@")
[ ${#dates[@]} -gt 0 ] || dates=(2027-07-15 2028-02-29 2030-12-31)
export SEIKYU_E2E=1
trap 'scripts/local-stack.sh down' EXIT
for d in "${dates[@]}"; do
  printf '\n== the contract and end-to-end suites on %s\n' "$d"
  scripts/local-stack.sh down
  SEIKYU_TEST_DATE=$d scripts/local-stack.sh up >/dev/null
  SEIKYU_TEST_DATE=$d cargo test --locked -p seikyu-tests \
    --test contract_memory --test contract_dynamo --test e2e_local
done
