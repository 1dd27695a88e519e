r"""Write a model card (markdown) from a training run and an evaluation JSON.

  python -m training.model_card --run runs/camvid_v2 --eval val.json \
      --command "$(cat runs/camvid_cmd.sh)" --out models/camvid/MODEL_CARD.md
"""
import argparse
import csv
import json
import os


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m training.model_card", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="training --out-dir")
    p.add_argument("--eval", required=True, nargs="+", help="training.evaluate --json outputs (first = main)")
    p.add_argument("--command", required=True, help="the exact training command")
    p.add_argument("--hours", type=float, help="wall-clock training hours")
    p.add_argument("--notes", default="", help="extra markdown")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    with open(os.path.join(a.run, "train_args.json")) as f:
        targs = json.load(f)
    with open(os.path.join(a.run, "log.csv")) as f:
        log = list(csv.DictReader(f))
    evals = []
    for path in a.eval:
        with open(path) as f:
            evals.append(json.load(f))
    main_eval = evals[0]
    epochs = len(log)
    aux_heads = sum(1 for k in log[0] if k.startswith("aux") and k.endswith("_loss"))  # one loss column each
    lines = [
        f"# Model card: {targs['model']} on CamVid ({targs['num_classes']} classes)",
        "",
        "## Data",
        f"- train: `{targs['data_dir']}` split `{targs['train_split']}`; selection on split `{targs['val_split']}`.",
        "- CamVid 11-class SegNet split, 480x360 RGB; ignore id "
        f"{targs['ignore_index']}. Val frames come from the same drive as some train frames, so val mIoU "
        "is optimistic; the standard 233-frame test split was not available here.",
        "- No ImageNet or Cityscapes pretraining: trained from scratch.",
        "",
        "## Schedule",
        f"- {epochs} epochs x {targs['steps_per_epoch']} steps = {epochs * targs['steps_per_epoch']} steps, "
        f"batch {targs['batch_size']}, crop {targs['crop'][0]}x{targs['crop'][1]}, random scale "
        f"{targs['scale_range'][0]}-{targs['scale_range'][1]}, flip, color jitter.",
        f"- SGD momentum {targs['momentum']}, weight decay {targs['weight_decay']}, LR {targs['lr']} poly 0.9 "
        f"with {targs['warmup_steps']} warmup steps; OHEM CE (thresh {targs['ohem_thresh']}) on the main head "
        f"and the {aux_heads} aux heads (weight {targs['aux_weight']}); float32; 2-core CPU.",
    ]
    if a.hours:
        lines.append(f"- wall-clock: {a.hours:.2f} h (on a shared 2-core CPU).")
    lines += ["", "## Command", "```sh", a.command.strip(), "```", "",
              f"## Validation ({main_eval['split']}, {main_eval['num_images']} images, full resolution)", "",
              "| class | " + " | ".join(os.path.basename(e["model"]) for e in evals) + " |",
              "|---|" + "---:|" * len(evals)]
    for name in main_eval["per_class_iou"]:
        vals = [e["per_class_iou"][name] for e in evals]
        lines.append(f"| {name} | " + " | ".join("n/a" if v is None else f"{100 * v:.2f}" for v in vals) + " |")
    lines.append("| **mIoU** | " + " | ".join(f"**{100 * e['miou']:.2f}**" for e in evals) + " |")
    lines.append("| pixel accuracy | " + " | ".join(f"{100 * e['pixel_accuracy']:.2f}" for e in evals) + " |")
    lines += ["", "Per-epoch training log: the run's `log.csv` (val every "
              f"{targs['val_every']} epochs):", "", "| epoch | loss | val mIoU |", "|---:|---:|---:|"]
    key = "val_logits_miou" if "val_logits_miou" in log[0] else "val_miou"
    for row in log:
        if row.get(key) not in (None, "", "NA"):
            lines.append(f"| {int(row['epoch']) + 1} | {float(row['loss']):.3f} | {100 * float(row[key]):.2f} |")
    if a.notes:
        lines += ["", a.notes]
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
