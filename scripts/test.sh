#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this). Works on a fresh machine with cargo
# and python3: it installs the validator's Python packages into .venv and poppler-utils (apt-get) itself.
#
#   ./scripts/test.sh
#
# Environment: SEIKYU_EINVOICE_VALIDATE (default ../shared/einvoice/validate). With CI=true a missing
# validator fails the run; otherwise the tests that need it say what is missing and skip.
# It brings up the local AWS stack (scripts/local-stack.sh: LocalStack + cargo lambda watch) for the
# contract and end-to-end tests and tears it down on exit, also when a test fails.
# SEIKYU_NO_STACK=1 skips the stack (those tests then skip, except under CI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

step() { printf '\n== %s  [%d s]\n' "$*" "$SECONDS"; }

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

step "poppler-utils (pdftotext, pdffonts, pdfdetach read the PDF documents back)"
if ! command -v pdftotext >/dev/null || ! command -v pdfdetach >/dev/null; then
  apt_get() { if [ "$(id -u)" = 0 ]; then apt-get "$@"; else sudo -n apt-get "$@"; fi; }
  apt_get install -y -q poppler-utils >/dev/null 2>&1 ||
    { apt_get update -q >/dev/null 2>&1 && apt_get install -y -q poppler-utils >/dev/null 2>&1; } || true
fi
if command -v pdftotext >/dev/null; then
  pdftotext -v 2>&1 | head -1
elif [ "${CI:-}" = "true" ]; then
  echo "poppler-utils could not be installed (apt-get as root or sudo)" >&2
  exit 1
else
  echo "poppler-utils missing and not installable here: the tests that read PDFs back will skip" >&2
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "local tools (LocalStack, DynamoDB Local, cargo-lambda, cfn-lint; Stripe's SDK for signature tests)"
scripts/local-stack.sh install
[ -d .local/stripe-sdk/node_modules/stripe ] ||
  npm install --silent --no-audit --no-fund --prefix .local/stripe-sdk stripe@23.1.0 >/dev/null

step "cfn-lint infra/template.yaml"
.local/tools-venv/bin/cfn-lint infra/template.yaml

# The pure crates alone: features are not unified with the rest of the workspace here, so a clock read
# (chrono's `clock` feature), tokio or an AWS type in them fails this step even when the workspace builds.
step "the pure crates build on their own (domain, einvoice, payments, documents, banking)"
cargo check --locked -p seikyu-domain -p seikyu-einvoice -p seikyu-payments -p seikyu-documents -p seikyu-banking
tree=$(cargo tree --locked -e normal --prefix none -p seikyu-domain -p seikyu-einvoice -p seikyu-payments \
  -p seikyu-documents -p seikyu-banking)
impure=$(grep -E '^(tokio|aws-[a-z0-9-]+|aws_[a-z_]+|lambda_[a-z_]+|seikyu-service|seikyu-aws) v' <<<"$tree" | sort -u || true)
clock=$(grep -rnE 'SystemTime::now|Instant::now|Utc::now|Local::now' shared/domain/src shared/einvoice/src \
  shared/payments/src shared/documents/src shared/banking/src || true)
if [ -n "$impure$clock" ]; then
  echo "a pure crate depends on a runtime, AWS or the service layer, or reads a clock:" >&2
  echo "$impure$clock" >&2
  exit 1
fi

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test --no-run (build every test once)"
cargo test --workspace --locked --no-run

if [ "${SEIKYU_NO_STACK:-}" != 1 ]; then
  step "local stack up (LocalStack from infra/template.yaml, functions under cargo lambda watch)"
  trap 'scripts/local-stack.sh down' EXIT
  scripts/local-stack.sh up
  export SEIKYU_E2E=1
fi

step "cargo test (unit, property, contract on memory and DynamoDB, end to end, fixtures through the validator)"
cargo test --workspace --locked

if [ "${SEIKYU_NO_STACK:-}" != 1 ]; then
  # The same suites with the clocks on another date: a leap day, in another fiscal year (README: Dates
  # in tests). Restarts the stack on a test clock; test binaries are already built.
  step "contract and end-to-end suites on 2028-02-29"
  scripts/test-dates.sh 2028-02-29
fi

step "JSON Schema accepts every valid fixture"
python3 scripts/check-schema.py

# `sam build` compiles the functions in release, which can fail where debug builds pass (an async main
# too deep for rustc's type-layout limit in release was caught only this way). `cargo check --release`
# finds that in a few minutes; a full release build with LTO took 12.
step "cargo check --release of the eight functions (what sam build compiles)"
cargo check --release --locked -p invoice-api -p invoice-mailer -p outbox-sweeper -p payment-webhook \
  -p receipt-issuer -p dunning-scheduler -p reminder-sender -p bank-statement-importer

step "a release build refuses the local stack's test clock"
if out=$(cargo check --release --locked -p seikyu-aws --features test-clock 2>&1); then
  echo "cargo check --release --features test-clock compiled: the test clock could reach a release build" >&2
  exit 1
fi
grep -q "debug builds only" <<<"$out" || { echo "$out" >&2; exit 1; }
echo "refused, as it must be"
