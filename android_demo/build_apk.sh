#!/usr/bin/env bash
# Build the Android demo into a signed APK without Gradle or the Android SDK: Debian's
# aapt2 / zipalign / apksigner, and pinned artifacts from Maven Central (the LiteRT AAR and
# the API classes it needs, android-all as android.jar, R8's D8 as the dexer). Versions:
# gradle/libs.versions.toml, the same catalog the Gradle project reads.
#
#   bash android_demo/build_apk.sh            # -> android_demo/build/bisenetv2-demo.apk
#   bash android_demo/build_apk.sh --check    # build, then check the APK (CI runs this)
#   bash android_demo/build_apk.sh --print-config
#   APK_ABIS=arm64-v8a bash android_demo/build_apk.sh   # one ABI only (default: all three)
#
# Every native library in the APK is LiteRT's, 16 KB-aligned (ELF LOAD segments), stored
# uncompressed at a 16 KB offset in the zip (tools/apk_align.py: Debian's zipalign has no
# -P 16) and loaded from the APK (extractNativeLibs="false"), so the app loads on 16 KB-page
# devices (Android 15+).
#
# It states what it needs before it starts and installs what is missing: Debian packages with
# apt-get; Maven Central artifacts with mvn; for --check, a virtualenv with the exact
# requirements.txt pins of numpy, Pillow and ai-edge-litert (pip, from PyPI), and gcc + patchelf
# (the APK's x86_64 LiteRT library runs the app's inference path on this JVM). Downloads are
# cached outside git: Maven's local repository (~/.m2/repository, or MAVEN_REPO) and
# BISENETV2_ANDROID_CACHE (~/.cache/bisenetv2-android: debug keystore, the virtualenv).
# The models come from models/camvid (MODELS_DIR) and are copied into build/assets.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BUILD="$HERE/build"
CATALOG="$HERE/gradle/libs.versions.toml"
CACHE="${BISENETV2_ANDROID_CACHE:-$HOME/.cache/bisenetv2-android}"
MAVEN_REPO="${MAVEN_REPO:-$HOME/.m2/repository}"
MODELS_DIR="${MODELS_DIR:-$REPO/models/camvid}"
APK="$BUILD/bisenetv2-demo.apk"
PACKAGE="org.bisenetv2tf.demo"
FRAMEWORK_RES=/usr/share/android-framework-res/framework-res.apk
# sources: the Gradle project's default source sets (app/build.gradle.kts sets none)
APP_JAVA="$HERE/app/src/main/java"
APP_RES="$HERE/app/src/main/res"
APP_MANIFEST="$HERE/app/src/main/AndroidManifest.xml"
APP_TEST_JAVA="$HERE/app/src/test/java"
CORE_JAVA="$HERE/core/src/main/java"

MODE="build"
case "${1:-}" in
    "") ;;
    --check) MODE="check" ;;
    --print-config) MODE="print" ;;
    *) echo "usage: $0 [--check | --print-config]" >&2; exit 2 ;;
esac

die() { echo "build_apk.sh: $*" >&2; exit 1; }
step() { echo "--- $*"; }

version() { # catalog key -> value of `key = "value"` under [versions]
    local v
    v="$(sed -n '/^\[versions\]/,/^\[/p' "$CATALOG" | sed -n "s/^$1 *= *\"\([^\"]*\)\".*/\1/p")"
    [[ -n "$v" ]] || die "no version '$1' in $CATALOG"
    echo "$v"
}
LITERT="$(version litert)"
TFLITE_API="$(version tfliteApi)"
COMPILE_SDK="$(version compileSdk)"
TARGET_SDK="$(version targetSdk)"
MIN_SDK="$(version minSdk)"
ANDROID_ALL_COMPILE="$(version androidAllCompileSdk)"
ANDROID_ALL_MIN="$(version androidAllMinSdk)"
R8="$(version r8)"
JUNIT="$(version junit)"
ROBOLECTRIC="$(version robolectric)"
ROBOLECTRIC_SDK="$(version robolectricSdk)"
ANDROID_ALL_INSTRUMENTED="$(version androidAllInstrumented)"
VERSION_CODE=1
VERSION_NAME="1.0"
# The ABIs LiteRT's AAR has a library for (it has no x86); APK_ABIS="arm64-v8a" builds a
# smaller APK for phones only. An ABI whose library is not 16 KB aligned is left out of the
# APK, with a message (see "native libraries" below), and --check fails.
ABIS="${APK_ABIS:-arm64-v8a armeabi-v7a x86_64}"
PAGE_ALIGN=16384
# name:group:artifact:version:packaging
ARTIFACTS=(
    "android-all-compile:org.robolectric:android-all:$ANDROID_ALL_COMPILE:jar"
    "android-all-min:org.robolectric:android-all:$ANDROID_ALL_MIN:jar"
    "r8:com.android.tools:r8:$R8:jar"
    # LiteRT: org.tensorflow.lite.Interpreter's implementation + lib/<abi>/libLiteRt.so
    "litert:com.google.ai.edge.litert:litert:$LITERT:aar"
    # the API classes it needs (InterpreterApi, Tensor, DataType, TensorFlowLite): litert-api
    # is not on Maven Central; org.tensorflow's tensorflow-lite-api has them (no native code)
    "tflite-api:org.tensorflow:tensorflow-lite-api:$TFLITE_API:aar"
)
# --check runs the shipped models on the project's Python LiteRT: the requirements.txt pins
REQUIREMENTS="$REPO/requirements.txt"
pin() { # package -> its exact pin from requirements.txt
    local v
    v="$(sed -n "s/^$1==\([^ ;#]*\).*/\1/p" "$REQUIREMENTS" 2>/dev/null | head -1)"
    [[ -n "$v" ]] || die "no exact pin '$1==...' in $REQUIREMENTS"
    echo "$v"
}

if [[ "$MODE" == "print" ]]; then
    echo "litert=$LITERT"
    echo "tfliteApi=$TFLITE_API"
    echo "abis=$ABIS"
    echo "compileSdk=$COMPILE_SDK"
    echo "targetSdk=$TARGET_SDK"
    echo "minSdk=$MIN_SDK"
    echo "junit=$JUNIT"
    echo "robolectric=$ROBOLECTRIC"
    echo "javaRelease=8"
    echo "package=$PACKAGE"
    for a in "${ARTIFACTS[@]}"; do
        IFS=: read -r _ g n v _ <<<"$a"
        echo "artifact=$g:$n:$v"
    done
    for d in "$APP_JAVA" "$CORE_JAVA" "$APP_RES" "$APP_MANIFEST" "$APP_TEST_JAVA"; do
        echo "source=${d#"$HERE"/}"
    done
    exit 0
fi

T0=$(date +%s)

# ---------------------------------------------------------------- requirements
# command:Debian package. JDK 17 (javac, jar, jdeps, keytool), Android build tools from Debian
# bookworm, binutils' readelf (ELF alignment), Python 3 (tools/apk_align.py, standard library).
TOOLS=(aapt2:aapt zipalign:zipalign apksigner:apksigner dexdump:dexdump mvn:maven zip:zip unzip:unzip
       javac:openjdk-17-jdk-headless jar:openjdk-17-jdk-headless jdeps:openjdk-17-jdk-headless
       keytool:openjdk-17-jdk-headless readelf:binutils python3:python3)
if [[ "$MODE" == "check" ]]; then
    # the APK's x86_64 libLiteRt.so made loadable on glibc (tools/desktop_litert/port_litert.sh)
    TOOLS+=(gcc:gcc patchelf:patchelf nm:binutils)
    NUMPY="$(pin numpy)"
    PILLOW="$(pin pillow)"
    PY_LITERT="$(pin ai-edge-litert)"
    # the models are checked on the Python build of the LiteRT release series the APK ships
    [[ "${PY_LITERT%.*}" == "${LITERT%.*}" ]] || die "the APK ships LiteRT $LITERT but requirements.txt pins" \
        "ai-edge-litert==$PY_LITERT: --check runs the models on the same release series (${LITERT%.*}.x)"
    PY_PINS=("numpy==$NUMPY" "pillow==$PILLOW" "ai-edge-litert==$PY_LITERT")
    VENV="$CACHE/check-venv-$(printf '%s\n' "${PY_PINS[@]}" | sha256sum | cut -c1-12)"
fi
debian_pkgs="$(printf '%s\n' "${TOOLS[@]#*:}" android-framework-res junit4 | sort -u | tr '\n' ' ')"
maven_artifacts="$(for a in "${ARTIFACTS[@]}"; do IFS=: read -r _ g n v _ <<<"$a"; printf '%s ' "$g:$n:$v"; done)"
if [[ "$MODE" == "check" ]]; then
    debian_pkgs+="python3-venv "
    maven_artifacts+="+ Robolectric $ROBOLECTRIC with its dependencies"
fi
echo "build_apk.sh needs: JDK 17 and Debian packages ${debian_pkgs% }"
echo "  from Maven Central (mvn, into $MAVEN_REPO): ${maven_artifacts% }"
if [[ "$MODE" == "check" ]]; then
    echo "  --check: Python 3.11+ and a virtualenv $VENV with ${PY_PINS[*]} (requirements.txt pins, pip from PyPI)"
fi
echo "  missing ones are installed now"

need_pkgs=()
for tool in "${TOOLS[@]}"; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need_pkgs+=("${tool#*:}")
done
[[ -f "$FRAMEWORK_RES" ]] || need_pkgs+=(android-framework-res)
[[ -f /usr/share/java/junit4.jar && -f /usr/share/java/hamcrest-core.jar ]] || need_pkgs+=(junit4)
if [[ "$MODE" == "check" ]] && ! python3 -c 'import venv, ensurepip' 2>/dev/null; then need_pkgs+=(python3-venv); fi
if ((${#need_pkgs[@]})); then
    mapfile -t need_pkgs < <(printf '%s\n' "${need_pkgs[@]}" | sort -u)
    step "installing Debian packages: ${need_pkgs[*]}"
    SUDO=""
    [[ "$(id -u)" == 0 ]] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null; } \
        || die "missing Debian packages, and apt-get could not install them: ${need_pkgs[*]}"
fi

# --check: the virtualenv with the Python pins (kept in the cache; remade when a pin changes)
if [[ "$MODE" == "check" ]]; then
    venv_ok() {
        "$VENV/bin/python" - "${PY_PINS[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import numpy, PIL, ai_edge_litert.interpreter  # noqa: E401,F401  (they import, not just install)
sys.exit(any(version(p.split("==")[0]) != p.split("==")[1] for p in sys.argv[1:]))
PY
    }
    if ! venv_ok; then
        step "virtualenv $VENV: pip install ${PY_PINS[*]}"
        rm -rf "$VENV"
        log="$(mktemp)"
        if ! { mkdir -p "$CACHE" && python3 -m venv "$VENV" \
                && "$VENV/bin/pip" install -q --disable-pip-version-check "${PY_PINS[@]}"; } > "$log" 2>&1 \
                || ! venv_ok; then
            tail -5 "$log" >&2
            rm -rf "$VENV"
            die "missing Python packages for --check, and pip could not install them: ${PY_PINS[*]} (log: $log)"
        fi
        rm -f "$log"
    fi
fi

# ---------------------------------------------------------------- Maven Central artifacts
declare -A JAR
for a in "${ARTIFACTS[@]}"; do
    IFS=: read -r key g n v ext <<<"$a"
    f="$MAVEN_REPO/${g//.//}/$n/$v/$n-$v.$ext"
    if [[ ! -s "$f" ]]; then
        step "fetching $g:$n:$v:$ext"
        log="$(mktemp)"
        if ! mvn -B -Dstyle.color=never -Dmaven.repo.local="$MAVEN_REPO" dependency:get \
                -Dartifact="$g:$n:$v:$ext" -Dtransitive=false > "$log" 2>&1; then
            tail -20 "$log" >&2
            die "could not fetch $g:$n:$v:$ext from Maven Central"
        fi
        rm -f "$log"
    fi
    [[ -s "$f" ]] || die "missing $f after fetching"
    JAR[$key]="$f"
done

rm -rf "$BUILD"
mkdir -p "$BUILD"/{aar,assets,classes,gen,apk}

# AARs: classes.jar for javac and d8; jni/<abi>/libLiteRt.so for lib/<abi>/ (below)
LITERT_JARS=()
for key in litert tflite-api; do
    mkdir -p "$BUILD/aar/$key"
    unzip -q -o "${JAR[$key]}" -d "$BUILD/aar/$key"
    LITERT_JARS+=("$BUILD/aar/$key/classes.jar")
done
LITERT_CP="$(IFS=:; echo "${LITERT_JARS[*]}")"

# ---------------------------------------------------------------- native libraries
min_load_align() { # .so -> the smallest Align of its ELF LOAD segments, in decimal (0: none)
    local a min=""
    while read -r a; do
        a=$((a))
        if [[ -z "$min" ]] || ((a < min)); then min=$a; fi
    done < <(readelf -lW "$1" | awk '$1 == "LOAD" { print $NF }')
    echo "${min:-0}"
}
SHIPPED_ABIS=()
for abi in $ABIS; do
    libs=("$BUILD/aar/litert/jni/$abi"/*.so)
    [[ -f "${libs[0]}" ]] || { echo "LiteRT $LITERT has no library for $abi: $abi left out"; continue; }
    aligned=1
    for so in "${libs[@]}"; do
        a="$(min_load_align "$so")"
        if ((a < PAGE_ALIGN)); then
            echo "$abi left out: $(basename "$so") of LiteRT $LITERT has ELF LOAD alignment $a (< $PAGE_ALIGN)"
            aligned=0
        fi
    done
    ((aligned)) || continue
    mkdir -p "$BUILD/apk/lib/$abi"
    cp "${libs[@]}" "$BUILD/apk/lib/$abi/"
    SHIPPED_ABIS+=("$abi")
done
((${#SHIPPED_ABIS[@]})) || die "no ABI of LiteRT $LITERT has 16 KB-aligned libraries"
step "native libraries (LiteRT $LITERT, 16 KB-aligned): ${SHIPPED_ABIS[*]}"

# ---------------------------------------------------------------- assets (models + JSON)
step "assets from $MODELS_DIR"
ASSETS_DIR="$BUILD/assets" bash "$HERE/tools/copy_models.sh" "$MODELS_DIR"

# ---------------------------------------------------------------- resources
step "aapt2: resources, manifest (minSdk $MIN_SDK, targetSdk $TARGET_SDK)"
# the manifest has no package attribute (Gradle's namespace supplies it): add it here, and
# extractNativeLibs="false": the libraries load from the APK, stored and 16 KB-aligned
sed -e "s|<manifest xmlns:android=\"http://schemas.android.com/apk/res/android\"|& package=\"$PACKAGE\"|" \
    -e "s|<application\$|& android:extractNativeLibs=\"false\"|" \
    "$APP_MANIFEST" > "$BUILD/AndroidManifest.xml"
grep -q "package=\"$PACKAGE\"" "$BUILD/AndroidManifest.xml" || die "could not set the package in the manifest"
grep -q 'android:extractNativeLibs="false"' "$BUILD/AndroidManifest.xml" \
    || die "could not set extractNativeLibs in the manifest"
aapt2 compile --dir "$APP_RES" -o "$BUILD/res.zip"
# --warn-manifest-validation: this aapt2 (Android 10) may not know newer manifest elements
aapt2 link -o "$BUILD/resources.apk" -I "$FRAMEWORK_RES" --manifest "$BUILD/AndroidManifest.xml" \
    --java "$BUILD/gen" --min-sdk-version "$MIN_SDK" --target-sdk-version "$TARGET_SDK" \
    --version-code "$VERSION_CODE" --version-name "$VERSION_NAME" --warn-manifest-validation \
    "$BUILD/res.zip"

# ---------------------------------------------------------------- Java
step "javac --release 8: app + core against android-all $COMPILE_SDK ($ANDROID_ALL_COMPILE) + LiteRT $LITERT"
find "$APP_JAVA" "$CORE_JAVA" "$BUILD/gen" -name '*.java' > "$BUILD/sources.txt"
# (javac runs in $BUILD: on errors it may write javac.*.args into its working directory)
if ! (cd "$BUILD" && javac --release 8 -nowarn -encoding UTF-8 -cp "${JAR[android-all-compile]}:$LITERT_CP" \
        -d "$BUILD/classes" @"$BUILD/sources.txt") > "$BUILD/javac.txt" 2>&1; then
    cat "$BUILD/javac.txt" >&2
    die "javac failed"
fi

step "d8 (R8 $R8): classes.dex (min-api $MIN_SDK; desugars LiteRT's Java 17 bytecode)"
(cd "$BUILD/classes" && jar cf "$BUILD/app-classes.jar" .)
# library classes: android-all (android.*, no java.*) and the JDK for java.*
JDK_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
java -cp "${JAR[r8]}" com.android.tools.r8.D8 --release --min-api "$MIN_SDK" --lib "${JAR[android-all-compile]}" \
    --lib "$JDK_HOME" --output "$BUILD/apk" "$BUILD/app-classes.jar" "${LITERT_JARS[@]}" > "$BUILD/d8.txt" 2>&1 \
    || { cat "$BUILD/d8.txt" >&2; die "d8 failed"; }
[[ -s "$BUILD/apk/classes.dex" ]] || die "d8 wrote no classes.dex"

# ---------------------------------------------------------------- package, align, sign
step "package, align (.so at 16 KB), sign"
cp "$BUILD/resources.apk" "$BUILD/unaligned.apk"
(cd "$BUILD/apk" && zip -q "$BUILD/unaligned.apk" classes.dex)
# libraries stored (zip -0): loaded straight from the APK (extractNativeLibs="false"); models
# and their JSON stored too: the app memory-maps the .tflite files (aapt2's -0 did not apply
# to assets from -A, so they are added here)
(cd "$BUILD/apk" && zip -q -0 -r "$BUILD/unaligned.apk" lib)
(cd "$BUILD" && zip -q -0 -r "$BUILD/unaligned.apk" assets)
# Debian's zipalign aligns .so to 4 KB only (no -P 16): tools/apk_align.py puts stored .so data
# at 16 KB offsets and other stored entries at 4 bytes, with the alignment record apksigner keeps
python3 "$HERE/tools/apk_align.py" align "$BUILD/unaligned.apk" "$BUILD/aligned.apk"
zipalign -c -p 4 "$BUILD/aligned.apk" || die "zipalign -c -p 4 rejects the aligned APK"
KEYSTORE="$CACHE/debug.keystore"
if [[ ! -f "$KEYSTORE" ]]; then
    mkdir -p "$CACHE"
    keytool -genkeypair -keystore "$KEYSTORE" -storepass android -keypass android -alias androiddebugkey \
        -keyalg RSA -keysize 2048 -validity 10000 -dname "CN=Android Debug,O=Android,C=US" >/dev/null 2>&1
fi
apksigner sign --ks "$KEYSTORE" --ks-pass pass:android --key-pass pass:android --ks-key-alias androiddebugkey \
    --out "$APK" "$BUILD/aligned.apk"
rm -f "$BUILD/unaligned.apk" "$BUILD/aligned.apk" "$APK.idsig"
python3 "$HERE/tools/apk_align.py" check "$APK" > "$BUILD/so-offsets.txt" \
    || { cat "$BUILD/so-offsets.txt" >&2; die "a native library in the signed APK is not stored at a 16 KB offset"; }
echo "built $APK ($(( $(stat -c %s "$APK") / 1024 )) KiB) in $(( $(date +%s) - T0 )) s"

[[ "$MODE" == "check" ]] || exit 0

# ================================================================ --check
passed=0
failed=0
skipped=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
check() { # description, command...
    local what="$1"
    shift
    if "$@" >"$BUILD/check.log" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/     /' "$BUILD/check.log" | tail -20; fi
}

step "checks"
check "the APK exists: ${APK#"$REPO"/}" test -s "$APK"
apksigner verify --verbose "$APK" > "$BUILD/apksigner.txt" 2>&1 || true
signed_v2_v3() {
    grep -qx Verifies "$BUILD/apksigner.txt" \
        && grep -qF 'Verified using v2 scheme (APK Signature Scheme v2): true' "$BUILD/apksigner.txt" \
        && grep -qF 'Verified using v3 scheme (APK Signature Scheme v3): true' "$BUILD/apksigner.txt" \
        || { head -20 "$BUILD/apksigner.txt"; return 1; }
}
check "apksigner verify: verifies, APK Signature Scheme v2 and v3" signed_v2_v3

aapt2 dump badging "$APK" > "$BUILD/badging.txt" 2>&1 || true
has() { grep -qE "$1" "$2"; }
has_all() { # file, class descriptors...
    local f="$1" d
    shift
    for d in "$@"; do grep -qF "Class descriptor  : '$d'" "$f" || { echo "not in classes.dex: $d"; return 1; }; done
}
check "badging: package $PACKAGE" has "^package: name='$PACKAGE'" "$BUILD/badging.txt"
check "badging: launchable activity $PACKAGE.MainActivity" \
    has "^launchable-activity: name='$PACKAGE.MainActivity'" "$BUILD/badging.txt"
check "badging: CAMERA permission" has "^uses-permission: name='android.permission.CAMERA'" "$BUILD/badging.txt"
check "badging: minSdk $MIN_SDK" has "^(sdkVersion|minSdkVersion):'$MIN_SDK'" "$BUILD/badging.txt"
check "badging: targetSdk $TARGET_SDK" has "^targetSdkVersion:'$TARGET_SDK'" "$BUILD/badging.txt"
aapt2 dump xmltree --file AndroidManifest.xml "$APK" > "$BUILD/manifest-tree.txt" 2>&1 || true
check "manifest: extractNativeLibs=\"false\" (libraries load from the APK)" \
    has 'extractNativeLibs\(0x[0-9a-f]+\)=false' "$BUILD/manifest-tree.txt"

unzip -v "$APK" > "$BUILD/entries.txt"
stored() { # zip entry -> stored (not deflated) in the APK
    awk -v e="$1" '$NF == e { found = 1; if ($2 != "Stored") bad = 1 } END { exit !(found && !bad) }' "$BUILD/entries.txt"
}
same_as_source() { cmp -s <(unzip -p "$APK" "assets/$1") "$MODELS_DIR/$1"; }
int8=0
fp16=0
for f in "$BUILD"/assets/*; do
    name="$(basename "$f")"
    case "$name" in *_int8_*.tflite) int8=$((int8 + 1)) ;; *_fp16.tflite) fp16=$((fp16 + 1)) ;; esac
    check "assets/$name stored uncompressed" stored "assets/$name"
    check "assets/$name identical to ${MODELS_DIR#"$REPO"/}/$name" same_as_source "$name"
done
# the app offers one INT8 model (QAT, or PTQ when there is no QAT model) and the FP16 model
check "assets hold the models the app offers: one INT8 ($int8) and one FP16 ($fp16) model" \
    test "$int8" -eq 1 -a "$fp16" -eq 1

# native libraries: LiteRT's only, for the ABIs it has; each 16 KB-aligned as an ELF file and
# stored uncompressed at a 16 KB offset in the zip
lib_entries() { awk '$NF ~ /^lib\/.*\.so$/ { print $NF }' "$BUILD/entries.txt" | sort; }
expected_libs() { for abi in $ABIS; do echo "lib/$abi/libLiteRt.so"; done | sort; }
check "lib/: exactly libLiteRt.so for $(echo $ABIS | sed 's/ /, /g') (no GPU delegate, no x86)" \
    cmp -s <(lib_entries) <(expected_libs)
elf_aligned() { # zip entry -> every ELF LOAD segment aligned to >= 16 KB
    unzip -p "$APK" "$1" > "$BUILD/lib.so"
    readelf -lW "$BUILD/lib.so" | awk '$1 == "LOAD"'
    local a
    a="$(min_load_align "$BUILD/lib.so")"
    echo "smallest LOAD Align: $a"
    ((a >= PAGE_ALIGN))
}
zip_aligned() { # zip entry -> stored (unzip -v) and its data at a multiple of 16384 (zipfile offsets)
    stored "$1" || { echo "$1 is not stored"; return 1; }
    grep -F " $1:" "$BUILD/so-check.txt" && grep -qF "ok   $1:" "$BUILD/so-check.txt"
}
python3 "$HERE/tools/apk_align.py" check "$APK" > "$BUILD/so-check.txt" 2>&1 || true
while read -r so; do
    [[ -n "$so" ]] || continue
    check "$so: ELF LOAD segments aligned to >= 0x4000 (readelf)" elf_aligned "$so"
    check "$so: stored uncompressed, data offset % 16384 == 0" zip_aligned "$so"
done < <(lib_entries)
check "zipalign -c -p 4: every other stored entry 4-byte aligned" zipalign -c -p 4 "$APK"

dexdump "$APK" > "$BUILD/dexdump.txt" 2>&1 || true
class_list() { # source root -> Lpkg/Class; descriptors of its top-level classes
    (cd "$1" && find . -name '*.java' | sed -e 's|^\./|L|' -e 's|\.java$|;|')
}
dex_has_classes() {
    local missing=0
    while read -r d; do
        grep -qF "Class descriptor  : '$d'" "$BUILD/dexdump.txt" || { echo "not in classes.dex: $d"; missing=1; }
    done < <(class_list "$1")
    return $missing
}
check "dexdump: every app class ($(class_list "$APP_JAVA" | wc -l))" dex_has_classes "$APP_JAVA"
check "dexdump: every core class ($(class_list "$CORE_JAVA" | wc -l))" dex_has_classes "$CORE_JAVA"
check "dexdump: org.tensorflow.lite.Interpreter" has "Class descriptor  : 'Lorg/tensorflow/lite/Interpreter;'" \
    "$BUILD/dexdump.txt"
check "dexdump: LiteRT's NativeInterpreterWrapper and the API's TensorFlowLite" \
    has_all "$BUILD/dexdump.txt" "Lorg/tensorflow/lite/NativeInterpreterWrapper;" "Lorg/tensorflow/lite/TensorFlowLite;"
no_indy() { ! grep -E 'invoke-custom|invoke-polymorphic' "$BUILD/dexdump.txt" | head -5; }
check "dexdump: no invoke-custom / invoke-polymorphic (no lambdas to desugar)" no_indy

no_missing_classes() { # jdeps: classes referenced by the dexed code but found nowhere
    jdeps --missing-deps -cp "${JAR[android-all-min]}" "$BUILD/classes" "${LITERT_JARS[@]}" 2>&1 \
        | grep -v 'split package' | tee "$BUILD/jdeps.txt"
    [[ ! -s "$BUILD/jdeps.txt" ]]
}
check "jdeps: every class the dexed code references is in the APK, API $MIN_SDK's framework or the JDK" \
    no_missing_classes
compile_min_sdk() { # $1: sources file. android.* against API $MIN_SDK's framework, java.* against Java 8
    rm -rf "$BUILD/classes-min-sdk" && mkdir -p "$BUILD/classes-min-sdk"
    (cd "$BUILD" && javac --release 8 -nowarn -encoding UTF-8 -cp "${JAR[android-all-min]}:$LITERT_CP" \
        -d "$BUILD/classes-min-sdk" @"$1")
}
check "app + core compile against android-all API $MIN_SDK ($ANDROID_ALL_MIN): no API above minSdk" \
    compile_min_sdk "$BUILD/sources.txt"
# the check itself: a call added in API 28 (ImageDecoder) must not compile against API $MIN_SDK
mkdir -p "$BUILD/api-probe"
cat > "$BUILD/api-probe/Probe.java" <<'JAVA'
class Probe {
    Object decode(java.io.File f) throws Exception {
        return android.graphics.ImageDecoder.decodeBitmap(android.graphics.ImageDecoder.createSource(f));
    }
}
JAVA
echo "$BUILD/api-probe/Probe.java" > "$BUILD/api-probe/sources.txt"
fails_min_sdk() { ! compile_min_sdk "$BUILD/api-probe/sources.txt"; }
check "the API $MIN_SDK compile rejects ImageDecoder (API 28)" fails_min_sdk

junit_suite() { # label, name, compile classpath, run classpath, java options, test sources...
    local label="$1" name="$2" ccp="$3" rcp="$4" opts="$5"
    shift 5
    local out="$BUILD/$name"
    mkdir -p "$out/classes"
    printf '%s\n' "$@" > "$out/sources.txt"
    if ! (cd "$BUILD" && javac --release 8 -nowarn -encoding UTF-8 -cp "$ccp" -d "$out/classes" @"$out/sources.txt") \
            > "$out/javac.txt" 2>&1; then
        bad "$label: compile"
        sed 's/^/     /' "$out/javac.txt" | head -40
        return
    fi
    local tests
    mapfile -t tests < <(cd "$out/classes" && find . -name '*Test.class' ! -name '*$*' \
        | sed -e 's|^\./||' -e 's|\.class$||' -e 's|/|.|g' | sort)
    # shellcheck disable=SC2086
    java $opts -cp "$out/classes:$rcp" org.junit.runner.JUnitCore "${tests[@]}" > "$out/junit.txt" 2>&1 || true
    local ok_line n f runs
    if ok_line="$(grep -E '^OK \([0-9]+ tests?\)' "$out/junit.txt")"; then
        n="$(echo "$ok_line" | grep -oE '[0-9]+')"
        passed=$((passed + n))
        echo "ok   $label: $n JUnit tests (${tests[*]##*.})"
    else
        runs="$(sed -n 's/^Tests run: \([0-9]*\), *Failures: \([0-9]*\).*/\1 \2/p' "$out/junit.txt")"
        n="${runs% *}"
        f="${runs#* }"
        [[ -n "$runs" ]] || { n=1; f=1; }
        passed=$((passed + n - f))
        failed=$((failed + f))
        echo "FAIL $label: $f of $n failed"
        grep -v '^\s*at ' "$out/junit.txt" | sed 's/^/     /' | head -40
    fi
}

# app/src/test/java: plain JUnit tests (the controllers with a fake interpreter and a fake
# camera) and Robolectric tests (files that import org.robolectric: the real MainActivity).
# The plain tests compile against the app's sources that use no Android class
# (SegmentationController, CameraController) and the core.
JUNIT_CP="/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar"
mapfile -t plain_tests < <(grep -rL 'org\.robolectric' "$APP_TEST_JAVA" --include='*.java' | sort)
mapfile -t robolectric_tests < <(grep -rl 'org\.robolectric' "$APP_TEST_JAVA" --include='*.java' | sort)
mapfile -t plain_app < <(grep -rL '^import android\.' "$APP_JAVA" --include='*.java' | sort)

step "controller tests (JUnit on the JVM: fake interpreter, fake camera)"
# (LiteRtEngineFactory is Android-free and among them: LiteRT's classes to compile it; not run here)
junit_suite "controller tests" junit-controller "$JUNIT_CP:$LITERT_CP" "$JUNIT_CP:$LITERT_CP" "" "${plain_tests[@]}" \
    "${plain_app[@]}" $(find "$CORE_JAVA" -name '*.java')

step "Activity tests (Robolectric $ROBOLECTRIC offline, API $ROBOLECTRIC_SDK, the APK's resources)"
robolectric_classpath() { # -> $BUILD/robolectric/classpath.txt, everything fetched from Maven Central
    local dir="$BUILD/robolectric"
    mkdir -p "$dir/deps" "$dir/aar" "$dir/config/com/android/tools"
    cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.bisenetv2tf</groupId><artifactId>robolectric-classpath</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.robolectric</groupId><artifactId>robolectric</artifactId><version>$ROBOLECTRIC</version></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>$JUNIT</version></dependency>
  </dependencies>
</project>
POM
    mvn -B -Dstyle.color=never -Dmaven.repo.local="$MAVEN_REPO" -f "$dir/pom.xml" dependency:build-classpath \
        -Dmdep.outputFile="$dir/maven-classpath.txt" > "$dir/mvn.log" 2>&1 || { tail -20 "$dir/mvn.log"; return 1; }
    local f i=0 cp=()
    while read -r f || [[ -n "$f" ]]; do
        if [[ "$f" == *.aar ]]; then # androidx.test's monitor / idling resource: their classes.jar
            i=$((i + 1))
            mkdir -p "$dir/aar/$i"
            unzip -q -o "$f" classes.jar -d "$dir/aar/$i"
            cp+=("$dir/aar/$i/classes.jar")
        else
            cp+=("$f")
        fi
    done < <(tr ':' '\n' < "$dir/maven-classpath.txt")
    (IFS=:; echo "${cp[*]}") > "$dir/classpath.txt"
    # offline: Robolectric takes its framework jar from this folder instead of downloading it
    local jar="$MAVEN_REPO/org/robolectric/android-all-instrumented/$ANDROID_ALL_INSTRUMENTED"
    jar="$jar/android-all-instrumented-$ANDROID_ALL_INSTRUMENTED.jar"
    if [[ ! -s "$jar" ]]; then
        mvn -B -Dstyle.color=never -Dmaven.repo.local="$MAVEN_REPO" dependency:get -Dtransitive=false \
            -Dartifact="org.robolectric:android-all-instrumented:$ANDROID_ALL_INSTRUMENTED" > "$dir/mvn-sdk.log" 2>&1 \
            || { tail -20 "$dir/mvn-sdk.log"; return 1; }
    fi
    ln -sf "$jar" "$dir/deps/"
    # the APK itself: its compiled resources, manifest and assets (binary resources mode)
    cat > "$dir/config/com/android/tools/test_config.properties" <<PROPS
android_merged_manifest=$BUILD/AndroidManifest.xml
android_resource_apk=$APK
android_merged_assets=$BUILD/assets
android_custom_package=$PACKAGE
PROPS
}
if ((${#robolectric_tests[@]})); then
    if robolectric_classpath > "$BUILD/robolectric.log" 2>&1; then
        ROBO_CP="$(cat "$BUILD/robolectric/classpath.txt")"
        # android-all on the class path only so JUnit can load the test classes; Robolectric runs
        # them on its own instrumented framework of API $ROBOLECTRIC_SDK
        junit_suite "Activity tests (Robolectric)" junit-robolectric \
            "$ROBO_CP:${JAR[android-all-compile]}:$BUILD/classes:$LITERT_CP" \
            "$BUILD/robolectric/config:$BUILD/classes:$LITERT_CP:$ROBO_CP:${JAR[android-all-compile]}" \
            "-Drobolectric.offline=true -Drobolectric.dependency.dir=$BUILD/robolectric/deps" \
            "${robolectric_tests[@]}"
    else
        bad "Robolectric $ROBOLECTRIC from Maven Central"
        sed 's/^/     /' "$BUILD/robolectric.log" | tail -20
    fi
fi

# The models the APK carries, on the project's Python LiteRT (the requirements.txt pin, in the
# virtualenv made at the start): the same release series as the APK's LiteRT. Its Android
# library cannot run here (bionic, not glibc).
step "models on LiteRT: ai-edge-litert $PY_LITERT (the series of the APK's LiteRT $LITERT) in $VENV"
runtime_check() {
    local images=("$HERE"/tools/fixtures/*.png)
    local camvid="$REPO/../shared/data/camvid/val"
    if [[ -d "$camvid" ]]; then
        mapfile -t -O "${#images[@]}" images < <(find "$camvid" -name '*.png' | sort | head -3)
    fi
    "$VENV/bin/python" "$HERE/tools/check_runtime.py" reference --assets "$BUILD/assets" --images "${images[@]}" \
        --out "$BUILD/runtime_reference.npz" || return 1
    "$VENV/bin/python" "$HERE/tools/check_runtime.py" compare --assets "$BUILD/assets" \
        --reference "$BUILD/runtime_reference.npz" --expect-version "$PY_LITERT" | tee "$BUILD/runtime.txt"
    return "${PIPESTATUS[0]}"
}
if runtime_check > "$BUILD/runtime.log" 2>&1; then
    ok "every model in assets loads on ai-edge-litert $PY_LITERT: FP16 class maps identical, INT8 agreement"
    sed 's/^/     /' "$BUILD/runtime.txt"
else
    bad "models on ai-edge-litert $PY_LITERT"
    sed 's/^/     /' "$BUILD/runtime.log" | tail -30
fi

# The app's real inference path on this JVM: the APK's own x86_64 libLiteRt.so (bionic) made
# loadable on glibc, then the app's SegmentationController + LiteRtEngineFactory on LiteRT's Java
# classes run recorded YUV frames; the class maps must equal the Python reference's.
step "the app's inference path on the desktop JVM: the APK's x86_64 libLiteRt.so on glibc"
DESKTOP="$BUILD/desktop-litert"
DESKTOP_TOOLS="$HERE/tools/desktop_litert"
port_litert() {
    local so="$BUILD/apk/lib/x86_64/libLiteRt.so"
    if [[ ! -f "$so" ]]; then # an APK without x86_64 (APK_ABIS): the same AAR's library
        so="$BUILD/aar/litert/jni/x86_64/libLiteRt.so"
        echo "(the APK has no x86_64 library: $so from the same LiteRT AAR)"
    fi
    bash "$DESKTOP_TOOLS/port_litert.sh" "$so" "$DESKTOP/lib"
}
desktop_libc="$(getconf GNU_LIBC_VERSION 2>/dev/null || true)"
desktop_host="$(uname -s) $(uname -m), ${desktop_libc:-no glibc}"
if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 || "$desktop_libc" != glibc* ]]; then
    # an external reason: LiteRT's x86_64 Android library runs only on an x86-64 glibc Linux
    echo "SKIP the app's inference path on the desktop JVM: needs x86-64 Linux with glibc, this host is $desktop_host"
    skipped=$((skipped + 1))
elif port_litert > "$BUILD/desktop-port.log" 2>&1; then
    ok "the APK's x86_64 libLiteRt.so, patched for glibc (patchelf + shim), loads with every symbol bound"
    sed -n -e 's/^   /     /p' "$BUILD/desktop-port.log" | grep -E 'needed:|imports;|dlopen|LD_DEBUG'
    desktop_images=("$HERE"/tools/fixtures/*.png)
    camvid_val="$REPO/../shared/data/camvid/val"
    if [[ -d "$camvid_val" ]]; then
        mapfile -t -O "${#desktop_images[@]}" desktop_images < <(find "$camvid_val" -name '*.png' | sort | head -1)
    fi
    if "$VENV/bin/python" "$DESKTOP_TOOLS/frames.py" --assets "$BUILD/assets" --images "${desktop_images[@]}" \
            --out "$DESKTOP/frames" > "$BUILD/desktop-frames.log" 2>&1; then
        # the shim answers ro.build.version.sdk as a device at the app's minSdk would
        export ANDROIDSHIM_SDK_INT="$MIN_SDK"
        junit_suite "the app's inference path on the desktop JVM (LiteRT $LITERT x86_64, recorded YUV frames)" \
            junit-desktop "$JUNIT_CP:$LITERT_CP" "$JUNIT_CP:$LITERT_CP" \
            "-Djava.library.path=$DESKTOP/lib -Ddesktop.frames=$DESKTOP/frames -Ddesktop.assets=$BUILD/assets -Ddesktop.summary=$DESKTOP/summary.txt" \
            $(find "$HERE/app/src/desktopTest/java" -name '*.java') "${plain_app[@]}" $(find "$CORE_JAVA" -name '*.java')
        [[ -s "$DESKTOP/summary.txt" ]] && sed 's/^/     /' "$DESKTOP/summary.txt"
        echo "     ${#desktop_images[@]} images x 2 recorded frames (NV21 upright; I420 with padded rows, turned 90 degrees);" \
            "reference: preprocess_rgb + ai-edge-litert $PY_LITERT (XNNPACK, 2 threads)"
    else
        bad "recorded YUV frames and the Python reference (tools/desktop_litert/frames.py)"
        sed 's/^/     /' "$BUILD/desktop-frames.log" | tail -20
    fi
else
    bad "the APK's x86_64 libLiteRt.so, patched for glibc (tools/desktop_litert/port_litert.sh)"
    sed 's/^/     /' "$BUILD/desktop-port.log" | tail -30
fi

echo "build_apk.sh --check: $(( $(date +%s) - T0 )) s"
echo "$passed passed, $failed failed$( ((skipped == 0)) || echo ", $skipped skipped (see SKIP above)")"
[[ $failed -eq 0 ]]
