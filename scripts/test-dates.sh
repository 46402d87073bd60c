#!/usr/bin/env bash
# The contract and end-to-end suites on other dates than today's. For each date the local stack's
# functions restart on a test clock that reads 10:00 JST on that date (SEIKYU_TEST_DATE, see
# scripts/local-stack.sh) and the contract suite's injected clock starts there too; the tests derive
# every date, number and fiscal year from those clocks. Dates: 2016-01-01 to 2099-09-30.
#
#   scripts/test-dates.sh [YYYY-MM-DD ...]     # default: 2027-07-15 2028-02-29 2030-12-31
#
# Every date runs, also after one fails; the exit status is 1 if any failed. It stops the local stack
# when it ends (it restarts it for every date).
set -uo pipefail
cd "$(dirname "$0")/.."

dates=("$@")
[ ${#dates[@]} -gt 0 ] || dates=(2027-07-15 2028-02-29 2030-12-31)

# The four test binaries, as `cargo test --workspace` builds them: selecting them with `-p` or `--test`
# would resolve features differently and build them again.
mapfile -t bins < <(cargo test --workspace --locked --no-run --message-format json |
  python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    t = m.get("target", {})
    if m.get("executable") and t.get("name") in ("contract_memory", "contract_sqlite", "contract_dynamo", "e2e_local"):
        print(m["executable"])
')
[ ${#bins[@]} -eq 4 ] || { echo "test-dates: expected 4 test binaries, found ${#bins[@]}" >&2; exit 1; }

export SEIKYU_E2E=1
trap 'scripts/local-stack.sh down' EXIT
failed=()
for d in "${dates[@]}"; do
  printf '\n== the contract and end-to-end suites on %s\n' "$d"
  ok=1
  if scripts/local-stack.sh down && SEIKYU_TEST_DATE=$d scripts/local-stack.sh up >/dev/null; then
    for bin in "${bins[@]}"; do
      (cd tests && SEIKYU_TEST_DATE=$d "$bin") || ok=0
    done
  else
    ok=0
  fi
  if [ $ok = 1 ]; then printf '== %s: passed\n' "$d"; else printf '== %s: FAILED\n' "$d"; failed+=("$d"); fi
done
if [ ${#failed[@]} -gt 0 ]; then
  printf '\nfailed on: %s\n' "${failed[*]}" >&2
  exit 1
fi
printf '\npassed on: %s\n' "${dates[*]}"
