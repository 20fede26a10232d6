#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each), the corpus seeded from what
# the tests use: demo exports and samples, golden normalization values, a real segment.
# Needs the debug `breachcheck` binary (built by `cargo test`). A crash fails the run; its
# input lands in fuzz/artifacts/<target>/ and becomes a regression test.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
../target/debug/breachcheck demo --dir "$seeds/demo" --customers 200 >/dev/null
mkdir -p corpus/ingest corpus/normalize corpus/segment corpus/log corpus/audit
for f in "$seeds"/demo/exports/* "$seeds"/demo/samples/*; do
  head -c 4096 "$f" > "corpus/ingest/$(basename "$f")"
done
i=0
while IFS=$'\t' read -r _role _country raw _expected; do
  i=$((i + 1)); printf '%s' "$raw" > "corpus/normalize/golden-$i"
done < <(cat ../crates/breachcheck-normalize/tests/fixtures/golden/*.tsv | grep -v '^#')
seg="$(ls -S "$seeds"/demo/index/segments/*.bcs | tail -n 1)"
cp "$seg" corpus/segment/smallest.bcs
# A real log: its checkpoint and proofs.
key="$seeds/log.sign"
../target/debug/breachcheck sign-key generate --out "$key" >/dev/null
../target/debug/breachcheck log init --log "$seeds/log" --origin fuzz.example --sign-key "$key" >/dev/null
for i in 1 2 3 4 5; do
  ../target/debug/breachcheck log append --log "$seeds/log" --sign-key "$key" --update "entry $i" >/dev/null
done
cp "$seeds/log/checkpoint" corpus/log/checkpoint
../target/debug/breachcheck log prove --log "$seeds/log" --entry 2 --out corpus/log/inclusion.json
../target/debug/breachcheck log consistency --log "$seeds/log" --old-size 3 --out corpus/log/consistency.json
# A real audit: the set filter, the transcript.
../target/debug/breachcheck index build --key "$seeds/demo/company.key" --index "$seeds/aidx" --system accounts \
  --snapshot 2026-01-31 --audit "$seeds"/demo/exports/accounts-2026-01-31.csv >/dev/null
cp "$seeds"/aidx/audit/*.gcs corpus/audit/set.gcs
../target/debug/breachcheck sign-key generate --out "$seeds/a.sign" >/dev/null
../target/debug/breachcheck audit serve --index "$seeds/aidx" --key "$seeds/demo/company.key" --sign-key "$key" \
  --listen 127.0.0.1:0 --max-sessions 1 > "$seeds/serve.out" 2>/dev/null &
for _ in $(seq 50); do grep -q listening "$seeds/serve.out" 2>/dev/null && break; sleep 0.1; done
addr="$(awk '{print $3}' "$seeds/serve.out" | tr -d ';')"
../target/debug/breachcheck audit run --connect "$addr" --sign-key "$seeds/a.sign" \
  --transcript corpus/audit/transcript.json --json "$seeds/audit.json" "$seeds"/demo/samples/genuine-accounts.tsv 2>/dev/null
wait
for target in ingest normalize segment log audit; do
  echo "fuzz $target for ${secs}s"
  rc=0
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" -- -max_total_time="$secs" -max_len=65536 > "$seeds/$target.log" 2>&1 || rc=$?
  grep -E "^Done|ERROR|panicked|SUMMARY" "$seeds/$target.log" || true
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "artifacts/$target" 2>/dev/null)" ]; then
    tail -40 "$seeds/$target.log" >&2
    echo "fuzz $target failed (exit $rc); crashing inputs, if any, are in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
