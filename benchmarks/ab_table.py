r"""The recipe A/B table of models/camvid/ab/ab.sh: one row per arm, from its run folder
(runs/ab/ARM: flags, steps, hours) and its held-out evaluations
(models/camvid/ab/eval/ARM_s{1.0,1.5}.json).

  python -m benchmarks.ab_table [--runs runs/ab] [--eval models/camvid/ab/eval]

mIoU is on the drive-held-out split (CamVid drive 0006R0, 101 frames, never trained on);
"at 1.5x" scores the same model on frames upscaled 1.5x (``--scales 1.5``). s/step is
wall-clock training time over steps (machines differ and other work may have run beside
an arm, so compare it only between arms run back to back).
"""
import argparse
import json
import os

THIN = ("Pole", "SignSymbol", "Fence", "Pedestrian", "Bicyclist")
RECIPE_FLAGS = ("crop", "scale_range", "color_jitter", "aux_resolution", "seed")


def arm_row(arm, runs, evals):
    """(cells) of one arm, or None when its evaluation at scale 1.0 is missing."""
    paths = {s: os.path.join(evals, f"{arm}_s{s}.json") for s in ("1.0", "1.5")}
    if not os.path.isfile(paths["1.0"]):
        return None
    scores = {s: json.load(open(p)) for s, p in paths.items() if os.path.isfile(p)}
    state_path = os.path.join(runs, arm, "state", "state.json")
    state = json.load(open(state_path)) if os.path.isfile(state_path) else {}
    flags = state.get("flags", {})
    base = scores["1.0"]
    cells = [arm, ", ".join(f"{k} {flags[k]}" for k in RECIPE_FLAGS if k in flags) or "?",
             str(state.get("step", "?")),
             f"{100 * base['miou']:.2f}",
             f"{100 * scores['1.5']['miou']:.2f}" if "1.5" in scores else ""]
    cells += [f"{100 * (base['per_class_iou'][c] or 0):.1f}" for c in THIN]
    cells.append(f"{state['hours'] * 3600 / state['step']:.2f}" if state.get("step") else "")
    return cells


def table(runs, evals):
    arms = sorted({name.rsplit("_s", 1)[0] for name in os.listdir(evals) if name.endswith(".json")})
    lines = ["| arm | recipe flags | steps | held-out mIoU | at 1.5x | " + " | ".join(THIN) + " | s/step |",
             "|---|---|---:|---:|---:|" + "---:|" * len(THIN) + "---:|"]
    for arm in arms:
        row = arm_row(arm, runs, evals)
        if row:
            lines.append("| " + " | ".join(row) + " |")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.ab_table", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", default="runs/ab")
    p.add_argument("--eval", default="models/camvid/ab/eval")
    args = p.parse_args(argv)
    if not os.path.isdir(args.eval):
        raise SystemExit(f"error: --eval {args.eval}: no such folder (run models/camvid/ab/ab.sh first)")
    print("\n".join(table(args.runs, args.eval)))


if __name__ == "__main__":
    main()
