"""How fast does training run, and how much of the CPU does it use? In one run, for each
crop: s/step, img/s and training GMAC/s (3 x forward MACs per image x img/s) of the
training CLI's own compiled model (main + 4 aux OHEM losses, SGD momentum) in float32
and mixed_bfloat16, next to the GMAC/s of FP32 TFLite inference of the same network on
the same CPU. All rows are timed in interleaved rounds, so their ratios hold on a noisy
machine; the CPU line comes first.

  python -m benchmarks.train_benchmark --batch-size 8 --crops 256x320 352x480 --steps 6
  python -m benchmarks.train_benchmark --crops 256x320 --profile 3   # + where the step's time goes

A fixed random batch is used: this times the step, not the input pipeline
(``benchmarks.pipeline_benchmark`` times that). bf16 rows are only meaningful where the
CPU has bf16 in hardware (see the CPU line); ``--precisions float32`` skips them.
"""
import argparse

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before tf_keras is used)
import numpy as np
import tensorflow as tf
import tf_keras as keras

from benchmarks.cpu_check import cpu_line
from bisenetv2_tf import cli
from bisenetv2_tf.builders import build_model
from bisenetv2_tf.complexity import total_macs
from bisenetv2_tf.model import to_inference
from bisenetv2_tf.runtime.litert import interpreter
from bisenetv2_tf.runtime.timing import interleaved_stats
from tflite.converter import to_tflite
from training import train, trainer


def _size(text):
    h, _, w = text.partition("x")
    if not (h.isdigit() and w.isdigit()) or int(h) % 32 or int(w) % 32 or not int(h) or not int(w):
        raise argparse.ArgumentTypeError(f"expected HxW with multiples of 32, got {text!r}")
    return int(h), int(w)


def train_runner(args, crop, policy, num_classes):
    """A no-argument function that runs one training step of the CLI's model under ``policy``,
    as ``fit`` runs it (its compiled train function on a dataset iterator)."""
    keras.mixed_precision.set_global_policy(policy)
    try:
        model = trainer.build_compiled(args, num_classes, num_classes, total_steps=10_000)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch_size, *crop, 3)).astype(np.float32)
    y = rng.integers(0, num_classes, (args.batch_size, *crop)).astype(np.int32)
    targets = {n: y for n in model.output_names}
    # fit's own compiled step on a dataset iterator (train_on_batch adds per-call overhead)
    batches = iter(tf.data.Dataset.from_tensors((x, targets)).repeat())
    step = model.make_train_function()
    return lambda: step(batches)


def tflite_runner(model_name, crop, num_classes, threads):
    """(run one FP32 TFLite inference, forward MACs of the inference model) at ``crop``."""
    model = to_inference(build_model(model_name, num_classes, input_shape=(*crop, 3), batch_size=1))
    it = interpreter(content=to_tflite(model, "fp32", crop), threads=threads)
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], np.random.default_rng(0).standard_normal(inp["shape"]).astype(np.float32))
    return it.invoke, total_macs(model)


def op_profile(run_step, steps, top=15):
    """[(kernel, ms per step, share of op time)] of ``steps`` calls of ``run_step`` under
    the TF profiler, summed over every op of the host trace by kernel name (e.g.
    ``_MklNativeConv2DBackpropFilter``), largest first; the rest summed as "other"."""
    import collections
    import glob
    import tempfile

    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        try:
            for _ in range(steps):
                run_step()
        finally:
            tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        with open(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True)[0], "rb") as f:
            space.ParseFromString(f.read())
    totals = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" in name and " " not in name and "::" not in name:  # "scope/op:Kernel", not a wrapper
                    totals[name.rsplit(":", 1)[1]] += event.duration_ps
    whole = sum(totals.values())
    if not whole:
        return []
    rows = [(k, ps / 1e9 / steps, ps / whole) for k, ps in totals.most_common(top)]
    rest = whole - sum(ps for _, ps in totals.most_common(top))
    return rows + ([("other", rest / 1e9 / steps, rest / whole)] if rest else [])


def main(argv=None):
    p = cli.parser("benchmarks.train_benchmark", __doc__)
    cli.add_arch(p)
    p.add_argument("--num-classes", type=int, default=11, help="default 11 (CamVid)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--crops", type=_size, nargs="+", default=[(256, 320), (352, 480)], metavar="HxW")
    p.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"],
                   choices=("float32", "mixed_bfloat16"))
    p.add_argument("--steps", type=int, default=6, help="timed rounds (default 6)")
    p.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    cli.add_threads(p)
    p.add_argument("--profile", type=int, default=0, metavar="STEPS",
                   help="also profile STEPS training steps per precision at the first crop and print "
                        "the time per op kernel (default 0: off)")
    a = p.parse_args(argv)
    for flag in ("num_classes", "batch_size", "steps", "threads"):
        if getattr(a, flag) < 1:
            p.error(f"--{flag.replace('_', '-')} must be >= 1")
    if a.warmup < 0 or a.profile < 0:
        p.error("--warmup and --profile must be >= 0")
    args = train.parse_args(["--data-dir", "-", "--out-dir", "-", "--arch", a.arch,
                             "--batch-size", str(a.batch_size)])
    print(cpu_line(), flush=True)
    rows, profiles = [], []
    for crop in a.crops:
        train_macs = total_macs(build_model(a.arch, a.num_classes, input_shape=(*crop, 3)))
        runners = [train_runner(args, crop, policy, a.num_classes) for policy in a.precisions]
        infer, infer_macs = tflite_runner(a.arch, crop, a.num_classes, a.threads)
        stats = interleaved_stats(runners + [infer], a.steps, a.warmup)
        if a.profile and crop == a.crops[0]:
            profiles = [(policy, op_profile(run, a.profile)) for policy, run in zip(a.precisions, runners)]
        base = stats[0][0]
        for policy, (ms, p90) in zip(a.precisions, stats):
            img_s = a.batch_size * 1000 / ms
            rows.append((f"{crop[0]}x{crop[1]}", f"train {policy}", f"{ms / 1000:.2f}", f"{p90 / 1000:.2f}",
                         f"{img_s:.2f}", f"{3 * train_macs * img_s / 1e9:.0f}", f"{base / ms:.2f}"))
        ms = stats[-1][0]
        rows.append((f"{crop[0]}x{crop[1]}", f"TFLite FP32 inference, batch 1, {a.threads} threads",
                     f"{ms / 1000:.3f}", f"{stats[-1][1] / 1000:.3f}", f"{1000 / ms:.2f}",
                     f"{infer_macs * 1000 / ms / 1e9:.0f}", ""))
        print(f"done {crop[0]}x{crop[1]}", flush=True)
    print(f"\nbatch {a.batch_size}, {a.arch}, {a.num_classes} classes, main + aux OHEM losses; "
          f"median of {a.steps} interleaved rounds")
    print("| crop | what | s/step | p90 s | img/s | GMAC/s | speed-up vs first row |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    for policy, table in profiles:
        crop = a.crops[0]
        print(f"\nwhere a {policy} step goes at {crop[0]}x{crop[1]} (TF profiler, {a.profile} steps; op time "
              f"summed over threads)")
        print("| op kernel | ms per step | share |")
        print("|---|---:|---:|")
        for kernel, ms, share in table:
            print(f"| {kernel} | {ms:.0f} | {100 * share:.1f}% |")


if __name__ == "__main__":
    main()
