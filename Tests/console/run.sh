#!/usr/bin/env bash
# The operator console in a real browser (Debian's chromium, driven by PyPI selenium through
# chromium-driver) against a real `addon-lifecycle run` on the test server (DATABASE_URL from
# .ci/with-postgres), with scenarios sent as signed webhooks and a local delivery receiver.
# Screenshots at 390 and 1280 px go to .build/console-screenshots (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(swift build --show-bin-path)/addon-lifecycle
venv=.build/console-venv
requirements=Tests/console/requirements.txt
.ci/python-venv "$requirements" "$venv"
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS console" -c "CREATE DATABASE console" >/dev/null
url="${DATABASE_URL%/*}/console"
secret="whsec_$(head -c 32 /dev/urandom | base64)"
token="tok_$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
port=$(.ci/free-port)
DATABASE_URL=$url "$bin" migrate >/dev/null
DATABASE_URL=$url WEBHOOK_SECRETS=$secret API_TOKEN=$token PORT=$port HOST=127.0.0.1 LOG_LEVEL=error DELIVERY_ALLOW_PRIVATE=true "$bin" run &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
.ci/wait-http "$server" "http://127.0.0.1:$port/healthz"
screenshots=.build/console-screenshots
rm -rf "$screenshots"
mkdir -p "$screenshots"
DATABASE_URL=$url "$venv/bin/python" Tests/console/console_test.py "http://127.0.0.1:$port" "$token" "$secret" "$screenshots"
