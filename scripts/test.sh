#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this). Works on a fresh machine with cargo
# and python3: it installs the validator's Python packages into .venv itself.
#
#   ./scripts/test.sh
#
# Environment: SEIKYU_EINVOICE_VALIDATE (default ../shared/einvoice/validate). With CI=true a missing
# validator fails the run; otherwise the tests that need it say what is missing and skip.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n== %s\n' "$*"; }

step "Python environment for the e-invoice validator (.venv)"
validator=${SEIKYU_EINVOICE_VALIDATE:-$root/../shared/einvoice/validate}
[ -d .venv ] || python3 -m venv .venv
reqs=(-r scripts/requirements-dev.txt)
kit_reqs=$(dirname "$validator")/requirements.txt
[ -f "$kit_reqs" ] && reqs+=(-r "$kit_reqs")
.venv/bin/pip install --quiet --disable-pip-version-check "${reqs[@]}"
export PATH="$root/.venv/bin:$PATH"   # the validator runs with `env python3`
export SEIKYU_EINVOICE_VALIDATE=$validator
if [ -x "$validator" ]; then
  "$validator" --check
elif [ "${CI:-}" = "true" ]; then
  echo "e-invoice validator not found at $validator (set SEIKYU_EINVOICE_VALIDATE)" >&2
  exit 1
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit, property, contract, fixtures through the validator)"
cargo test --workspace --locked

step "JSON Schema accepts every valid fixture"
python3 scripts/check-schema.py
