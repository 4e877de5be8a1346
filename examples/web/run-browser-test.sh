#!/usr/bin/env bash
# The upload page's test in a real headless browser, in one command:
#
#   bash examples/web/run-browser-test.sh
#
# Installs what is missing (Debian's `chromium` with apt-get when /usr/bin/chromium is absent;
# the npm packages from package-lock.json with `npm ci`), builds the sts_server example, and runs
# test/browser.test.mjs with node's test runner. Screenshots of the page after each upload go to
# target/ci-artifacts/browser/ (or $CI_ARTIFACTS_DIR). Skips, saying why, only when the chromium
# package cannot be installed; any other failure fails.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$chromium" ]; then
  echo "browser test: $chromium is missing; installing Debian's chromium package"
  if command -v apt-get >/dev/null 2>&1 \
    && apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    echo "browser test: chromium installed"
  fi
  if [ ! -x "$chromium" ]; then
    echo "SKIPPED: browser test: the chromium package could not be installed (needs apt-get as root and a Debian package mirror); nothing was tested"
    exit 0
  fi
fi
"$chromium" --version || true

echo "browser test: npm ci (ali-oss browser bundle, playwright-core)"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)

echo "browser test: building the sts_server example"
(cd "$repo" && cargo build --example sts_server)
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
export STS_SERVER_BIN="${STS_SERVER_BIN:-$target_dir/debug/examples/sts_server}"
export CI_ARTIFACTS_DIR="${CI_ARTIFACTS_DIR:-$repo/target/ci-artifacts/browser}"
export CHROMIUM_PATH="$chromium"

cd "$here"
node --test --test-reporter=spec test/
echo "browser test: screenshots in $CI_ARTIFACTS_DIR"
