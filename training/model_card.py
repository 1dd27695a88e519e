r"""Write a model card (markdown) from a training run and the evaluation JSONs of its artifacts.

  python -m training.model_card --run runs/camvid_v2 \
      --eval models/camvid/eval/bisenetv2_keras.json models/camvid/eval/bisenetv2_int8_qat_tflite.json \
      --command "$(cat runs/camvid_cmd.sh)" --cpu "$(python -m benchmarks.cpu_check | head -1)" \
      --out models/camvid/MODEL_CARD.md

Reads RUN/train_args.json (flags, classes), RUN/log.csv (the per-epoch log) and, when
present, RUN/state/state.json (steps done and wall-clock hours over every machine the run
went through). The first --eval is the reference column; the others also get their
mIoU difference to it. --precision says what the run computed in (the training log's
"precision:" line); --notes appends markdown.
"""
import argparse
import csv
import json
import os

from bisenetv2_tf.fileio import atomic_write


def schedule_lines(targs, state, log, precision, cpu):
    """The "Schedule" bullet lines."""
    epochs = state["epoch"] if state else len(log)
    steps = state["step"] if state else epochs * targs["steps_per_epoch"]
    lr = targs["lr"] if targs["lr"] is not None else 0.05 * targs["batch_size"] / 16
    aux_heads = sum(1 for k in log[0] if k.startswith("aux") and k.endswith("_loss")) if log else 0
    lines = [
        f"- {epochs} epochs x {targs['steps_per_epoch']} steps = {steps} steps of batch {targs['batch_size']} "
        f"({steps * targs['batch_size']:,} crops), crop {targs['crop'][0]}x{targs['crop'][1]}, random scale "
        f"{targs['scale_range'][0]}-{targs['scale_range'][1]}, flip, color jitter; seed {targs['seed']}.",
        f"- SGD momentum {targs['momentum']}, weight decay {targs['weight_decay']} (conv kernels), LR {lr:g} "
        f"poly 0.9 after {targs['warmup_steps']} warmup steps; OHEM cross-entropy (thresh "
        f"{targs['ohem_thresh']}) on the main head"
        + (f" and the {aux_heads} aux heads (weight {targs['aux_weight']})" if aux_heads else "") + ".",
    ]
    if precision:
        lines.append(f"- Compute precision: {precision}.")
    if state:
        lines.append(f"- Wall-clock: {state['hours']:.2f} h of training over every machine the run went "
                     f"through (resumed from its committed state), on 2-core CPU VMs.")
    if cpu:
        lines.append(f"- {cpu}")
    return lines


def validation_lines(evals):
    """Per-class IoU table, one column per artifact, mIoU and its difference to column 1."""
    main_eval = evals[0]
    lines = [f"## Validation ({main_eval['split']}, {main_eval['num_images']} images, full resolution)", "",
             "| class | " + " | ".join(f"`{os.path.basename(e['model'])}`" for e in evals) + " |",
             "|---|" + "---:|" * len(evals)]
    for name in main_eval["per_class_iou"]:
        vals = [e["per_class_iou"][name] for e in evals]
        lines.append(f"| {name} | " + " | ".join("n/a" if v is None else f"{100 * v:.2f}" for v in vals) + " |")
    lines.append("| **mIoU** | " + " | ".join(f"**{100 * e['miou']:.2f}**" for e in evals) + " |")
    lines.append("| mIoU − column 1 | " + " | ".join(
        "" if i == 0 else f"{100 * (e['miou'] - main_eval['miou']):+.2f}" for i, e in enumerate(evals)) + " |")
    lines.append("| pixel accuracy | " + " | ".join(f"{100 * e['pixel_accuracy']:.2f}" for e in evals) + " |")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m training.model_card", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="training --out-dir")
    p.add_argument("--eval", required=True, nargs="+", help="training.evaluate --json outputs (first = reference)")
    p.add_argument("--command", required=True, help="the exact training command")
    p.add_argument("--precision", default="", help="what the run computed in, e.g. 'mixed_bfloat16 (auto: ...)'")
    p.add_argument("--cpu", default="", help="the CPU line (benchmarks.cpu_check)")
    p.add_argument("--notes", default="", help="extra markdown")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    try:
        with open(os.path.join(a.run, "train_args.json")) as f:
            targs = json.load(f)
        with open(os.path.join(a.run, "log.csv")) as f:
            log = list(csv.DictReader(f))
        state_path = os.path.join(a.run, "state", "state.json")
        state = None
        if os.path.isfile(state_path):
            with open(state_path) as f:
                state = json.load(f)
        evals = []
        for path in a.eval:
            with open(path) as f:
                evals.append(json.load(f))
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    lines = [
        f"# Model card: {targs['model']} on CamVid ({targs['num_classes']} classes)",
        "",
        "## Data",
        f"- train: `{targs['data_dir']}` split `{targs['train_split']}`; validation on split "
        f"`{targs['val_split']}` (monitoring only: the schedule was fixed in advance and the last epoch is "
        f"exported)." if targs.get("export") == "last" else
        f"- train: `{targs['data_dir']}` split `{targs['train_split']}`; selection on split `{targs['val_split']}`.",
        "- CamVid 11-class SegNet split, 480x360 RGB; ignore id "
        f"{targs['ignore_index']}. Val frames come from the same drive as some train frames, so val mIoU "
        "is optimistic; the standard 233-frame test split was not available here.",
        "- No ImageNet or Cityscapes pretraining: trained from scratch.",
        "",
        "## Schedule",
        *schedule_lines(targs, state, log, a.precision, a.cpu),
        "", "## Command", "```sh", a.command.strip(), "```", "",
        *validation_lines(evals),
        "", f"Per-epoch training log: the run's `log.csv` (val every {targs['val_every']} epochs; train "
        "mIoU is on the augmented crops):", "", "| epoch | loss | train mIoU | val mIoU |", "|---:|---:|---:|---:|",
    ]
    key = "val_logits_miou" if log and "val_logits_miou" in log[0] else "val_miou"
    train_key = "logits_miou" if log and "logits_miou" in log[0] else "miou"
    for row in log:
        if row.get(key) not in (None, "", "NA"):
            lines.append(f"| {int(row['epoch']) + 1} | {float(row['loss']):.3f} | "
                         f"{100 * float(row[train_key]):.2f} | {100 * float(row[key]):.2f} |")
    if a.notes:
        lines += ["", a.notes]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    atomic_write(a.out, "\n".join(lines) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
