r"""BiSeNet V1 vs V2 (vs V2-L): size, compute, on-device latency and CamVid accuracy.

  python -m benchmarks.compare_models --data-dir ../shared/data/camvid \
      --model models/camvid/bisenetv1.keras --model models/camvid/bisenetv2.keras \
      --arch bisenetv2-l

Each --model is a trained .keras file (its architecture read from the model's name);
each --arch an architecture built with random weights (speed and size only). Rows
come in the order given. For every model, in one run:
- inference parameters (learnable, no auxiliary heads or BN moving statistics, as
  the paper and ``python -m bisenetv2_tf.summary`` count them) and conv MACs at 512x1024 and at 384x480
  (a 360x480 CamVid frame padded to a multiple of 32, as every predictor here does),
  with the dataset's class count;
- TFLite FP32 and INT8 PTQ (uint8 I/O, --num-calibration training images) converted
  at --input-size, median latency over --runs on --threads, interleaved model by model so
  that machine noise hits every row alike, and the file sizes;
- mIoU on --split (default val) of the Keras model and of its INT8 PTQ TFLite, for trained models
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
from bisenetv2_tf import cli
from bisenetv2_tf.builders import MODEL_NAMES, build_model
from bisenetv2_tf.complexity import count_params, total_macs
from bisenetv2_tf.data import datasets
from bisenetv2_tf.evaluation.evaluate import evaluate
from bisenetv2_tf.names import MODELS
from bisenetv2_tf.runtime.litert import timed_runner
from bisenetv2_tf.runtime.predictors import load_predictor
from bisenetv2_tf.runtime.timing import interleaved_stats
from tflite import exporters, source
from tflite.formats import ConversionError, check_input_size
from tflite.request import ConversionRequest, dataset_info

MAC_SIZES = ((512, 1024), (384, 480))


class _InOrder(argparse.Action):
    """Collect --model and --arch values into one list of (flag, value), in command-line order."""

    def __call__(self, parser, namespace, values, option_string=None):
        getattr(namespace, self.dest).append((self.metavar, values))


def resolve_rows(entries):
    """[(flag, value)] -> [(arch, path or None)]; exits with a one-line error if bad.

    ``("model", PATH)``: a trained model, its architecture from the Keras model name
    (checked again against the weight count later). ``("arch", NAME)``: untrained.
    The old ``--model ARCH`` / ``--model ARCH=PATH`` forms are still read."""
    rows = []
    for flag, value in entries:
        arch, eq, path = value.partition("=")
        if flag == "arch" or (flag == "model" and (eq or (arch in MODEL_NAMES and not os.path.isfile(value)))):
            if arch not in MODEL_NAMES:
                raise SystemExit(f"error: --{flag} {value}: unknown architecture {arch!r}; choose from "
                                 f"{', '.join(MODEL_NAMES)}")
            if path and not os.path.isfile(path):
                raise SystemExit(f"error: --{flag} {value}: file not found: {path}")
            rows.append((arch, path or None))
            continue
        if not os.path.isfile(value):
            raise SystemExit(f"error: --model {value}: file not found")
        rows.append((None, value))
    return rows


def arch_of(model, path):
    """The architecture name of a loaded Keras model (from its Model.name)."""
    for entry in MODELS:
        if model.name == entry.keras_name:
            return entry.name
    raise SystemExit(f"error: --model {path}: model name {model.name!r} is none of "
                     f"{', '.join(m.keras_name for m in MODELS)}; pass --arch to say which")


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
    model = source.load_keras_model(path)
    if int(model.outputs[0].shape[-1]) != num_classes:
        raise SystemExit(f"error: {path}: {model.outputs[0].shape[-1]} classes, the dataset has {num_classes}")
    if sum(count_params(model)) != expected_weights:
        raise SystemExit(f"error: {path}: parameter count does not match {arch}; wrong --arch?")
    return model


def main(argv=None):
    p = cli.parser("benchmarks.compare_models", __doc__)
    p.set_defaults(rows=[])
    p.add_argument("--model", action=_InOrder, dest="rows", metavar="model",
                   help="a trained .keras model (repeat for more rows)")
    p.add_argument("--arch", action=_InOrder, dest="rows", metavar="arch",
                   help=f"an untrained architecture ({', '.join(MODEL_NAMES)}; repeat for more rows)")
    cli.add_data(p, split="val", split_help="split the mIoU is measured on (default val)",
                 data_help="dataset root (calibration and mIoU)")
    p.add_argument("--calib-split", default="train", help="split of the calibration images (default train)")
    cli.add_input_size(p, default=(384, 480), help="TFLite input size for latency and mIoU (multiples of 32)")
    p.add_argument("--runs", type=int, default=10)
    cli.add_threads(p)
    cli.add_num_calibration(p, help="INT8 PTQ calibration images (default 100)")
    p.add_argument("--eval-limit", type=int, help="images for mIoU (default all)")
    args = p.parse_args(argv)
    if not args.rows:
        p.error("give at least one --model or --arch")
    hw = tuple(args.input_size)
    try:
        check_input_size(hw)
    except ConversionError as err:
        p.error(str(err))
    models = resolve_rows(args.rows)

    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    try:
        spec = datasets.load_spec(args.dataset, args.data_dir, args.calib_split)
        val = datasets.load_spec(args.dataset, args.data_dir, args.split)
    except datasets.DatasetError as err:
        raise SystemExit(f"error: {err}") from None
    tmp = tempfile.mkdtemp(prefix="compare-")
    rows = []
    for arch, path in models:
        t0 = time.time()
        if arch is None:
            arch = arch_of(source.load_keras_model(path), path)
        print(f"{arch}: counting, converting at {hw[0]}x{hw[1]} ...", file=sys.stderr, flush=True)
        row = {"arch": arch, "path": path, **complexity(arch, spec.num_classes)}
        model = load_or_build(arch, path, spec.num_classes, row["weights"])
        request = ConversionRequest(model, ("fp32", "int8-ptq"), hw, tmp, f"{arch}_{hw[0]}x{hw[1]}",
                                    dataset_info(spec, arch), calibration=spec,
                                    num_calibration=args.num_calibration, num_verify=1)
        results = exporters.export(request, log=lambda *a: None)
        row["tflite"] = {k: a.path for k, a in results.items()}
        row["mb"] = {k: a.bytes / 1e6 for k, a in results.items()}
        if path is not None:
            print(f"{arch}: {args.split} mIoU (Keras, INT8 PTQ) ...", file=sys.stderr, flush=True)
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
          f"FP32 MB | INT8 MB | {args.split} mIoU Keras ({n} images) | {args.split} mIoU INT8 PTQ |")
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
