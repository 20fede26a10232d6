#!/usr/bin/env bash
# Fuzzes the API of `breachcheck serve` from its own OpenAPI document with schemathesis:
# every operation gets generated requests (valid and invalid), and every answer must be no
# 5xx, have a status the document declares for it, the content type, headers and body
# schema it declares; valid requests must be accepted and invalid ones refused, and a
# request without the token must be refused. The document itself must be valid OpenAPI.
# Exits non-zero when schemathesis finds a failure. About a minute on 2 cores.
#
#   scripts/schema-fuzz.sh [--bin target/debug/breachcheck] [--out DIR] [--max-examples N]
#
# SCHEMA_FUZZ_CHECKS (comma-separated), SCHEMA_FUZZ_SEED and SCHEMA_FUZZ_EXAMPLES override
# the checks, the seed (fixed, so a run can be repeated) and the examples per operation.
#
# Makes its own data (`breachcheck demo`), an admin token and a server on a port the system
# picks, signing reports, with one case holding one verified sample so that the ids 1 exist (case 1, sample 1,
# job 1). The server's rate limit is raised so that 429s do not crowd out real answers.
# With --out, schemathesis's JUnit report and the server's log are written there.
set -euo pipefail

bin=target/debug/breachcheck
out=""
max_examples="${SCHEMA_FUZZ_EXAMPLES:-200}"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --max-examples) max_examples="$2"; shift 2 ;;
    *) echo "usage: $0 [--bin BINARY] [--out DIR] [--max-examples N]" >&2; exit 2 ;;
  esac
done
command -v schemathesis >/dev/null || { echo "schemathesis is not installed: python3 -m pip install schemathesis" >&2; exit 2; }
[ -x "$bin" ] || { echo "no binary at $bin: cargo build -p breachcheck-cli" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
[ -z "$out" ] || { mkdir -p "$out"; out="$(cd "$out" && pwd)"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/bc-schema-fuzz.XXXXXX")"
server_pid=""
fuzz_pid=""
cleanup() {
  if [ -n "$fuzz_pid" ] && kill -0 "$fuzz_pid" 2>/dev/null; then
    kill -TERM "$fuzz_pid" 2>/dev/null || true
    wait "$fuzz_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [ -z "$out" ] || cp "$work/server.log" "$out/server.log" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
started=$SECONDS

"$bin" demo --dir "$work/demo" >/dev/null
# Signed reports, so that the signature route answers 200 too.
"$bin" sign-key generate --out "$work/reports.signkey" >/dev/null
token="$("$bin" serve token create --data "$work/data" --role admin --name schema-fuzz | tail -n 1)"
case "$token" in bct_*) ;; *) echo "serve token create printed no token last" >&2; exit 1 ;; esac
# curl reads the header from a file, so the token is not on a command line here.
printf 'Authorization: Bearer %s\n' "$token" >"$work/auth.header"

"$bin" serve --index "$work/demo/index" --key "$work/demo/company.key" --data "$work/data" \
  --sign-key "$work/reports.signkey" --listen 127.0.0.1:0 --rate 100000 --rate-burst 100000 \
  --check-rate 100000 --check-burst 100000 --check-global-rate 100000 >"$work/server.log" 2>&1 &
server_pid=$!
base=""
for _ in $(seq 1 150); do
  base="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/server.log" | head -n 1 || true)"
  [ -n "$base" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "the server exited:" >&2; cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done
[ -n "$base" ] || { echo "the server did not say where it listens" >&2; exit 1; }
echo "schema fuzz: server at $base"

api() { curl -fsS -H @"$work/auth.header" "$@"; }
api -X POST -H 'Content-Type: application/json' -d '{"name":"schema fuzz"}' "$base/api/v1/cases" >/dev/null
api -X POST -H 'Content-Type: application/octet-stream' \
  --data-binary @"$work/demo/samples/genuine-accounts.tsv" \
  "$base/api/v1/cases/1/samples?filename=genuine-accounts.tsv" >/dev/null
state=""
for _ in $(seq 1 600); do
  state="$(api "$base/api/v1/jobs/1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
  case "$state" in done) break ;; failed) echo "job 1 failed" >&2; exit 1 ;; esac
  sleep 0.2
done
[ "$state" = done ] || { echo "job 1 did not finish in 120 s" >&2; exit 1; }
echo "schema fuzz: case 1 holds sample 1, verified ($((SECONDS - started)) s)"
# A self-check claim under the name the document gives as its example, so the public check
# routes answer with a real claim, not only 404.
"$bin" selfcheck publish --data "$work/data" --key "$work/demo/company.key" --claim acme-2026-11 \
  "$work/demo/samples/genuine-accounts.tsv" >/dev/null
sleep 1.1

# The document itself must be valid OpenAPI (every response described, and so on).
status=0
if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  curl -fsS "$base/api/v1/openapi.json" | python3 -c '
import json, sys
from openapi_spec_validator import validate
try:
    validate(json.load(sys.stdin))
except Exception as e:
    sys.exit(f"schema fuzz: the OpenAPI document is not valid OpenAPI: {e}")
print("schema fuzz: the OpenAPI document is valid")' || status=1
else
  echo "schema fuzz: openapi-spec-validator not installed; the document itself is not validated" >&2
fi

# Every check schemathesis 4.32 has (the version .ci/run installs), named so that a newer
# version's new checks come in only when they are added here.
checks="${SCHEMA_FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,negative_data_rejection,\
positive_data_acceptance,missing_required_header,unsupported_method,allow_header_conformance,\
use_after_free,ensure_resource_availability,ignored_auth,object_level_authorization}"
fuzz() {
  local name="$1"; shift
  local report=()
  [ -z "$out" ] || report=(--report junit --report-junit-path "$out/schemathesis-$name.xml")
  # Bounded, and run in the background so that a TERM reaches the trap at once (bash
  # runs traps only after a foreground command ends); the cleanup stops it. From the
  # temporary folder, where schemathesis keeps its .schemathesis cache.
  (cd "$work" && exec timeout --foreground "${SCHEMA_FUZZ_TIMEOUT:-180}" schemathesis run "$base/api/v1/openapi.json" --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks "$checks" --max-examples "$max_examples" --seed "${SCHEMA_FUZZ_SEED:-16}" \
    --workers 1 --request-timeout 30 --output-sanitize true --generation-database none --no-color \
    "${report[@]}" "$@") &
  fuzz_pid=$!
  wait "$fuzz_pid"
}
# Revoking tokens runs last and alone: a generated DELETE /tokens/1 revokes the fuzzer's own
# token, after which every other operation would only ever see 401.
fuzz all --exclude-operation-id revoke_token --exclude-operation-id check_query || status=$?
# A self-check query's blinded element must be a canonical ristretto255 encoding, which no
# JSON schema can say (most 32-byte strings are not one, and are refused with 400): every
# check but the one that wants all schema-valid data accepted.
checks="${checks//positive_data_acceptance,/}" fuzz check --include-operation-id check_query || status=$?
fuzz revoke --include-operation-id revoke_token || status=$?
echo "schema fuzz: finished in $((SECONDS - started)) s with exit code $status"
exit "$status"
