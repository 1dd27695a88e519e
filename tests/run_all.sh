#!/usr/bin/env bash
# Install the pinned dependencies and run every test suite: Python (pytest),
# the Android demo's pure-Java core (JUnit), the Android APK (built from Maven Central and
# Debian tools, then checked) and the browser demo (headless Chromium).
# Exits non-zero if any suite fails. Needs ../shared beside the repository.
set -uo pipefail
cd "$(dirname "$0")/.."
export TF_CPP_MIN_LOG_LEVEL=2
python3 -m pip install -q --disable-pip-version-check -r requirements.txt || exit 1

status=0
run() {
  echo "=== $*"
  "$@" || { echo "=== FAILED: $*"; status=1; }
}
# One pytest worker per core (at most 4: each loads TensorFlow), a test file's tests on one
# worker so its module fixtures (converted models, trained tiny runs) are made once.
run python3 -m pytest -q -n auto --maxprocesses 4 --dist loadfile
[ -f android_demo/core/run_tests.sh ] && run bash android_demo/core/run_tests.sh
[ -f android_demo/build_apk.sh ] && run bash android_demo/build_apk.sh --check
[ -f web_demo/run_tests.sh ] && run bash web_demo/run_tests.sh
exit $status
