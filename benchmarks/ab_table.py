r"""The recipe A/B table of models/camvid/ab/ab.sh: one row per arm, from its run record
(models/camvid/ab/eval/ARM.run.json: flags, steps, hours, compute precision, CPU) and its
held-out evaluations (models/camvid/ab/eval/ARM_s{1.0,1.5}.json).

  python -m benchmarks.ab_table [--runs runs/ab] [--eval models/camvid/ab/eval]
  python -m benchmarks.ab_table --record ARM     # after ARM trained: write (or refresh) its record

mIoU is on the drive-held-out split (CamVid drive 0006R0, 101 frames, never trained on);
"at 1.5x" scores the same model on frames upscaled 1.5x (``--scales 1.5``). A row
ARM.raw scores the raw weights of an --ema arm (ab.sh evaluates its last checkpoint): set
against the ARM row, the moving average is compared on one training run, free of seed
noise. Compare arms of one precision only. s/step is wall-clock training time over steps
(machines differ and other work may have run beside an arm, so compare it only between
arms run back to back).
The run folders (runs/ab) are not committed; the records are, so the table can be
rebuilt on a fresh clone. An arm without a record falls back to runs/ab/ARM/state.
"""
import argparse
import datetime
import json
import os

from bisenetv2_tf.fileio import atomic_write
from bisenetv2_tf.runtime.cpu import cpu_line
from training import precision

THIN = ("Pole", "SignSymbol", "Fence", "Pedestrian", "Bicyclist")
RECIPE_FLAGS = ("crop", "scale_range", "color_jitter", "aux_resolution", "ema", "seed")
RAW = ".raw"  # ARM.raw: the raw weights of an --ema arm (its last checkpoint), beside the exported average
SHORT_PRECISION = {"float32": "fp32", "mixed_bfloat16": "bf16", "mixed_float16": "fp16"}


def record_path(evals, arm):
    return os.path.join(evals, f"{arm}.run.json")


def _state_path(runs, arm):
    """An arm's run state (read as JSON here: training.run_state would load TensorFlow)."""
    return os.path.join(runs, arm, "state", "state.json")


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: {path}: cannot be read as JSON ({err})") from None


def run_record(arm, runs):
    """The record of a finished arm from its run folder: the run's flags, steps and hours
    (its state), the precision it computed in and this CPU's line."""
    folder, state_path = os.path.join(runs, arm), _state_path(runs, arm)
    if not os.path.isfile(state_path):
        raise SystemExit(f"error: --record {arm}: {state_path} not found (train the arm first)")
    state = _read_json(state_path)
    missing = [k for k in ("flags", "step", "hours") if k not in state]
    if missing:
        raise SystemExit(f"error: --record {arm}: {state_path} has no {', '.join(missing)} (a damaged run state)")
    if not state.get("complete"):
        raise SystemExit(f"error: --record {arm}: the run in {folder} is not finished")
    args = _read_json(os.path.join(folder, "train_args.json"))
    if "compute_precision" in args:  # what the run's last session computed in
        policy, why = args["compute_precision"], args["compute_precision_reason"]
    else:  # runs of older versions: resolve --precision on this machine, the one that trained it
        policy, why = precision.choose(args.get("precision", "auto"), args.get("qat", False))
    return {"arm": arm, "flags": state["flags"], "step": state["step"], "hours": state["hours"],
            "precision": policy, "precision_reason": why, "cpu": cpu_line(),
            "recorded": datetime.date.today().isoformat()}


def write_record(record, evals):
    os.makedirs(evals, exist_ok=True)
    path = record_path(evals, record["arm"])
    atomic_write(path, json.dumps(record, indent=1) + "\n")
    return path


def _same_run(old, new):
    """Whether two records describe the same training (a rerun of ab.sh on a finished arm)."""
    return all(old.get(k) == new.get(k) for k in ("flags", "step", "hours"))


def arm_info(arm, runs, evals):
    """The arm's record, else what its run state says (flags, step, hours; no precision)."""
    path = record_path(evals, arm)
    if os.path.isfile(path):
        return _read_json(path)
    state_path = _state_path(runs, arm)
    return _read_json(state_path) if os.path.isfile(state_path) else {}


def _flag_text(value):
    return " ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def arm_row(arm, runs, evals):
    """(cells) of one arm, or None when its evaluation at scale 1.0 is missing."""
    paths = {s: os.path.join(evals, f"{arm}_s{s}.json") for s in ("1.0", "1.5")}
    if not os.path.isfile(paths["1.0"]):
        return None
    scores = {s: _read_json(p) for s, p in paths.items() if os.path.isfile(p)}
    run_arm = arm.removesuffix(RAW)
    info = arm_info(run_arm, runs, evals)
    flags = dict(info.get("flags", {}))
    if run_arm != arm and "ema" in flags:
        flags["ema"] = f"{flags['ema']} (not exported: the same run's raw weights)"
    base = scores["1.0"]
    cells = [arm, ", ".join(f"{k} {_flag_text(flags[k])}" for k in RECIPE_FLAGS if k in flags) or "?",
             SHORT_PRECISION.get(info.get("precision"), "?"),
             str(info.get("step", "?")),
             f"{100 * base['miou']:.2f}",
             f"{100 * scores['1.5']['miou']:.2f}" if "1.5" in scores else ""]
    cells += [f"{100 * (base['per_class_iou'][c] or 0):.1f}" for c in THIN]
    cells.append(f"{info['hours'] * 3600 / info['step']:.2f}" if info.get("step") and info.get("hours") else "")
    return cells


def table(runs, evals):
    arms = sorted(name[:-len("_s1.0.json")] for name in os.listdir(evals) if name.endswith("_s1.0.json"))
    lines = ["| arm | recipe flags | precision | steps | held-out mIoU | at 1.5x | "
             + " | ".join(THIN) + " | s/step |",
             "|---|---|---|---:|---:|---:|" + "---:|" * len(THIN) + "---:|"]
    for arm in arms:
        row = arm_row(arm, runs, evals)
        if row:
            lines.append("| " + " | ".join(row) + " |")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.ab_table", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", default="runs/ab", help="the arms' run folders (default runs/ab)")
    p.add_argument("--eval", default="models/camvid/ab/eval",
                   help="the arms' evaluations and run records (default models/camvid/ab/eval)")
    p.add_argument("--record", metavar="ARM",
                   help="write ARM's run record from RUNS/ARM (ab.sh does, after training) and exit; "
                   "a record of the same training (flags, steps, hours) is left as it is")
    args = p.parse_args(argv)
    if args.record:
        record, path = run_record(args.record, args.runs), record_path(args.eval, args.record)
        if os.path.isfile(path) and _same_run(_read_json(path), record):
            print(f"{path}: up to date")  # keeps the CPU line of the machine that trained it
        else:
            print(write_record(record, args.eval))
        return
    if not os.path.isdir(args.eval):
        raise SystemExit(f"error: --eval {args.eval}: no such folder (run models/camvid/ab/ab.sh first)")
    print("\n".join(table(args.runs, args.eval)))


if __name__ == "__main__":
    main()
