r"""Write a model card (markdown) from a training run and the evaluation JSONs of its artifacts.

  python -m training.model_card --run runs/camvid_v2_holdout \
      --eval models/camvid/eval/bisenetv2_keras.json models/camvid/eval/bisenetv2_int8_qat_tflite.json \
      --also-eval models/camvid/eval/val/bisenetv2_keras.json models/camvid/eval/val/bisenetv2_int8_qat_tflite.json \
      --command "$(cat runs/camvid_cmd.sh)" --cpu "$(python -m benchmarks.cpu_check | head -1)" \
      --out models/camvid/MODEL_CARD.md

Reads RUN/train_args.json (flags, classes), RUN/log.csv (the per-epoch log) and, when
present, RUN/state/state.json (steps done and wall-clock hours over every machine the run
went through). The first --eval is the reference column; the others also get their
mIoU difference to it. --also-eval adds a second table of the same artifacts scored on
another split (for a run trained by a --protocol: the frames it was scored on are the
first table, val the second). A table's title says what its frames are. --precision says
what the run computed in (the training log's "precision:" line); --notes appends markdown.
"""
import argparse
import csv
import json
import os

from bisenetv2_tf.data.protocols import PROTOCOLS
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


def table_title(e, targs):
    """What the frames of evaluation ``e`` are to the run ``targs`` that trained the model."""
    if e.get("protocol"):
        protocol = PROTOCOLS[e["protocol"]]
        return (f"On the held-out drive {protocol.held_out_drive} (`--protocol {protocol.name}`, {e['num_images']} "
                "images the model never trained on, full resolution)")
    if targs.get("protocol") and e["split"] in PROTOCOLS[targs["protocol"]].pool:
        return (f"On split {e['split']} ({e['num_images']} images, training frames of this run: how it fits "
                "drives it saw, full resolution)")
    return f"Validation ({e['split']}, {e['num_images']} images, full resolution)"


def validation_lines(evals, targs):
    """Per-class IoU table, one column per artifact, mIoU and its difference to column 1."""
    main_eval = evals[0]
    lines = [f"## {table_title(main_eval, targs)}", "",
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


def data_lines(targs):
    """The "Data" bullet lines: what the run trained on and what its validation frames are."""
    if targs.get("protocol"):
        protocol = PROTOCOLS[targs["protocol"]]
        return [
            f"- `--protocol {protocol.name}`: {protocol.summary}. Data: `{targs['data_dir']}`.",
            f"- Every recipe choice was made on the held-out drive {protocol.held_out_drive} (the held-out "
            "column of the training log below, monitoring only: the schedule was fixed in advance"
            + (" and the last epoch is exported)." if targs.get("export") == "last" else ")."),
            f"- CamVid 11-class SegNet split, 480x360 RGB; ignore id {targs['ignore_index']}. Val frames "
            f"(split `{targs['val_split']}`) are training frames here: their score shows how the model fits a "
            "drive it saw and cannot tell how it generalizes. CamVid's test split is not available here.",
        ]
    return [
        f"- train: `{targs['data_dir']}` split `{targs['train_split']}`; validation on split "
        f"`{targs['val_split']}` (monitoring only: the schedule was fixed in advance and the last epoch is "
        f"exported)." if targs.get("export") == "last" else
        f"- train: `{targs['data_dir']}` split `{targs['train_split']}`; selection on split `{targs['val_split']}`.",
        "- CamVid 11-class SegNet split, 480x360 RGB; ignore id "
        f"{targs['ignore_index']}. Val frames come from the same drive as some train frames, so val mIoU "
        "is optimistic; the standard 233-frame test split was not available here.",
    ]


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m training.model_card", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="training --out-dir")
    p.add_argument("--eval", required=True, nargs="+", help="training.evaluate --json outputs (first = reference)")
    p.add_argument("--also-eval", nargs="+", default=[],
                   help="evaluate --json outputs on another split: a second table (first = reference)")
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
        evals, also = [], []
        for paths, into in ((a.eval, evals), (a.also_eval, also)):
            for path in paths:
                with open(path) as f:
                    into.append(json.load(f))
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    unknown = sorted({d["protocol"] for d in [targs, *evals, *also] if d.get("protocol")} - set(PROTOCOLS))
    if unknown:
        raise SystemExit(f"error: unknown protocol {unknown[0]!r} in --run or --eval (known: {', '.join(PROTOCOLS)})")
    column = f"held-out {PROTOCOLS[targs['protocol']].held_out_drive}" if targs.get("protocol") else "val"
    lines = [
        f"# Model card: {targs['model']} on CamVid ({targs['num_classes']} classes)",
        "",
        "## Data",
        *data_lines(targs),
        "- No ImageNet or Cityscapes pretraining: trained from scratch.",
        "",
        "## Schedule",
        *schedule_lines(targs, state, log, a.precision, a.cpu),
        "", "## Command", "```sh", a.command.strip(), "```", "",
        *validation_lines(evals, targs),
        *(["", *validation_lines(also, targs)] if also else []),
        "", f"Per-epoch training log: the run's `log.csv` ({column} every {targs['val_every']} epochs; train "
        "mIoU is on the augmented crops):", "", f"| epoch | loss | train mIoU | {column} mIoU |",
        "|---:|---:|---:|---:|",
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
