#!/usr/bin/env bash
# The Java work around the model per camera frame, and the model itself, on this CPU:
# FrameBenchmark (core/src/bench) times YUV->ARGB, rotate+letterbox+normalize and
# argmax+mask+histogram for 640x480 YUV frames into the model's 384x480 input, before (the
# per-frame code the app had) and now (the live path), with the bytes allocated per frame;
# tools/model_latency.py times the INT8 model with Python's LiteRT (XNNPACK) on the same CPU.
#   bash android_demo/core/bench.sh [MODEL.tflite]     (default: models/camvid INT8 QAT, else PTQ)
# Env: BENCH_FRAMES / BENCH_WARMUP (default 300 / 300), PYTHON (a python with ai-edge-litert;
# default: the virtualenv build_apk.sh --check makes, else python3), MODEL_THREADS ("1 2").
# Run it on a quiet machine: other load moves both sides (compare the ratio, not the ms).
set -euo pipefail

CORE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HERE="$(dirname "$CORE")"
REPO="$(dirname "$HERE")"
BUILD="$CORE/build/bench"
MODEL="${1:-}"
if [[ -z "$MODEL" ]]; then
    for m in "$REPO/models/camvid/bisenetv2_int8_qat.tflite" "$REPO/models/camvid/bisenetv2_int8_ptq.tflite"; do
        if [[ -f "$m" ]]; then MODEL="$m"; break; fi
    done
fi
META="${MODEL%.tflite}.json"

rm -rf "$BUILD"
mkdir -p "$BUILD/main" "$BUILD/bench"
javac --release 8 -nowarn -encoding UTF-8 -d "$BUILD/main" $(find "$CORE/src/main/java" -name '*.java')
javac -nowarn -encoding UTF-8 -cp "$BUILD/main" -d "$BUILD/bench" $(find "$CORE/src/bench/java" -name '*.java')

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores;" \
    "flags: $(grep -m1 -ow -e avx512_vnni -e avx2 -e avx_vnni /proc/cpuinfo | sort -u | tr '\n' ' ')" \
    "(of avx512_vnni avx2 avx_vnni)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
args=(--frames "${BENCH_FRAMES:-300}" --warmup "${BENCH_WARMUP:-300}")
[[ -f "$META" ]] && args=("$META" "${args[@]}")
java -cp "$BUILD/main:$BUILD/bench" org.bisenetv2tf.core.bench.FrameBenchmark "${args[@]}" | tee "$BUILD/java.txt"

echo
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
    for p in "${BISENETV2_ANDROID_CACHE:-$HOME/.cache/bisenetv2-android}"/check-venv-*/bin/python python3; do
        if "$p" -c 'import ai_edge_litert' >/dev/null 2>&1; then PY="$p"; break; fi
    done
fi
if [[ -z "$MODEL" || -z "$PY" ]]; then
    echo "model latency: skipped (${MODEL:+no python with ai-edge-litert}${MODEL:-no INT8 model in models/camvid})"
    exit 0
fi
echo "model: ${MODEL#"$REPO"/} on ai-edge-litert ($("$PY" -c 'import importlib.metadata as m; print(m.version("ai-edge-litert"))'), XNNPACK)"
# shellcheck disable=SC2086
"$PY" "$HERE/tools/model_latency.py" "$MODEL" --threads ${MODEL_THREADS:-1 2} 2>/dev/null | tee "$BUILD/model.txt"

echo
echo "| rotation | model (ms, threads) | Java pre+post before (ms) | before / model | now (ms) | now / model | now on the worker after the model (ms) | worker / model |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
while read -r line; do
    t="${line%%=*}"; t="${t#model_ms.threads}"
    m="${line#*=}"; m="${m%% *}"
    for rot in 90 0; do
        get() { sed -n "s/^rot$rot\.$1=//p" "$BUILD/java.txt"; }
        before=$(awk -v a="$(get before.yuv_ms)" -v b="$(get before.pre_ms)" -v c="$(get before.post_ms)" \
            'BEGIN { printf "%.2f", a + b + c }')
        now=$(awk -v a="$(get now.yuv_ms)" -v b="$(get now.pre_ms)" -v c="$(get now.post_ms)" \
            'BEGIN { printf "%.2f", a + b + c }')
        post="$(get now.post_ms)"
        awk -v rot="$rot" -v before="$before" -v now="$now" -v post="$post" -v m="$m" -v t="$t" \
            'BEGIN { printf "| %s° | %.2f (%s) | %s | %.0f %% | %s | %.0f %% | %s | %.0f %% |\n", rot, m, t, before, 100 * before / m, now, 100 * now / m, post, 100 * post / m }'
    done
done < "$BUILD/model.txt"
