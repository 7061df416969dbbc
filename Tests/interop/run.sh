#!/usr/bin/env bash
# Independent clients against a real `addon-lifecycle run` on the test server (DATABASE_URL from
# .ci/with-postgres). Called by the test command after `swift test`:
#  1. the Standard Webhooks reference library (PyPI `standardwebhooks`) signs events we must accept,
#     and verifies every transition we deliver for the scenarios of SPEC §3;
#  2. `openapi-spec-validator` validates Sources/API/openapi.yaml;
#  3. `schemathesis` fuzzes every documented operation and fails on any 5xx or any response the
#     document does not describe.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(swift build --show-bin-path)/addon-lifecycle
venv=.build/interop-venv
requirements=Tests/interop/requirements.txt
.ci/python-venv "$requirements" "$venv"
psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS interop" -c "CREATE DATABASE interop" >/dev/null
url="${DATABASE_URL%/*}/interop"
secret="whsec_$(head -c 32 /dev/urandom | base64)"
token="tok_$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
port=$(.ci/free-port)
DATABASE_URL=$url "$bin" migrate >/dev/null
DATABASE_URL=$url WEBHOOK_SECRETS=$secret API_TOKEN=$token PORT=$port HOST=127.0.0.1 LOG_LEVEL=error DELIVERY_ALLOW_PRIVATE=true "$bin" run &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
.ci/wait-http "$server" "http://127.0.0.1:$port/healthz"

"$venv/bin/python" Tests/interop/standardwebhooks_client.py "http://127.0.0.1:$port" "$secret"
"$venv/bin/python" Tests/interop/standardwebhooks_receiver.py "http://127.0.0.1:$port" "$token" "$secret"

"$venv/bin/openapi-spec-validator" Sources/API/openapi.yaml

# The document the server serves is the one in the repository.
curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/openapi.yaml" | cmp - Sources/API/openapi.yaml

"$venv/bin/schemathesis" run Sources/API/openapi.yaml --url "http://127.0.0.1:$port" \
    --header "Authorization: Bearer $token" --checks all --max-examples "${SCHEMATHESIS_EXAMPLES:-40}" \
    --generation-deterministic --no-color
