#!/usr/bin/env bash
# Rebuild every shipped CamVid artifact from the long training run, in order:
#   1. the float model: the run's export (on a fresh clone the run's committed state
#      re-exports it; a run that has not finished resumes and trains to the end),
#   2. the QAT fine-tune of that model (2 epochs, LR 0.001, 32 calibration images),
#   3. FP32 / FP16 / INT8-PTQ / INT8-QAT TFLite (384x480) and ONNX, each verified,
#   4. scores of every artifact on the drive-held-out frames (the model's own yardstick)
#      and on val (models/camvid/eval/*.json),
#   5. the Android golden cases from the INT8-QAT and FP16 models.
#
# The run (issue 20) trains by --protocol drive-holdout: CamVid train+val minus drive
# 0006R0 (367 frames of drives 0001TP and 0016E5), validated on 0006R0, which it never
# trains on; QAT and INT8 calibration use the same training frames. Val frames are
# training frames of this run: their score says how it fits a drive it saw, no more.
# The model card is written from the run and the eval JSONs afterwards (`bash
# models/camvid/model_card.sh`, which appends models/camvid/MODEL_CARD.notes.md: the A/Bs
# and the speed/accuracy table from the benchmark command quoted there).
# Run from the repository root:
#
#   bash models/camvid/rebuild.sh            # DATA=../shared/data/camvid by default
#
# Every step writes its outputs atomically; re-running skips nothing and overwrites
# the artifacts with the same results (fixed seeds), so a crash mid-way is mended by
# running it again.
set -euo pipefail
cd "$(dirname "$0")/../.."

DATA=${DATA:-../shared/data/camvid}
RUN=${RUN:-runs/camvid_v2_holdout}
QAT_RUN=${QAT_RUN:-runs/camvid_v2_holdout_qat}
OUT=${OUT:-models/camvid}
stamp() { echo "[$(date -u +%H:%M:%S)] $*"; }

stamp "1/5 float model: $RUN (resumes the run if it has not finished)"
python -m training.train --dataset camvid --data-dir "$DATA" --protocol drive-holdout --out-dir "$RUN" \
  --batch-size 8 --crop 256 320 --epochs 223 --steps-per-epoch 45 --val-every 10 --val-batch-size 4 --cache \
  --seed 0 --log-every 15 --export last --aux-resolution own --commit-state-every 1.0

stamp "2/5 QAT fine-tune: $QAT_RUN"
python -m training.train --dataset camvid --data-dir "$DATA" --protocol drive-holdout --out-dir "$QAT_RUN" --qat \
  --init-weights "$RUN/model.keras" --batch-size 8 --crop 256 320 --scale-range 0.75 2.0 \
  --epochs 2 --steps-per-epoch 45 --warmup-steps 5 --lr 0.001 --val-every 1 --val-batch-size 4 \
  --seed 0 --cache --log-every 15 --num-calibration 32 --export last

stamp "3/5 convert: $OUT"
cp "$RUN/model.keras" "$OUT/bisenetv2.keras.tmp" && mv "$OUT/bisenetv2.keras.tmp" "$OUT/bisenetv2.keras"
cp "$QAT_RUN/model.h5" "$OUT/bisenetv2_qat.h5.tmp" && mv "$OUT/bisenetv2_qat.h5.tmp" "$OUT/bisenetv2_qat.h5"
python -m tflite.convert --model "$OUT/bisenetv2.keras" --qat-model "$OUT/bisenetv2_qat.h5" \
  --precision fp32 fp16 int8-ptq int8-qat --input-size 384 480 --dataset camvid --data-dir "$DATA" \
  --protocol drive-holdout --out-dir "$OUT" --onnx

stamp "4/5 evaluate on the held-out drive and on val: $OUT/eval"
mkdir -p "$OUT/eval/val"
for m in bisenetv2.keras bisenetv2_qat.h5 bisenetv2_fp32.tflite bisenetv2_fp16.tflite \
         bisenetv2_int8_ptq.tflite bisenetv2_int8_qat.tflite bisenetv2.onnx; do
  python -m training.evaluate --model "$OUT/$m" --dataset camvid --data-dir "$DATA" --protocol drive-holdout \
    --json "$OUT/eval/${m//./_}.json"
  python -m training.evaluate --model "$OUT/$m" --dataset camvid --data-dir "$DATA" --split val \
    --json "$OUT/eval/val/${m//./_}.json"
done

stamp "5/5 Android golden cases"
python android_demo/tools/make_golden.py --clean \
  --model "$OUT/bisenetv2_int8_qat.tflite" "$OUT/bisenetv2_fp16.tflite" \
  --image android_demo/tools/fixtures/*.png
stamp "done"
