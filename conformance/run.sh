#!/usr/bin/env bash
# Conformance of alioss-emulator with a client this project did not write: Alibaba Cloud's
# official Python SDKs (alibabacloud-oss-v2 for OSS, alibabacloud-sts20150401 for AssumeRole).
#
# 1. makes (or reuses) a virtualenv under target/ with the pinned SDKs of requirements.txt;
# 2. builds and starts `alioss-emulator --listen 127.0.0.1:0`, reads its READY line;
# 3. runs conformance.py, which prints `PASS`/`FAIL` per case and `N passed, M failed`;
# 4. always stops the emulator; exits non-zero on any mismatch.
#
# Needs only python3 (>= 3.9, with venv and pip) and the Rust toolchain; no stdin, no network
# beyond the package index and 127.0.0.1. Environment:
#   CONFORMANCE_VENV     virtualenv directory (default: <target dir>/conformance-venv)
#   CONFORMANCE_VERBOSE  1 = print a (redacted) traceback for unexpected errors
#   CARGO_TARGET_DIR     honoured when locating the emulator binary
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

target_dir="${CARGO_TARGET_DIR:-$root/target}"
venv="${CONFORMANCE_VENV:-$target_dir/conformance-venv}"
requirements="$here/requirements.txt"

say() { printf 'conformance: %s\n' "$*"; }

# --- 1. virtualenv with the official SDKs --------------------------------------------------------
python=""
for candidate in python3.11 python3.12 python3.13 python3.10 python3.9 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
    python="$candidate"
    break
  fi
done
if [ -z "$python" ]; then
  say "no python3 >= 3.9 with the venv module found" >&2
  exit 1
fi

stamp="$venv/.requirements.sha256"
want="$( ("$python" --version; cat "$requirements") | sha256sum | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  say "creating virtualenv $venv with $("$python" --version 2>&1)"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check \
    -r "$requirements"
  echo "$want" >"$stamp"
else
  say "reusing virtualenv $venv"
fi
"$venv/bin/python" -m pip show --quiet alibabacloud-oss-v2 >/dev/null
say "SDKs: $("$venv/bin/python" -m pip list --disable-pip-version-check 2>/dev/null |
  awk '$1 ~ /^alibabacloud-(oss-v2|sts20150401|tea-openapi)$/ {printf "%s %s; ", $1, $2}')"

# --- 2. the emulator -----------------------------------------------------------------------------
say "building alioss-emulator"
cargo build --quiet -p alioss-emulator --bin alioss-emulator
bin="$target_dir/debug/alioss-emulator"

work="$(mktemp -d "${TMPDIR:-/tmp}/alioss-conformance.XXXXXX")"
chmod 700 "$work"
emu_pid=""
cleanup() {
  if [ -n "$emu_pid" ] && kill -0 "$emu_pid" 2>/dev/null; then
    kill "$emu_pid" 2>/dev/null || true
    wait "$emu_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" --listen 127.0.0.1:0 </dev/null >"$work/stdout" 2>"$work/stderr" &
emu_pid=$!

ready=""
for _ in $(seq 1 300); do   # up to 30 s
  ready="$(grep -m1 '^ALIOSS_EMULATOR_READY ' "$work/stdout" 2>/dev/null || true)"
  [ -n "$ready" ] && break
  if ! kill -0 "$emu_pid" 2>/dev/null; then
    say "the emulator exited before printing its READY line; its stderr:" >&2
    tail -n 40 "$work/stderr" >&2 || true
    exit 1
  fi
  sleep 0.1
done
if [ -z "$ready" ]; then
  say "no ALIOSS_EMULATOR_READY line within 30 s; emulator stderr:" >&2
  tail -n 40 "$work/stderr" >&2 || true
  exit 1
fi
# The READY JSON carries (fake, local) credentials: hand it over in a private file, never echo it.
printf '%s\n' "${ready#ALIOSS_EMULATOR_READY }" >"$work/ready.json"
say "emulator running (pid $emu_pid)"

# --- 3. the conformance cases --------------------------------------------------------------------
status=0
# Only 127.0.0.1 is spoken to: a proxy from the environment must not step in.
env -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY -u all_proxy -u ALL_PROXY \
  timeout 300 "$venv/bin/python" "$here/conformance.py" --ready-file "$work/ready.json" \
  2>&1 | tee "$work/output" || status=$?
# Belt and braces: none of the emulator's configured secrets may appear in what was printed.
if ! "$venv/bin/python" - "$work/ready.json" "$work/output" <<'PY'
import json, sys
ready = json.load(open(sys.argv[1]))
secrets = [ready["root"]["access_key_secret"]]
secrets += [u["access_key_secret"] for u in ready.get("users", {}).values()]
printed = open(sys.argv[2], encoding="utf-8", errors="replace").read()
sys.exit(1 if any(s and s in printed for s in secrets) else 0)
PY
then
  say "a configured secret appeared in the output above (redaction failed)" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  say "FAILED (exit $status); last lines of the emulator's stderr:" >&2
  tail -n 20 "$work/stderr" >&2 || true
fi
exit "$status"
