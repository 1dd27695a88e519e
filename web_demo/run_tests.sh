#!/usr/bin/env bash
# The web demo's tests: unit tests of the JS preprocessing (node) and end-to-end tests
# of the page in headless Chromium (playwright-core driving Debian's chromium).
#
#   bash web_demo/run_tests.sh
#
# Installs what is missing (Debian's chromium; `npm ci` from the committed lock file),
# starts web_demo/serve.py on a free loopback port, runs `node --test`, stops the
# server, and exits non-zero on any failure. Screenshots and agreement.json go to
# web_demo/test-results/.
#
# Environment (see tests/helpers.mjs): WEB_DEMO_MODEL_DIR (default models/camvid,
# relative to the repository root), WEB_DEMO_INT8_MODEL, WEB_DEMO_FP32_MODEL,
# WEB_DEMO_IMAGE, CHROMIUM, PYTHON.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
PYTHON="${PYTHON:-python3}"
export PYTHON

# Chromium: Debian's package (Playwright's own browser download does not work here).
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "run_tests.sh: installing Debian's chromium" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
fi

# node_modules: `npm ci` unless it already holds exactly the locked versions.
cd "$HERE"
if ! node -e '
  const fs = require("fs");
  const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith("node_modules/")) continue;
    const pkg = JSON.parse(fs.readFileSync(key + "/package.json", "utf8"));
    if (pkg.version !== entry.version) process.exit(1);
  }' 2>/dev/null; then
  echo "run_tests.sh: npm ci" >&2
  npm ci --no-audit --no-fund
fi

# The models: an absolute path, so the server, the tests and the Python reference agree.
MODEL_DIR="${WEB_DEMO_MODEL_DIR:-models/camvid}"
case "$MODEL_DIR" in /*) ;; *) MODEL_DIR="$REPO/$MODEL_DIR" ;; esac
export WEB_DEMO_MODEL_DIR="$MODEL_DIR"

rm -rf "$HERE/test-results"
mkdir -p "$HERE/test-results"
SERVER_LOG="$HERE/test-results/server.log"
"$PYTHON" "$HERE/serve.py" --port 0 --quiet --model-dir "$MODEL_DIR" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
cleanup() {
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT

URL=""
for _ in $(seq 1 300); do
  URL="$(sed -n 's/^Serving \(http:\/\/127\.0\.0\.1:[0-9]*\/\).*/\1/p' "$SERVER_LOG" | head -n 1)"
  if [ -n "$URL" ]; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "run_tests.sh: serve.py exited:" >&2
    cat "$SERVER_LOG" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$URL" ]; then
  echo "run_tests.sh: serve.py did not start" >&2
  cat "$SERVER_LOG" >&2
  exit 1
fi
export WEB_DEMO_URL="$URL"
echo "run_tests.sh: serving $URL, models from $MODEL_DIR" >&2

status=0
node --test --test-reporter=spec --test-concurrency=1 \
  tests/segment.test.mjs tests/browser.test.mjs || status=$?

if [ -f "$HERE/test-results/agreement.json" ]; then
  node -e '
    const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const [k, e] of Object.entries(a)) {
      console.log(`agreement ${k}: input ${e.input_bytes - e.input_bytes_differing}/${e.input_bytes} bytes equal, ` +
        `class map ${e.classmap_pixels - e.classmap_pixels_differing}/${e.classmap_pixels} pixels ` +
        `(${e.classmap_agreement_pct.toFixed(4)}%), output max |diff| ${e.output_max_abs_diff}`);
    }' "$HERE/test-results/agreement.json"
fi
exit "$status"
