#!/usr/bin/env bash
# Compile and run the pure-Java core's JUnit 4 tests with plain javac (no Gradle, no network
# beyond Debian's package mirror when junit4 is missing).
#   bash android_demo/core/run_tests.sh            # all test classes
#   bash android_demo/core/run_tests.sh LetterboxTest GoldenTest
# Exit status is JUnit's: non-zero when a test fails.
set -euo pipefail

CORE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUILD="$CORE/build/javac"
JUNIT_JAR="${JUNIT_JAR:-/usr/share/java/junit4.jar}"
HAMCREST_JAR="${HAMCREST_JAR:-/usr/share/java/hamcrest-core.jar}"

need_junit() { [[ ! -f "$JUNIT_JAR" || ! -f "$HAMCREST_JAR" ]]; }

if ! command -v javac >/dev/null 2>&1 || need_junit; then
    echo "run_tests.sh: installing the JDK/junit4 from apt" >&2
    SUDO=""
    if [[ "$(id -u)" != 0 ]]; then SUDO="sudo"; fi
    pkgs="junit4"
    command -v javac >/dev/null 2>&1 || pkgs="$pkgs openjdk-17-jdk-headless"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq $pkgs >/dev/null
fi
if need_junit; then
    echo "run_tests.sh: $JUNIT_JAR or $HAMCREST_JAR missing after installing junit4" >&2
    exit 2
fi

rm -rf "$BUILD"
mkdir -p "$BUILD/classes"
CP="$JUNIT_JAR:$HAMCREST_JAR"

# One javac run for main + test (JVM start-up dominates). --release 8 keeps the core to the
# Java level build_apk.sh compiles and dexes (no desugaring); the core must not import android.* (checked).
find "$CORE/src/main/java" "$CORE/src/test/java" -name '*.java' > "$BUILD/sources.txt"
if grep -rlE '^import (android|androidx)\.' "$CORE/src/main/java"; then
    echo "run_tests.sh: the core must not depend on Android (files above)" >&2
    exit 2
fi
javac --release 8 -Xlint:all,-options -Werror -encoding UTF-8 -cp "$CP" -d "$BUILD/classes" @"$BUILD/sources.txt"

if [[ $# -gt 0 ]]; then
    classes=()
    for c in "$@"; do classes+=("org.bisenetv2tf.core.${c##*.}"); done
else
    mapfile -t classes < <(cd "$BUILD/classes" && find . -name '*Test.class' ! -name '*$*' \
        | sed -e 's|^\./||' -e 's|\.class$||' -e 's|/|.|g' | sort)
fi

exec java -cp "$BUILD/classes:$CORE/src/test/resources:$CP" org.junit.runner.JUnitCore "${classes[@]}"
