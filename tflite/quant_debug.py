"""Where INT8 loses accuracy, for ``python -m tflite.quant_report``: per-layer INT8-vs-float
errors (TFLite's QuantizationDebugger), INT8 models with chosen layers kept in float,
their mIoU and latency, and the search for the fewest float layers meeting a target.
"""
import csv
import io
import math
import os
import sys

import bisenetv2_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from bisenetv2_tf.data import datasets, protocols
from bisenetv2_tf.evaluation.evaluate import evaluate
from bisenetv2_tf.fileio import OutputPathError, atomic_write, check_writable_dir
from bisenetv2_tf.model import to_inference
from bisenetv2_tf.runtime import timing
from bisenetv2_tf.runtime.calibration import calibration_images
from bisenetv2_tf.runtime.litert import interpreter, run_tflite
from bisenetv2_tf.runtime.predictors import load_predictor
from tflite.converter import concrete_function, quiet_conversion, to_tflite
from tflite.formats import ConversionError, check_input_size
from tflite.source import load_keras_model


def _converter(model, hw, calib):
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete_function(model, hw)], model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([x] for x in calib)
    return converter


def _debugger(model, hw, calib, debug, options=None):
    return tf.lite.experimental.QuantizationDebugger(
        converter=_converter(model, hw, calib), debug_dataset=lambda: ([x] for x in debug),
        debug_options=options)


def layer_errors(model, hw, calib, debug):
    """Rows sorted worst first: dict(op, tensor, rmse, scale, rmse_per_scale, max_abs_error)."""
    with quiet_conversion():  # the debugger converts and runs a tf.lite.Interpreter
        debugger = _debugger(model, hw, calib, debug)
        debugger.run()
    buffer = io.StringIO()
    debugger.layer_statistics_dump(buffer)
    rows = []
    for row in csv.DictReader(io.StringIO(buffer.getvalue())):
        scale = float(row["scale"])
        rmse = math.sqrt(float(row["mean_squared_error"]))
        rows.append({"op": row["op_name"], "tensor": row["tensor_name"], "rmse": rmse, "scale": scale,
                     "rmse_per_scale": rmse / scale if scale else float("inf"),
                     "max_abs_error": float(row["max_abs_error"])})
    return sorted(rows, key=lambda r: -r["rmse_per_scale"])


def selective_model(model, hw, calib, debug, keep_float):
    """INT8 model with the ops producing ``keep_float`` tensor names left in float."""
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(keep_float), fully_quantize=False)
    with quiet_conversion():
        return _debugger(model, hw, calib, debug, options).get_nondebug_quantized_model()


def latency_ms(content, hw, runs=10, threads=2):
    """Median LiteRT latency of TFLite bytes on random input."""
    it = interpreter(content, threads=threads)
    x = np.random.default_rng(0).standard_normal((1, *hw, 3)).astype(np.float32)
    return timing.interleaved_stats([lambda: run_tflite(it, x)], runs, warmup=1)[0][0]


def model_miou(path, spec, limit, threads=2):
    """mIoU of a model file on ``spec``."""
    return evaluate(load_predictor(path, threads=threads), spec, limit, progress=False)["miou"]


def fewest_float_layers(drop_of, max_layers, target):
    """The smallest k in 0..max_layers with ``drop_of(k) <= target``, assuming the drop
    shrinks as k grows: tries 0, then 1, 2, 4, ... (capped at max_layers) until one meets
    the target, then bisects between the last miss and that hit. ``drop_of`` is called
    at most once per k. Returns (k or None when even max_layers misses, {k: drop})."""
    seen = {}

    def drop(k):
        if k not in seen:
            seen[k] = drop_of(k)
        return seen[k]

    if drop(0) <= target:
        return 0, seen
    miss, hit, k = 0, None, 1
    while hit is None:
        k = min(k, max_layers)
        if drop(k) <= target:
            hit = k
        elif k == max_layers:
            return None, seen
        else:
            miss, k = k, 2 * k
    while hit - miss > 1:
        mid = (miss + hit) // 2
        if drop(mid) <= target:
            hit = mid
        else:
            miss = mid
    return hit, seen


def run(args):
    """The command, once its flags parsed."""
    try:
        hw = tuple(args.input_size)
        check_input_size(hw)
        for flag, value, least in (("--num-calibration", args.num_calibration, 1), ("--num-debug", args.num_debug, 1),
                                   ("--top", args.top, 1), ("--keep-float", args.keep_float, 0),
                                   ("--eval-limit", args.eval_limit, 1), ("--threads", args.threads, 1)):
            if value is not None and value < least:
                raise ConversionError(f"{flag} {value}: must be at least {least}")
        if args.target_drop is not None and not (0 <= args.target_drop < 100):
            raise ConversionError(f"--target-drop {args.target_drop}: must be in [0, 100) mIoU points")
        if args.target_drop is not None and args.keep_float:
            raise ConversionError("--target-drop chooses the float layers itself: drop --keep-float")
        compare = bool(args.keep_float) or args.target_drop is not None
        if compare:
            check_writable_dir(args.out_dir, "--out-dir", create=False)
        model = load_keras_model(args.model)
        if len(model.outputs) > 1:
            model = to_inference(model)
        if args.protocol:
            spec, held_out = protocols.protocol_specs(args.protocol, args.dataset, args.data_dir)
            args.split = f"{args.protocol} held-out"
        else:
            spec = datasets.load_spec(args.dataset, args.data_dir, args.calib_split)
        calib = calibration_images(spec, hw, args.num_calibration)
        debug = calibration_images(spec, hw, args.num_debug, seed=1)
        eval_spec = None
        if compare:  # checked now, not after minutes of conversion
            eval_spec = held_out if args.protocol else datasets.load_spec(args.dataset, args.data_dir, args.split)
            if args.eval_limit:
                eval_spec = eval_spec.subset(range(min(args.eval_limit, len(eval_spec))))
            datasets.check_files(eval_spec)
            if model.outputs[0].shape[-1] != eval_spec.num_classes:
                raise ConversionError(f"{args.model} has {model.outputs[0].shape[-1]} output classes but the "
                                      f"dataset has {eval_spec.num_classes}")
            check_writable_dir(args.out_dir, "--out-dir")
    except (ConversionError, datasets.DatasetError, OutputPathError) as err:
        sys.exit(f"error: {err}")
    print(f"measuring per-layer INT8 error on {len(debug)} images ...", flush=True)
    rows = layer_errors(model, hw, calib, debug)
    print("| rank | op | output tensor | RMSE / scale | RMSE | max abs error |")
    print("|---:|---|---|---:|---:|---:|")
    for i, r in enumerate(rows[: args.top], 1):
        print(f"| {i} | {r['op']} | {r['tensor'][:70]} | {r['rmse_per_scale']:.3f} | {r['rmse']:.4f} "
              f"| {r['max_abs_error']:.4f} |")
    if not compare:
        return
    name = os.path.splitext(os.path.basename(args.model))[0]
    results = []
    def measure(label, path, content):
        print(f"{label}: mIoU on {len(eval_spec)} {args.split} images, latency ...", flush=True)
        return (label, model_miou(path, eval_spec, args.eval_limit, args.threads),
                latency_ms(content, hw, threads=args.threads), len(content))

    if args.target_drop is not None:
        search_target(args, model, hw, calib, debug, rows, eval_spec, name, measure)
        return
    worst = [r["tensor"] for r in rows[: args.keep_float]]
    for label, keep in (("INT8 PTQ (all layers)", []), (f"INT8 PTQ, worst {len(worst)} in float", worst)):
        print(f"{label}: converting ...", flush=True)
        content = selective_model(model, hw, calib, debug, keep)
        path = os.path.join(args.out_dir, f"{name}_int8_keepfloat{len(keep)}.tflite")
        atomic_write(path, content)
        results.append(measure(label, path, content))
    float_path = os.path.join(args.out_dir, f"{name}_fp32_for_report.tflite")
    content = to_tflite(model, "fp32", hw)
    atomic_write(float_path, content)
    results.insert(0, measure("FP32", float_path, content))
    n = len(eval_spec)
    print(f"\n| model (float I/O, {hw[0]}x{hw[1]}) | mIoU ({args.split}, {n} images) "
          f"| latency ms ({args.threads} threads) | size MB |")
    print("|---|---:|---:|---:|")
    for label, miou, ms, size in results:
        print(f"| {label} | {100 * miou:.2f} | {ms:.1f} | {size / 1e6:.2f} |")




def search_target(args, model, hw, calib, debug, rows, eval_spec, name, measure):
    """--target-drop: the fewest worst-first float layers meeting the target; prints each
    tried k, writes NAME_int8_keepfloatK.tflite for the chosen k, and names its layers."""
    float_path = os.path.join(args.out_dir, f"{name}_fp32_for_report.tflite")
    content = to_tflite(model, "fp32", hw)
    atomic_write(float_path, content)
    reference = measure("FP32", float_path, content)
    print(f"FP32 mIoU {100 * reference[1]:.2f}; target: INT8 within {args.target_drop:.2f} points", flush=True)
    tensors = [r["tensor"] for r in rows]
    written = {}

    def drop_of(k):
        content = selective_model(model, hw, calib, debug, tensors[:k])
        path = os.path.join(args.out_dir, f"{name}_int8_keepfloat{k}.tflite")
        atomic_write(path, content)
        written[k] = path
        label, miou, ms, size = measure(f"INT8 PTQ, worst {k} in float", path, content)
        drop = 100 * (reference[1] - miou)
        print(f"| worst {k} in float | mIoU {100 * miou:.2f} | drop {drop:+.2f} | {ms:.1f} ms | {size / 1e6:.2f} MB |",
              flush=True)
        return drop

    k, drops = fewest_float_layers(drop_of, len(tensors), args.target_drop)
    for tried, path in written.items():  # keep only the chosen model
        if tried != k and os.path.isfile(path):
            os.remove(path)
    if k is None:
        sys.exit(f"error: no number of float layers meets --target-drop {args.target_drop} (best drop "
                 f"{min(drops.values()):.2f} points); the INT8 model would not meet it: use QAT")
    print(f"fewest float layers for a drop <= {args.target_drop:.2f}: {k} (drop {drops[k]:+.2f}); model: {written[k]}"
          + (f"\nin float: {', '.join(tensors[:k])}" if k else ""))
