"""BiSeNet V1 vs V2 (vs V2-L): size, compute, on-device latency and CamVid accuracy.

  python -m benchmarks.compare_models --data-dir ../shared/data/camvid \\
      --model bisenetv1=models/camvid/bisenetv1.keras \\
      --model bisenetv2=models/camvid/bisenetv2.keras --model bisenetv2-l

Each --model is ARCH or ARCH=TRAINED.keras. For every model, in one run:
- inference parameters (learnable, no auxiliary heads or BN moving statistics, as
  the paper and ``python -m bisenetv2_tf.summary`` count them) and conv MACs at 512x1024 and at 384x480
  (a 360x480 CamVid frame padded to a multiple of 32, as every predictor here does),
  with the dataset's class count;
- TFLite FP32 and INT8 PTQ (uint8 I/O, --num-calibration training images) converted
  at --size, median latency over --runs on --threads, interleaved model by model so
  that machine noise hits every row alike, and the file sizes;
- CamVid val mIoU of the Keras model and of its INT8 PTQ TFLite, for trained models
  only (an ARCH without a file is built with random weights: speed and size only).
The table starts with the CPU control of benchmarks/cpu_check.py.
"""
import argparse
import os
import sys
import tempfile
import time

import bisenetv2_tf  # noqa: F401

from benchmarks.cpu_check import report
from bisenetv2_tf.builders import MODEL_NAMES, build_model
from bisenetv2_tf.complexity import count_params, total_macs
from bisenetv2_tf.data import datasets
from bisenetv2_tf.evaluation.evaluate import evaluate
from bisenetv2_tf.runtime.litert import timed_runner
from bisenetv2_tf.runtime.predictors import load_predictor
from bisenetv2_tf.runtime.timing import interleaved_stats
from tflite import convert

MAC_SIZES = ((512, 1024), (384, 480))


def parse_model_arg(text):
    """"ARCH" or "ARCH=PATH" -> (arch, path or None); exits with a one-line error if bad."""
    arch, _, path = text.partition("=")
    if arch not in MODEL_NAMES:
        raise SystemExit(f"--model {text}: unknown architecture {arch!r}; choose from {', '.join(MODEL_NAMES)}")
    if path and not os.path.isfile(path):
        raise SystemExit(f"--model {text}: file not found: {path}")
    return arch, path or None


def complexity(arch, num_classes):
    """{"params": learnable inference parameters, "weights": the same plus BN moving
    statistics, "macs": {(h, w): MACs}} of the architecture."""
    macs = {hw: total_macs(build_model(arch, num_classes, (*hw, 3), aux_heads=False, batch_size=1))
            for hw in MAC_SIZES}
    trainable, frozen = count_params(build_model(arch, num_classes, aux_heads=False))
    return {"params": trainable, "weights": trainable + frozen, "macs": macs}


def load_or_build(arch, path, num_classes, expected_weights):
    """The trained model at ``path`` (checked against ``arch``'s weight count), or a
    seeded random one."""
    import tf_keras as keras

    if path is None:
        keras.utils.set_random_seed(0)
        return build_model(arch, num_classes, aux_heads=False)
    model = convert.load_keras_model(path)
    if int(model.outputs[0].shape[-1]) != num_classes:
        raise SystemExit(f"{path}: {model.outputs[0].shape[-1]} classes, the dataset has {num_classes}")
    if sum(count_params(model)) != expected_weights:
        raise SystemExit(f"{path}: parameter count does not match {arch}; wrong --model name?")
    return model


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.compare_models", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", action="append", required=True, metavar="ARCH[=MODEL.keras]")
    p.add_argument("--data-dir", required=True, help="CamVid-layout data (calibration and mIoU)")
    p.add_argument("--size", type=int, nargs=2, default=(384, 480), metavar=("H", "W"),
                   help="TFLite input size for latency and mIoU (multiples of 32)")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--num-calibration", type=int, default=100)
    p.add_argument("--eval-limit", type=int, help="val images for mIoU (default all)")
    args = p.parse_args(argv)
    hw = tuple(args.size)
    try:
        convert.check_input_size(hw)
    except convert.ConversionError as err:
        p.error(str(err))
    models = [parse_model_arg(m) for m in args.model]

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    spec = datasets.camvid(args.data_dir, "train")
    val = datasets.camvid(args.data_dir, "val")
    tmp = tempfile.mkdtemp(prefix="compare-")
    rows = []
    for arch, path in models:
        t0 = time.time()
        print(f"{arch}: counting, converting at {hw[0]}x{hw[1]} ...", file=sys.stderr, flush=True)
        row = {"arch": arch, "path": path, **complexity(arch, spec.num_classes)}
        model = load_or_build(arch, path, spec.num_classes, row["weights"])
        results = convert.convert_all(model, ["fp32", "int8-ptq"], hw, tmp, f"{arch}_{hw[0]}x{hw[1]}", spec=spec,
                                      num_calibration=args.num_calibration, num_verify=1, model_name=arch,
                                      log=lambda *a: None)
        row["tflite"] = {k: r["path"] for k, r in results.items()}
        row["mb"] = {k: r["bytes"] / 1e6 for k, r in results.items()}
        if path is not None:
            print(f"{arch}: CamVid val mIoU (Keras, INT8 PTQ) ...", file=sys.stderr, flush=True)
            row["miou"] = {"keras": evaluate(load_predictor(path), val, args.eval_limit, progress=False)["miou"],
                           "int8-ptq": evaluate(load_predictor(row["tflite"]["int8-ptq"]), val, args.eval_limit,
                                                progress=False)["miou"]}
        print(f"{arch}: done in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
        rows.append(row)

    keys = [(i, k) for i in range(len(rows)) for k in ("fp32", "int8-ptq")]
    stats = interleaved_stats([timed_runner(rows[i]["tflite"][k], hw, args.threads) for i, k in keys], args.runs)
    latency = {key: median for key, (median, _) in zip(keys, stats)}

    n = args.eval_limit or len(val)
    print("\n".join(report(args.threads)))
    print(f"\n### BiSeNet V1 vs V2: {spec.num_classes} classes; TFLite at {hw[0]}x{hw[1]}, batch 1, "
          f"{args.threads} threads, median of {args.runs} interleaved runs\n")
    print("| model | params (M) | GMACs 512x1024 | GMACs 384x480 | FP32 ms | INT8 ms | INT8/FP32 | "
          f"FP32 MB | INT8 MB | val mIoU Keras ({n} images) | val mIoU INT8 PTQ |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, row in enumerate(rows):
        fp32, int8 = latency[(i, "fp32")], latency[(i, "int8-ptq")]
        miou = row.get("miou")
        acc = (f"{100 * miou['keras']:.2f} | {100 * miou['int8-ptq']:.2f}" if miou else "not trained | not trained")
        print(f"| {row['arch']} | {row['params'] / 1e6:.2f} | {row['macs'][MAC_SIZES[0]] / 1e9:.2f} | "
              f"{row['macs'][MAC_SIZES[1]] / 1e9:.2f} | {fp32:.1f} | {int8:.1f} | {int8 / fp32:.2f} | "
              f"{row['mb']['fp32']:.2f} | {row['mb']['int8-ptq']:.2f} | {acc} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
