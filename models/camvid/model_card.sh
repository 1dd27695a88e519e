#!/usr/bin/env bash
# Write models/camvid/MODEL_CARD.md from the run (runs/camvid_v2_holdout: train_args.json,
# log.csv, state) and the evaluation JSONs rebuild.sh wrote: the held-out drive first, val
# second; MODEL_CARD.notes.md (the A/Bs, the speed table and what the numbers say, written
# by hand from the commands it quotes) is appended.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=${RUN:-runs/camvid_v2_holdout}
E=models/camvid/eval
ARTIFACTS="bisenetv2_keras bisenetv2_fp32_tflite bisenetv2_fp16_tflite bisenetv2_onnx bisenetv2_int8_ptq_tflite
           bisenetv2_qat_h5 bisenetv2_int8_qat_tflite"
# step 1 of rebuild.sh
COMMAND="python -m training.train --dataset camvid --data-dir ../shared/data/camvid --protocol drive-holdout \
--out-dir runs/camvid_v2_holdout --batch-size 8 --crop 256 320 --epochs 223 --steps-per-epoch 45 --val-every 10 \
--val-batch-size 4 --cache --seed 0 --log-every 15 --export last --aux-resolution own --commit-state-every 1.0"
held=() val=()
for a in $ARTIFACTS; do held+=("$E/$a.json"); val+=("$E/val/$a.json"); done
python -m training.model_card --run "$RUN" --eval "${held[@]}" --also-eval "${val[@]}" \
  --command "$COMMAND" \
  --precision "mixed_bfloat16 (--precision auto: the 2-core Intel Xeon VMs it trained on have avx512_bf16 and AMX)" \
  --notes "$(cat models/camvid/MODEL_CARD.notes.md)" --out models/camvid/MODEL_CARD.md
