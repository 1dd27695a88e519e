r"""Latency, size and mIoU of every artifact, side by side in one run.

  python -m benchmarks.benchmark --model models/camvid/bisenetv2.keras \
      --qat-model models/camvid/bisenetv2_qat.h5 --artifacts models/camvid \
      --data-dir ../shared/data/camvid --input-size 384 480 --input-size 512 1024

Batch 1, 2 threads (TF intra-op, LiteRT/XNNPACK, ONNX Runtime). Latency is the median
and p90 over --runs invocations after warm-up, timed in interleaved rounds (every
model once per round); ratios are to TFLite FP32 in the same run. Artifacts for the
size of the files in --artifacts are used as they are; other sizes are converted into
a temporary folder first. mIoU is measured at the artifacts' own size, on --split
(default val; all of it unless --eval-limit), or on a protocol's held-out frames with
--protocol (calibration then on its training frames). --miou-every-size also scores the
TFLite models at every other size (the frame letterboxed, so scaled up, into the larger
input): the speed/accuracy table a user picks an input size from:

  python -m benchmarks.benchmark --model M.keras --qat-model M_qat.h5 --artifacts models/camvid \
      --data-dir DATA --protocol drive-holdout --miou-every-size \
      --input-size 384 480 --input-size 576 768 --input-size 768 960

The table starts with the CPU's ISA flags and a one-conv INT8-vs-FP32 control
(benchmarks/cpu_check.py): on a CPU without VNNI, INT8 cannot beat FP32 by much.
"""
import argparse
import os
import sys
import tempfile

import bisenetv2_tf  # noqa: F401
import numpy as np

from bisenetv2_tf import cli
from bisenetv2_tf.data import datasets, protocols
from tflite.formats import ConversionError, check_input_size

LABELS = {"fp32": "TFLite FP32", "fp16": "TFLite FP16 weights", "int8-ptq": "TFLite INT8 PTQ",
          "int8-qat": "TFLite INT8 QAT"}


def _keras_runner(model, hw):
    import tensorflow as tf

    fn = tf.function(lambda x: model(x, training=False))
    x = tf.constant(np.random.default_rng(0).standard_normal((1, *hw, 3)).astype(np.float32))
    return lambda: fn(x).numpy()


def _onnx_runner(session, hw):
    name = session.get_inputs()[0].name
    x = np.random.default_rng(0).standard_normal((1, *hw, 3)).astype(np.float32)
    return lambda: session.run(None, {name: x})


def parse_args(argv=None):
    p = cli.parser("benchmarks.benchmark", __doc__)
    p.add_argument("--model", required=True, help="float inference model (.keras)")
    p.add_argument("--keras", dest="model", help=argparse.SUPPRESS)
    p.add_argument("--qat-model", help="QAT model (.h5) for the INT8-QAT row")
    p.add_argument("--qat", dest="qat_model", help=argparse.SUPPRESS)
    p.add_argument("--artifacts", required=True, help="folder with NAME_{fp32,fp16,int8_ptq,int8_qat}.tflite, NAME.onnx")
    cli.add_data(p, split="val", split_help="split the mIoU is measured on (default val)",
                 data_help="dataset root (calibration and mIoU)")
    p.add_argument("--calib-split", default="train", help="split of the calibration images (default train)")
    cli.add_input_sizes(p, default=[(384, 480), (512, 1024)])
    p.add_argument("--runs", type=int, default=20)
    cli.add_threads(p)
    p.add_argument("--eval-limit", type=int, help="images for mIoU (default all)")
    p.add_argument("--no-miou", action="store_true")
    p.add_argument("--protocol", choices=tuple(protocols.PROTOCOLS),
                   help="mIoU on a protocol's held-out frames, calibration on its training frames")
    p.add_argument("--miou-every-size", action="store_true",
                   help="score the TFLite models at every --input-size, not only the artifacts' own")
    cli.add_num_calibration(p, help="INT8 PTQ calibration images for sizes converted here (default 100)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import tensorflow as tf  # loaded only once the flags parse, like the modules below

    from benchmarks import sized_artifacts
    from benchmarks.cpu_check import report
    from bisenetv2_tf.evaluation.evaluate import evaluate
    from bisenetv2_tf.runtime.litert import timed_runner
    from bisenetv2_tf.runtime.predictors import load_predictor, onnx_session
    from bisenetv2_tf.runtime.timing import interleaved_stats
    from tflite import source

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    try:
        model = source.single_output(source.load_keras_model(args.model), args.model)
        qat = source.load_keras_model(args.qat_model) if args.qat_model else None
        if args.protocol:
            spec, val = protocols.protocol_specs(args.protocol, args.dataset, args.data_dir)
            args.split = f"{args.protocol} held-out"
        else:
            spec = datasets.load_spec(args.dataset, args.data_dir, args.calib_split)
            val = datasets.load_spec(args.dataset, args.data_dir, args.split)
        sizes = cli.input_sizes(args)
        for size in sizes:
            check_input_size(size)
    except (ConversionError, datasets.DatasetError) as err:
        raise SystemExit(f"error: {err}") from None
    tmp = tempfile.mkdtemp(prefix="bench-")

    print("\n".join(report(args.threads)) + "\n", flush=True)
    name = os.path.basename(args.model).split(".")[0]
    shipped_fp32 = os.path.join(args.artifacts, f"{name}_fp32.tflite")
    eval_size = sized_artifacts.static_hw(shipped_fp32) if os.path.isfile(shipped_fp32) else None
    for size in sizes:
        try:
            paths = sized_artifacts.artifacts_at(size, name, args.artifacts, model, qat, spec, tmp,
                                                 args.num_calibration)
        except (ConversionError, datasets.DatasetError) as err:
            raise SystemExit(f"error: {err}") from None
        rows = [("Keras fp32 (tf.function)", _keras_runner(model, size), None, args.model)]
        if qat is not None:
            rows.append(("Keras QAT (fake-quant)", _keras_runner(qat, size), None, args.qat_model))
        for kind, label in LABELS.items():
            if kind in paths:
                rows.append((label, timed_runner(paths[kind], size, args.threads), paths[kind], paths[kind]))
        rows.append(("ONNX Runtime (tf2onnx fp32)", _onnx_runner(onnx_session(paths["onnx"], args.threads), size),
                     paths["onnx"], paths["onnx"]))
        measured = []
        print(f"timing {len(rows)} models at {size[0]}x{size[1]}, {args.runs} interleaved rounds ...", file=sys.stderr,
              flush=True)
        stats = interleaved_stats([row[1] for row in rows], args.runs)
        n = args.eval_limit or len(val)
        for (label, runner, artifact, model_file), (median, p90) in zip(rows, stats):
            scored_here = size == eval_size or (args.miou_every_size and str(artifact).endswith(".tflite"))
            scoring = not args.no_miou and scored_here
            print(f"  {label}: {median:.1f} ms" + (f"; scoring {n} images ..." if scoring else ""), file=sys.stderr,
                  flush=True)
            miou = evaluate(load_predictor(model_file), val, args.eval_limit, progress=False)["miou"] if scoring \
                else None
            size_mb = os.path.getsize(artifact) / 1e6 if artifact else None
            measured.append((label, median, p90, size_mb, miou))
        base = next(m[1] for m in measured if m[0] == "TFLite FP32")
        print(f"\n### {size[0]}x{size[1]}, batch 1, {args.threads} threads, {args.runs} interleaved runs\n")
        print(f"| model | median ms | p90 ms | ratio to TFLite FP32 | size MB | {args.split} mIoU ({n} images) |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, median, p90, size_mb, miou in measured:
            print(f"| {label} | {median:.1f} | {p90:.1f} | {median / base:.2f} | "
                  f"{'' if size_mb is None else f'{size_mb:.2f}'} | {'' if miou is None else f'{100 * miou:.2f}'} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
