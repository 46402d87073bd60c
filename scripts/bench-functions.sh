#!/usr/bin/env bash
# Function budgets (a measurement script, not a test):
#   - per function: stripped release binary and zip size (budget: zip <= 8 MB; invoice-mailer, which
#     carries the PDF typesetter and its fonts: 25 MB);
#   - init time from process start to the first poll of a local Runtime API, median of 20 starts
#     (budget: 40 ms; invoice-mailer, which loads the fonts and templates at init: 100 ms);
#   - AWS calls per created invoice and per mailed invoice (needs `scripts/local-stack.sh up`).
#
#   scripts/bench-functions.sh            # x86_64 (this machine)
#   SEIKYU_ARM64=1 scripts/bench-functions.sh   # arm64 as deployed (needs the aarch64 rust-std installed)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/local-stack.sh install >/dev/null
export PATH=$PWD/.local/tools-venv/bin:$PATH
arch=()
[ "${SEIKYU_ARM64:-}" = 1 ] && arch=(--arm64)
functions=(invoice-api invoice-mailer outbox-sweeper payment-webhook receipt-issuer dunning-scheduler reminder-sender
  bank-statement-importer)
pkgs=()
for f in "${functions[@]}"; do pkgs+=(-p "$f"); done

echo "== release build (cargo lambda build --release ${arch[*]})"
cargo lambda build --release "${arch[@]}" "${pkgs[@]}" >/dev/null 2>&1 || cargo lambda build --release "${arch[@]}" "${pkgs[@]}"

echo "== sizes (budget: zip <= 8 MB; invoice-mailer 25 MB)"
printf '%-16s %12s %12s\n' function binary zip
for f in "${functions[@]}"; do
  bin=target/lambda/$f/bootstrap
  python3 - "$bin" <<'PY'
import os, sys, zipfile
b = sys.argv[1]
z = b + ".zip"
with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o755 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, open(b, "rb").read())
name = b.split("/")[-2]
print(f"{name:<16} {os.path.getsize(b)/1e6:>9.2f} MB {os.path.getsize(z)/1e6:>9.2f} MB")
PY
done

echo "== init time to the first Runtime API poll (budget: median <= 40 ms; invoice-mailer 100 ms)"
if [ "${SEIKYU_ARM64:-}" = 1 ] && [ "$(uname -m)" != aarch64 ]; then
  echo "  (arm64 binaries do not run on $(uname -m); measure on arm64 or without SEIKYU_ARM64)"
else
  for f in "${functions[@]}"; do
    python3 scripts/runtime-api-probe.py "target/lambda/$f/bootstrap" --runs 20
  done
fi

echo "== AWS calls per invoice (local stack)"
if curl -sf http://127.0.0.1:4566/_localstack/health >/dev/null 2>&1 && [ -f .local/stack.env ]; then
  cargo run -q -p seikyu-tests --example call_counts
else
  echo "  the local stack is not running: scripts/local-stack.sh up, then run this again"
fi
