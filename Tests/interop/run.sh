#!/usr/bin/env bash
# Runs the reference-library client against a real `addon-lifecycle serve` on the test server
# (DATABASE_URL from .ci/with-postgres). Called by the test command after `swift test`.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(swift build --show-bin-path)/addon-lifecycle
venv=.build/interop-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import standardwebhooks" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==1.1.0"
fi
psql "$DATABASE_URL" -qc "CREATE DATABASE interop" >/dev/null
url="${DATABASE_URL%/*}/interop"
secret="whsec_$(head -c 32 /dev/urandom | base64)"
port=$(.ci/free-port)
DATABASE_URL=$url "$bin" migrate >/dev/null
DATABASE_URL=$url WEBHOOK_SECRETS=$secret PORT=$port HOST=127.0.0.1 LOG_LEVEL=error "$bin" serve &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
.ci/wait-http "$server" "http://127.0.0.1:$port/healthz"
"$venv/bin/python" Tests/interop/standardwebhooks_client.py "http://127.0.0.1:$port" "$secret"
