#!/usr/bin/env bash
# Generated clients against a live server: openapi-python-client and openapi-generator's
# `python` generator build a client from the committed document (failing on any schema they
# cannot process), and each runs its smoke script (opc_smoke.py, oag_smoke.py).
#
# Usage: tests/clients/run.sh <path to the portico binary> <python venv>
# The venv gets the pinned generators and the generated clients' runtime dependencies.
# openapi-generator-cli from PyPI bundles the generator's jar (Java 11+ runs it).
set -euo pipefail
BIN="$(realpath "$1")"
VENV="$2"
HERE="$(realpath "$(dirname "$0")")"
SCHEMA="$(realpath "$HERE/../../openapi/portico.json")"
WORK="$(mktemp -d)"
trap 'kill "${SERVER_PID:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  openapi-python-client==0.29.1 openapi-generator-cli==7.26.0 \
  urllib3==2.8.0 python-dateutil==2.9.0.post0

generate() { # <name> <log> <command...>: fails on a schema or operation the generator dropped
  local name="$1" log="$2"
  shift 2
  if ! "$@" >"$log" 2>&1; then cat "$log"; echo "FAIL: $name could not generate a client"; exit 1; fi
  if grep -qiE "unable to process|could not be parsed|\\bERROR\\b" "$log"; then
    grep -iE -A12 "unable to process|could not be parsed|\\bERROR\\b" "$log"
    echo "FAIL: $name dropped part of the document"
    exit 1
  fi
}
generate openapi-python-client "$WORK/opc.log" \
  "$VENV/bin/openapi-python-client" generate --path "$SCHEMA" --meta none \
  --output-path "$WORK/opc/portico_client"
generate "openapi-generator python" "$WORK/oag.log" \
  "$VENV/bin/openapi-generator-cli" generate -i "$SCHEMA" -g python -o "$WORK/oag" \
  --package-name portico_oag --global-property apiTests=false,modelTests=false,apiDocs=false,modelDocs=false

cd "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PORTICO_BIND="127.0.0.1:$PORT" PORTICO_PUBLIC_URL="http://127.0.0.1:$PORT" RUST_LOG=warn
BASE="http://127.0.0.1:$PORT"
KEY=$("$BIN" practice create --slug client-clinic --name "Client Clinic" --phone 555-0100 | tail -n1)
"$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done

PYTHONPATH="$WORK/opc" "$VENV/bin/python" "$HERE/opc_smoke.py" "$BASE" "$KEY"
PYTHONPATH="$WORK/oag" "$VENV/bin/python" "$HERE/oag_smoke.py" "$BASE" "$KEY"
