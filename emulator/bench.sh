#!/usr/bin/env bash
# 256 MiB PutObject into the emulator's memory store: alioss V4-signed reqwest in-process, and
# `curl -T` to the release binary (anonymous PUT into a public-read-write bench bucket).
set -euo pipefail
cd "$(dirname "$0")/.."
mib="${1:-256}"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release --quiet -p alioss-emulator --bin alioss-emulator --example put_bench
echo "== in-process, alioss V4 signer + reqwest"
target/release/examples/put_bench "$mib"
python3 - "$work/cfg.json" <<'PY'
import json, sys
cfg = json.load(open("emulator/config.example.json"))
cfg["buckets"].append({"name": "benchbucket", "region": "cn-hangzhou", "acl": "public-read-write"})
json.dump(cfg, open(sys.argv[1], "w"))
PY
head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/body.bin"
target/release/alioss-emulator --listen 127.0.0.1:0 --config "$work/cfg.json" >"$work/out" &
pid=$!
for _ in $(seq 50); do grep -q READY "$work/out" 2>/dev/null && break; sleep 0.1; done
ep="$(grep -o 'http://127.0.0.1:[0-9]*' "$work/out" | head -1)"
echo "== curl -T to the release binary"
for i in 1 2 3; do
  curl -s -o /dev/null -w "round $i: HTTP %{http_code}, $mib MiB in %{time_total} s = %{speed_upload} B/s\n" \
    -T "$work/body.bin" "$ep/benchbucket/curl$i"
done
