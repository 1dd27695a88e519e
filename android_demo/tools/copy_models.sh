#!/usr/bin/env bash
# Copy the converted CamVid models and their metadata into the app's assets.
#
#   bash android_demo/tools/copy_models.sh [MODELS_DIR]     (default: models/camvid)
#
# Copies one INT8 model, NAME_int8_qat.tflite or else NAME_int8_ptq.tflite, and
# NAME_fp16.tflite, each with its .json, where NAME is bisenetv2 unless MODEL_NAME says
# otherwise: the two models the app offers (both on the CPU). PTQ is left out when there is a
# QAT model (the app would never pick it). Fails, copying nothing, when the FP16 model or both
# INT8 models are missing. ASSETS_DIR overrides the destination (build_apk.sh copies into
# android_demo/build/assets).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SRC="${1:-$REPO/models/camvid}"
NAME="${MODEL_NAME:-bisenetv2}"
DEST="${ASSETS_DIR:-$HERE/../app/src/main/assets}"

die() { echo "copy_models.sh: $*" >&2; exit 1; }

[[ -d "$SRC" ]] || die "no folder $SRC. Convert the trained model first (see android_demo/README.md, 'Models')."

files=()
check() { # model file -> adds it and its .json to files, or returns 1
    local model="$SRC/$1" meta="$SRC/${1%.tflite}.json"
    [[ -f "$model" ]] || return 1
    [[ -f "$meta" ]] || die "$model has no metadata file $(basename "$meta") beside it (tflite.convert writes both)"
    grep -q '"bisenetv2-tf/metadata"' "$meta" || die "$meta is not a bisenetv2-tf metadata file"
    files+=("$model" "$meta")
}

int8=0
for p in int8_qat int8_ptq; do
    if check "${NAME}_${p}.tflite"; then int8=1; break; fi
done
((int8 > 0)) || die "no INT8 model in $SRC: need ${NAME}_int8_qat.tflite or ${NAME}_int8_ptq.tflite (+ .json)"
check "${NAME}_fp16.tflite" || die "no FP16 model in $SRC: need ${NAME}_fp16.tflite (+ .json)"

mkdir -p "$DEST"
# drop models from an earlier copy so the app never picks a stale one
find "$DEST" -maxdepth 1 \( -name '*.tflite' -o -name '*.json' \) -delete
for f in "${files[@]}"; do
    cp "$f" "$DEST/"
    printf '  %-32s %8d KiB\n' "$(basename "$f")" $(( $(stat -c %s "$f") / 1024 ))
done
echo "copied ${#files[@]} files into $(cd "$DEST" && pwd)"
