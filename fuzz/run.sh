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
mkdir -p corpus/ingest corpus/normalize corpus/segment corpus/log corpus/audit corpus/prepared corpus/candidates
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
# Prepared records of a real export (what Spark executors hand the merge), and the tables of
# a real candidates directory (the first byte picks which table the rest replaces).
demo_export="$seeds/demo/exports/accounts-2026-01-31.csv"
awk 'NR > 1 && NR <= 9 { printf "%d\t%s\n", NR, $0 }' "$demo_export" > "$seeds/lines.tsv"
../target/debug/breachcheck index prepare --key "$seeds/demo/company.key" --head "$demo_export" \
  < "$seeds/lines.tsv" > "$seeds/prepared.tsv"
python3 - "$seeds/prepared.tsv" corpus/prepared <<'PY'
import base64, pathlib, sys
for i, line in enumerate(pathlib.Path(sys.argv[1]).read_text().splitlines()):
    fields = line.split("\t", 2)
    if len(fields) == 3 and fields[1] == "r":
        rest = fields[2]
        data = base64.b64decode(rest + "=" * (-len(rest) % 4))
        pathlib.Path(sys.argv[2], f"real-{i}").write_bytes(data)
PY
../target/debug/breachcheck index export --index "$seeds/demo/index" --out "$seeds/export" >/dev/null
../target/debug/breachcheck tags --key "$seeds/demo/company.key" --manifest "$seeds/export" \
  --out "$seeds/st.parquet" "$seeds"/demo/samples/genuine-accounts.tsv >/dev/null
for t in 0 1 2; do
  table=(sample_tags postings records)
  src="$(find "$seeds/export/${table[$t]}" -name '*.parquet' -print -quit 2>/dev/null || true)"
  [ -n "$src" ] || src="$seeds/st.parquet"
  { printf "\\x0$t"; head -c 60000 "$src"; } > "corpus/candidates/real-$t"
done
for target in ingest normalize segment log audit prepared candidates; do
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
