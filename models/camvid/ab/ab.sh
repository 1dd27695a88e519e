#!/usr/bin/env bash
# Recipe A/Bs on the drive-held-out yardstick (issue 20): each arm trains from scratch
# with --protocol drive-holdout (CamVid train+val minus drive 0006R0, 367 frames) for
# the same compute (1,350 steps of batch 8 on 256x320 crops, or as many pixels), then
# is scored on the held-out drive 0006R0 at input scale 1.0 and 1.5
# (models/camvid/ab/eval/ARM_sS.json; an --ema arm's raw weights: ARM.raw_sS.json; its
# run record: ARM.run.json; the table: python -m benchmarks.ab_table).
# Only the recipe differs between arms; the control runs with several seeds for the noise.
#
#   bash models/camvid/ab/ab.sh control_s0 upscale15_s0 ...   # arms below; default: those in ORDER
#   PRECISION=float32 bash models/camvid/ab/ab.sh control_s1     # where bf16 is emulated
#
# Re-running resumes an unfinished arm (training resumes from runs/ab/ARM) and skips
# the evaluations already written; an arm scored and recorded without its run folder (a
# fresh clone) is skipped. PRECISION (default auto: mixed_bfloat16 where the CPU
# has bf16 in hardware, else float32) is the training's --precision; compare arms of one
# precision only (benchmarks.ab_table prints each arm's). COMMIT_STATE_EVERY=H passes
# --commit-state-every H: the arm's run state is committed every H hours and on SIGTERM
# (which stops it after the current epoch), so an arm longer than a session resumes with
# the same command on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/../../.."
DATA=${DATA:-../shared/data/camvid}
EPOCHS=${EPOCHS:-30}   # x 45 steps = 1350 steps, 10,800 crops
PRECISION=${PRECISION:-auto}
OUT=models/camvid/ab/eval
mkdir -p "$OUT"

# arm -> the flags that differ from the control (seed last)
declare -A ARMS=(
  [control_s0]="--seed 0"
  [control_s1]="--seed 1"
  [control_s2]="--seed 2"                                # optional fourth control run (ema_s0.raw is a third)
  [upscale15_s0]="--scale-range 1.125 3.0 --seed 0"      # frames upscaled 1.5x, then the usual 0.75-2.0
  [auxown_s0]="--aux-resolution own --seed 0"
  [jitter02_s0]="--color-jitter 0.2 --seed 0"             # half the photometric jitter (default 0.4)
  [jitter06_s0]="--color-jitter 0.6 --seed 0"
  [scale05_s0]="--scale-range 0.5 1.5 --seed 0"          # objects at the scored size on average (default
                                                         # 0.75-2.0 trains larger; upscale15 lost 4.4)
  [crop352_s0]="--crop 352 480 --epochs 15 --seed 0"     # 2.06x the pixels a step, so 675 steps: equal compute
  [ema_s0]="--ema 0.995 --seed 0"                        # export the weights' moving average; 0.999 would
                                                         # still hold 26% of the initial weights at 1,350 steps
)
ORDER="control_s0 upscale15_s0 auxown_s0 control_s1 jitter06_s0 ema_s0 scale05_s0 crop352_s0"
stamp() { echo "[$(date -u +%H:%M:%S)] $*"; }
for arm in ${@:-$ORDER}; do
  [[ -n "${ARMS[$arm]+x}" ]] || { echo "error: unknown arm $arm (known: ${!ARMS[*]})" >&2; exit 2; }
  if [[ ! -d "runs/ab/$arm" && -f "$OUT/$arm.run.json" && -f "$OUT/${arm}_s1.0.json" && -f "$OUT/${arm}_s1.5.json" ]]; then
    stamp "skip $arm: scored and recorded in $OUT (delete its files there to train it again)"
    continue  # a fresh clone: the committed scores stand; retraining would not reproduce them bit for bit
  fi
  stamp "train $arm: ${ARMS[$arm]}"
  # shellcheck disable=SC2086
  python -m training.train --dataset camvid --data-dir "$DATA" --protocol drive-holdout \
    --out-dir "runs/ab/$arm" --batch-size 8 --crop 256 320 --epochs "$EPOCHS" --steps-per-epoch 45 \
    --warmup-steps 100 --val-every 10 --val-batch-size 4 --cache --log-every 45 --export last \
    --precision "$PRECISION" ${ARMS[$arm]} ${COMMIT_STATE_EVERY:+--commit-state-every "$COMMIT_STATE_EVERY"}
  if [[ ! -f "runs/ab/$arm/model.keras" ]]; then  # SIGTERM: the run state is saved, not the model
    stamp "stopped before $arm's last epoch: its state is in runs/ab/$arm; re-run the same command to resume"
    exit 1
  fi
  # flags, steps, hours, precision and CPU line, committed beside the evaluations
  python -m benchmarks.ab_table --record "$arm" --runs runs/ab --eval "$OUT" >/dev/null
  # an --ema arm exports the average; its last checkpoint holds the same run's raw weights
  # (saved before fit swaps the average in): scored as ARM.raw, a paired A/B free of seed noise
  models=("$arm:runs/ab/$arm/model.keras")
  [[ " ${ARMS[$arm]} " == *" --ema "* ]] && models+=("$arm.raw:runs/ab/$arm/checkpoints/last.keras")
  for entry in "${models[@]}"; do
    name=${entry%%:*} model=${entry#*:}
    for scale in 1.0 1.5; do
      json="$OUT/${name}_s${scale}.json"
      [[ -f "$json" ]] && continue
      stamp "evaluate $name at input scale $scale"
      python -m training.evaluate --model "$model" --dataset camvid --data-dir "$DATA" \
        --protocol drive-holdout --scales "$scale" --json "$json" | tail -2
    done
  done
done
