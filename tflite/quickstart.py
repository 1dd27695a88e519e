"""The main job end to end on a small synthetic dataset made by code, in minutes on a CPU:

  make data -> train (fit, OHEM, aux heads) -> QAT fine-tune -> INT8 TFLite (PTQ and
  QAT) + FP32 -> evaluate every model on the val split -> print one table.

  python -m tflite.quickstart [--work-dir runs/quickstart] [--epochs 6]

Training and QAT run ``training.train``'s command line in this process, exactly the
command a user runs; this module sits above both training and conversion (the top,
scripts layer of tests/test_import_layers.py). For real data use the same steps by hand
(see README): training.train, training.train --qat, tflite.convert, training.evaluate.

The flags are checked before anything is written (--input-size 33 47 leaves no
partial data/ folder).
"""
import os
import sys
import time

import bisenetv2_tf  # noqa: F401
import numpy as np

from bisenetv2_tf import cli
from bisenetv2_tf.data import datasets, synthetic
from bisenetv2_tf.fileio import OutputPathError, check_writable_dir
from bisenetv2_tf.runtime.cpu import cpu_line
from bisenetv2_tf.runtime.timing import interleaved_stats
from tflite.formats import ConversionError, check_input_size
from training import train


def table_header(hw, threads):
    """The results table's first lines: the CPU line (INT8 beats FP32 only with VNNI) and
    the column heads."""
    return [cpu_line() + " (INT8 vs FP32 latency depends on these: python -m benchmarks.cpu_check)", "",
            f"| model | val mIoU | pixel acc. | size MB | latency ms (1x{hw[0]}x{hw[1]}, {threads} threads) |",
            "|---|---:|---:|---:|---:|"]


def _latency_ms(it, runs=10):
    """Median ms of ``runs`` invocations of a LiteRT interpreter on a zero input."""
    inp = it.get_input_details()[0]
    x = np.zeros(inp["shape"], inp["dtype"])
    it.set_tensor(inp["index"], x)
    return interleaved_stats([it.invoke], runs, warmup=1)[0][0]


def check_args(args):
    """One-line errors (``ConversionError``/``OutputPathError``) before anything is written."""
    h, w = args.input_size
    try:
        check_input_size((h, w))
    except ConversionError as err:
        raise ConversionError(f"--input-size {h} {w}: {err}") from None
    for flag, value in (("--epochs", args.epochs), ("--qat-steps", args.qat_steps), ("--threads", args.threads)):
        if value < 1:
            raise ConversionError(f"{flag} {value}: must be at least 1")
    check_writable_dir(args.work_dir, "--work-dir", create=False)


def main(argv=None):
    p = cli.parser("tflite.quickstart", __doc__)
    p.add_argument("--work-dir", default="runs/quickstart")
    p.add_argument("--epochs", type=int, default=6, help="float training epochs of 10 steps")
    p.add_argument("--qat-steps", type=int, default=10)
    cli.add_input_size(p, default=(128, 160), help="synthetic image and model input size (default 128 160)")
    cli.add_threads(p)
    args = p.parse_args(argv)
    try:
        check_args(args)
    except (ConversionError, OutputPathError) as err:
        sys.exit(f"error: {err}")
    # TensorFlow, LiteRT and ONNX Runtime load only now that the flags parse
    from bisenetv2_tf.evaluation.evaluate import evaluate
    from bisenetv2_tf.runtime.litert import interpreter
    from bisenetv2_tf.runtime.predictors import load_predictor
    from tflite import exporters, request, source

    t_start = time.time()
    work = args.work_dir
    hw = tuple(args.input_size)
    data = synthetic.make_dataset(os.path.join(work, "data"), 64, 16, hw, seed=0)
    print(f"[1/5] synthetic dataset: {data} (64 train, 16 val, {hw[0]}x{hw[1]})", flush=True)

    common = ["--data-dir", data, "--batch-size", "4", "--crop", str(hw[0]), str(hw[1]), "--seed", "0",
              "--log-every", "5", "--val-every", str(args.epochs)]
    print(f"[2/5] training BiSeNetV2 for {args.epochs} x 10 steps", flush=True)
    train.main(common + ["--out-dir", os.path.join(work, "train"), "--epochs", str(args.epochs),
                             "--steps-per-epoch", "10", "--warmup-steps", "10", "--lr", "0.05",
                             "--scale-range", "0.75", "1.5"])
    float_model = os.path.join(work, "train", "model.keras")
    print(f"[3/5] quantization-aware fine-tuning for {args.qat_steps} steps", flush=True)
    train.main(common + ["--out-dir", os.path.join(work, "qat"), "--qat", "--init-weights", float_model,
                             "--epochs", "1", "--steps-per-epoch", str(args.qat_steps), "--warmup-steps", "1",
                             "--lr", "0.005", "--scale-range", "1.0", "1.0", "--num-calibration", "16"])
    qat_model = os.path.join(work, "qat", "model.h5")
    print("[4/5] converting to TFLite FP32, INT8 PTQ and INT8 QAT", flush=True)
    out = os.path.join(work, "models")
    spec = datasets.camvid(data, "train")
    exporters.export(request.ConversionRequest(
        source.load_keras_model(float_model), ("fp32", "int8-ptq", "int8-qat"), hw, out, "bisenetv2",
        request.dataset_info(spec, "bisenetv2"), calibration=spec, qat_model=source.load_keras_model(qat_model),
        num_calibration=32, num_verify=4, threads=args.threads))
    print("[5/5] evaluating on the val split", flush=True)
    val = datasets.camvid(data, "val")
    rows = [("Keras fp32", float_model), ("Keras QAT (fake-quant)", qat_model)] + [
        (f"TFLite {k}", os.path.join(out, f"bisenetv2_{k}.tflite")) for k in ("fp32", "int8_ptq", "int8_qat")]
    print("\n" + "\n".join(table_header(hw, args.threads)))
    for label, path in rows:
        result = evaluate(load_predictor(path, threads=args.threads), val, progress=False)
        ms = _latency_ms(interpreter(path=path, threads=args.threads)) if path.endswith(".tflite") else None
        print(f"| {label} | {100 * result['miou']:.2f} | {100 * result['pixel_accuracy']:.2f} | "
              f"{os.path.getsize(path) / 1e6:.2f} | {'' if ms is None else f'{ms:.1f}'} |")
    print(f"\ndone in {(time.time() - t_start) / 60:.1f} min; artifacts in {out}")


if __name__ == "__main__":
    main()
