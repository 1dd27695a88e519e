r"""Convert a trained Keras model to TFLite (FP32, FP16, dynamic-range, INT8 PTQ, INT8
from a QAT model) and ONNX; every artifact is verified against Keras and gets a
metadata JSON (labels, colors, normalization, input size) beside it.

  python -m tflite.convert --model models/camvid/bisenetv2.keras \
      --precision fp32 fp16 int8-ptq --input-size 384 480 \
      --dataset camvid --data-dir ../shared/data/camvid --out-dir models/camvid

Artifacts are static batch 1 with fixed H x W (what LiteRT.js and the Edge TPU need).
Inputs are normalized RGB (see bisenetv2_tf/runtime/metadata.py); INT8 models take uint8 (or int8,
``--io-dtype``) quantized inputs and return quantized logits.

Before converting, the model must be a segmentation model this project can convert:
one NHWC (1,H,W,3) RGB input and one output of (1,H,W,K) logits (or class ids) at the
input's size, checked by running it once at --input-size (a classifier, a model from
another project with a half-resolution output, or a grayscale one is refused with one
line). --name must be a plain file name stem (no folder, no '..'), and no
artifact path (OUT_DIR/NAME_PRECISION.tflite/.json, NAME.onnx) may be one of the input
files (--model, --qat-model, --class-file).
"""
import contextlib
import json
import os
import sys
import time
import warnings

import bisenetv2_tf  # noqa: F401
import numpy as np
import tensorflow as tf
import tf_keras as keras

from ai_edge_litert.interpreter import Interpreter

from bisenetv2_tf import architectures, cli, quiet_native_logs
from bisenetv2_tf.data import datasets, protocols
from bisenetv2_tf.runtime.calibration import calibration_images
from bisenetv2_tf.fileio import OutputPathError, atomic_write, check_writable_dir
from bisenetv2_tf.preprocessing import CITYSCAPES
from bisenetv2_tf.qat import quantize_scope
from bisenetv2_tf.runtime import metadata, model_info
from bisenetv2_tf.runtime.litert import interpreter, op_histogram, run_tflite
from bisenetv2_tf.runtime.predictors import InferenceError, check_keras_model, keras_single_output, onnx_session
from tflite import edgetpu

PRECISIONS = ("fp32", "fp16", "dynamic", "int8-ptq", "int8-qat")
FILE_SUFFIX = {"fp32": "fp32", "fp16": "fp16", "dynamic": "dynamic", "int8-ptq": "int8_ptq", "int8-qat": "int8_qat"}


class ConversionError(RuntimeError):
    """A conversion that cannot be done as asked; the message says why."""


def check_name(name):
    """``ConversionError`` unless ``name`` is a plain file name stem: a path separator
    or '..' would write outside --out-dir (or fail only after converting)."""
    if not name or name in (".", "..") or any(sep in name for sep in ("/", "\\", os.sep, "\0")):
        raise ConversionError(f"--name {name!r}: must be a file name stem without a folder or '..' "
                              "(put the folder in --out-dir)")
    return name


def artifact_path(out_dir, name, precision):
    """OUT_DIR/NAME_PRECISION.tflite (its metadata JSON: the same path with .json)."""
    return os.path.join(out_dir, f"{name}_{FILE_SUFFIX[precision]}.tflite")


def check_input_size(hw):
    h, w = hw
    if h <= 0 or w <= 0 or h % 32 or w % 32:
        raise ConversionError(f"input size must be positive multiples of 32, got {h}x{w}")


def load_keras_model(path):
    """Open a float or QAT ``.keras`` model saved by this project."""
    if not os.path.isfile(path):
        raise ConversionError(f"model not found: {path}")
    try:
        with quantize_scope():
            return keras.models.load_model(path, compile=False)
    except Exception as err:  # keras raises many types for bad files
        raise ConversionError(f"{path}: not a loadable Keras model ({type(err).__name__}: {err})") from err


def check_segmentation_model(model, path, hw, output="logits"):
    """``model`` (loaded from ``path``) with a single ``output`` head, after checking it
    is a segmentation model (``predictors.check_keras_model``: one NHWC RGB input and one
    output at the input's size, run once at ``hw``); ``ConversionError`` with one line
    for a classifier, a model with a half-resolution output, a grayscale or NCHW one, a
    multi-output model without this project's "logits" layer."""
    try:
        if len(model.outputs) > 1 or output != "logits":
            model = keras_single_output(model, path, output)
        check_keras_model(model, path, hw)
    except InferenceError as err:
        raise ConversionError(str(err)) from None
    check_weights_sane(model, path)
    return model


# Largest magnitudes a trained model's weights and BN statistics reach here by far (the
# shipped CamVid model: |w| <= 44, moving variances <= 446); beyond them a model diverged
# (a runaway QAT fine-tune reached 17,055 and 2.9e9), and XNNPACK fails on it after minutes.
MAX_WEIGHT, MAX_MOVING_VARIANCE = 1e4, 1e8


def check_weights_sane(model, path):
    """``ConversionError`` (one line naming the worst variable) when any weight is
    non-finite or beyond MAX_WEIGHT, or a BN moving variance beyond MAX_MOVING_VARIANCE."""
    for w in model.weights:
        value = w.numpy()
        limit = MAX_MOVING_VARIANCE if "moving_variance" in w.name else MAX_WEIGHT
        if not np.isfinite(value).all() or (value.size and np.abs(value).max() > limit):
            worst = np.nanmax(np.abs(value)) if np.isfinite(value).any() else float("nan")
            raise ConversionError(f"{path}: {w.name} holds {'non-finite values' if not np.isfinite(value).all() else f'{worst:.3g}'} "
                                  f"(limit {limit:g}): the model diverged in training; retrain it (for QAT: a lower "
                                  f"--lr or a longer-trained float model) before converting")


def concrete_function(model, hw, batch=1):
    """The model's inference function with a static (batch, H, W, 3) float32 input."""
    check_input_size(hw)

    @tf.autograph.experimental.do_not_convert
    def infer(image):
        return model(image, training=False)

    return tf.function(infer).get_concrete_function(
        tf.TensorSpec([batch, hw[0], hw[1], 3], tf.float32, name="image"))


@contextlib.contextmanager
def quiet_conversion():
    """Inside: the converter's C++ progress lines ("fully_quantize: ..."), its warning about
    statistics for integer inputs (the int8 input's scale comes from the representative
    data) and tf.lite.Interpreter's deprecation notice (the QuantizationDebugger runs one)
    stay off the terminal, unless --verbose. Errors still raise."""
    with quiet_native_logs(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
        warnings.filterwarnings("ignore", message=r"\s*Warning: tf.lite.Interpreter is deprecated")
        yield


def run_converter(converter, what="TFLite conversion"):
    """``converter.convert()`` inside ``quiet_conversion``; a failure raises
    ``ConversionError`` with its first line."""
    try:
        with quiet_conversion():
            return converter.convert()
    except Exception as err:
        raise ConversionError(f"{what} failed: {str(err).splitlines()[0]}") from err


def to_tflite(model, precision, hw, representative=None, io_dtype="uint8"):
    """Keras model -> TFLite flatbuffer bytes.

    ``representative``: a callable returning an iterator of [(1,H,W,3) float32] lists,
    required for int8-ptq and int8-qat (for the QAT model it only calibrates tensors
    that QAT left without ranges; trained ranges are kept).
    """
    if precision not in PRECISIONS:
        raise ConversionError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete_function(model, hw)], model)
    if precision == "fp16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif precision == "dynamic":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    elif precision.startswith("int8"):
        if representative is None:
            raise ConversionError(f"{precision} needs a representative dataset (--data-dir)")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        io = {"uint8": tf.uint8, "int8": tf.int8}[io_dtype]
        converter.inference_input_type = io
        if model.outputs[0].dtype.is_floating:
            converter.inference_output_type = io
    content = run_converter(converter, f"TFLite conversion ({precision})")
    if precision.startswith("int8"):
        check_integer_only(content, precision)
    return content


INTEGER_KINDS = "iub"  # int8/16/32/64, uint8, bool


def check_integer_only(content, precision="int8"):
    """``ConversionError`` unless every tensor of the TFLite model is an integer type.

    An INT8 artifact with float tensors (e.g. converted with an empty calibration set,
    which silently yields a float32 model) is not what its name and metadata claim.
    """
    tensors = Interpreter(model_content=content).get_tensor_details()
    floats = [t["name"] for t in tensors if np.dtype(t["dtype"]).kind not in INTEGER_KINDS]
    if floats:
        raise ConversionError(
            f"{precision}: the converted model is not integer-only ({len(floats)} of {len(tensors)} tensors "
            f"are float, e.g. {floats[0]!r}); nothing written")


def verify(content, model, images, threads=2):
    """Compare the TFLite artifact with the Keras model on ``images`` (list of (1,H,W,3));
    see ``compare``."""
    it = interpreter(content, threads=threads)
    return compare(lambda x: run_tflite(it, x), model, images)


def compare(run, model, images):
    """The Keras model vs an artifact's ``run(x) -> output`` on ``images`` (list of (1,H,W,3)).

    Returns the argmax agreement in percent, the image count and, for logits outputs,
    max/mean absolute logit error (absent for class-map outputs).
    """
    errors, agree, total = [], 0, 0
    for x in images:
        ref = model(x, training=False)
        ref = ref.numpy() if hasattr(ref, "numpy") else np.asarray(ref)
        got = run(x)
        if got.ndim == ref.ndim and got.shape == ref.shape and ref.ndim == 4:
            errors.append(np.abs(got.astype(np.float32) - ref))
            ref_ids, got_ids = ref.argmax(-1), got.argmax(-1)
        else:
            ref_ids, got_ids = (ref.argmax(-1) if ref.ndim == 4 else ref), got
        agree += int(np.sum(ref_ids == got_ids))
        total += ref_ids.size
    result = {"argmax_agreement_pct": 100.0 * agree / max(total, 1), "images": len(images)}
    if errors:
        result["max_abs_error"] = float(max(e.max() for e in errors))
        result["mean_abs_error"] = float(np.mean([e.mean() for e in errors]))
    return result


def export_onnx(model, hw, path, check_images, opset=17):
    """tf2onnx export (fp32, static batch 1) checked with onnxruntime against Keras.

    Returns {"path", "bytes", "max_abs_error", "argmax_agreement_pct"}."""
    import tf2onnx

    check_input_size(hw)
    check_writable_dir(os.path.dirname(os.path.abspath(path)), "--out-dir")
    spec = [tf.TensorSpec((1, hw[0], hw[1], 3), tf.float32, name="image")]
    try:
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset)
    except Exception as err:
        raise ConversionError(f"ONNX export failed: {str(err).splitlines()[0]}") from err
    content = proto.SerializeToString()
    session = onnx_session(content)
    name = session.get_inputs()[0].name
    check = compare(lambda x: session.run(None, {name: x})[0], model, check_images)
    atomic_write(path, content)
    return {"path": path, "bytes": len(content), "max_abs_error": check.get("max_abs_error", 0.0),
            "argmax_agreement_pct": check["argmax_agreement_pct"]}


def model_name_of(model):
    """The architecture name (``bisenetv2``, ``bisenetv2-l``, ``bisenetv1``) of a built or
    loaded model, from its Keras name through the registry; the Keras name itself for a
    model this project did not build."""
    try:
        return architectures.get(model.name).name
    except ValueError:
        return model.name


def edgetpu_profile(tflite_path, log=print):
    """Print the Edge TPU op report for a full-integer model and run the compiler if present."""
    with open(tflite_path, "rb") as f:
        content = f.read()
    it = interpreter(content)
    rows, problems = edgetpu.op_report(op_histogram(content), it.get_input_details()[0],
                                       it.get_output_details()[0])
    log(f"Edge TPU profile of {tflite_path}:")
    log(edgetpu.format_report(rows, problems))
    ran, text = edgetpu.run_compiler(tflite_path, os.path.dirname(tflite_path) or ".")
    log(text)
    return {"problems": problems, "compiler_ran": ran}


def class_info(args, spec):
    """(names, colors, ignore) from the dataset, a class file, or train_args.json."""
    if spec is not None:
        return spec.class_names, spec.colors, spec.ignore_index
    if args.class_file:
        names, colors, ignore, _ = datasets.read_class_file(args.class_file)
        return names, colors, ignore
    raise ConversionError("need --data-dir (dataset) or --class-file to name the classes")


def convert_all(model, precisions, hw, out_dir, name, spec=None, class_names=None, colors=None,
                ignore_index=255, qat_model=None, io_dtype="uint8", num_calibration=100,
                num_verify=8, model_name="bisenetv2", output_kind="logits", log=print, threads=2):
    """Convert ``model`` to each precision; write NAME_PRECISION.tflite + .json into out_dir.

    ``log`` gets one line per phase (calibration images read, calibration progress at each
    quarter, verification, the artifact written); pass ``lambda *a: None`` for silence.

    Returns {precision: {"path", "bytes", "verify", "ops", "seconds"}}.
    """
    check_input_size(hw)
    if spec is not None:
        class_names, colors, ignore_index = spec.class_names, spec.colors, spec.ignore_index
    if class_names is None:
        raise ConversionError("class names are needed for the metadata")
    if model.outputs[0].shape[-1] != len(class_names) and output_kind != "argmax":
        raise ConversionError(
            f"model has {model.outputs[0].shape[-1]} output classes but the dataset has {len(class_names)}")
    needs_data = any(p.startswith("int8") for p in precisions)
    if needs_data and spec is None:
        raise ConversionError("INT8 conversion needs a representative dataset: pass --data-dir")
    if needs_data and num_calibration < 1:
        raise ConversionError(f"--num-calibration {num_calibration}: INT8 calibration needs at least 1 image")
    if num_verify < 1:
        raise ConversionError(f"--num-verify {num_verify}: must be at least 1")
    if "int8-qat" in precisions and qat_model is None:
        raise ConversionError("int8-qat needs a QAT model (--qat-model, made by python -m training.train --qat)")
    if needs_data:
        log(f"reading {min(num_calibration, len(spec))} calibration images ({hw[0]}x{hw[1]}) ...")
    calib = calibration_images(spec, hw, num_calibration) if needs_data else None
    check = calib[:num_verify] if calib else [
        np.random.default_rng(0).standard_normal((1, hw[0], hw[1], 3)).astype(np.float32) for _ in range(2)]
    check_writable_dir(out_dir, "--out-dir")
    results = {}
    for precision in precisions:
        t0 = time.time()
        source = qat_model if precision == "int8-qat" else model
        representative = (lambda: _with_progress(calib, precision, log)) if precision.startswith("int8") else None
        log(f"{precision}: converting" + (f", calibrating on {len(calib)} images" if representative else "") + " ...")
        content = to_tflite(source, precision, hw, representative, io_dtype)
        log(f"{precision}: verifying against Keras on {len(check)} images ...")
        report = verify(content, source, check, threads)
        it = interpreter(content)
        meta = metadata.build(model_name, precision.replace("-", "_"), it.get_input_details()[0],
                              it.get_output_details()[0], output_kind, CITYSCAPES, class_names, colors,
                              ignore_index)
        meta["verification"] = report
        path = artifact_path(out_dir, name, precision)
        atomic_write(path, content)
        atomic_write(path[: -len(".tflite")] + ".json", json.dumps(meta, indent=1))
        results[precision] = {"path": path, "bytes": len(content), "verify": report,
                              "ops": op_histogram(content), "seconds": time.time() - t0}
        err = (f"max |err| {report['max_abs_error']:.4f}, mean {report['mean_abs_error']:.5f}, "
               if "max_abs_error" in report else "")
        log(f"{precision:9s} {path} {len(content) / 1e6:.2f} MB: {err}argmax agreement "
            f"{report['argmax_agreement_pct']:.2f}% on {report['images']} images ({time.time() - t0:.0f}s)")
    return results


def _with_progress(images, label, log):
    """Yield ``[x]`` per image (the converter's representative dataset), logging each quarter."""
    marks = {max(1, round(len(images) * q / 4)) for q in (1, 2, 3, 4)}
    for i, x in enumerate(images, start=1):
        yield [x]
        if i in marks:
            log(f"{label}: calibration {i}/{len(images)}")


def parse_args(argv=None):
    p = cli.parser("tflite.convert", __doc__)
    p.add_argument("--model", required=True, help="float .keras model (inference or training)")
    p.add_argument("--qat-model", help="QAT model (.h5 from python -m training.train --qat) for int8-qat")
    p.add_argument("--precision", nargs="+", default=["fp32", "fp16", "int8-ptq"], choices=PRECISIONS)
    cli.add_input_size(p, required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--name", help="file name stem (default: the model's name, e.g. bisenetv2)")
    p.add_argument("--io-dtype", default="uint8", choices=("uint8", "int8"), help="INT8 model I/O type")
    p.add_argument("--output", default="logits", choices=("logits", "probs", "argmax"),
                   help="output head; argmax (ARG_MAX) does not run on the GPU delegate")
    cli.add_data(p, required=False, split="train", split_help="split used for calibration (default train)",
                 data_help="representative data for INT8 calibration and verification")
    p.add_argument("--class-file", help="classes.json when no --data-dir is given")
    p.add_argument("--protocol", choices=tuple(protocols.PROTOCOLS),
                   help="calibrate and verify on a protocol's training frames (never its held-out drive) "
                        "instead of --split")
    cli.add_num_calibration(p, help="INT8 calibration images (default 100)")
    p.add_argument("--num-verify", type=int, default=8, help="images compared against Keras (default 8)")
    cli.add_threads(p)
    p.add_argument("--onnx", action="store_true", help="also export NAME.onnx (fp32, tf2onnx, opset 17)")
    p.add_argument("--edgetpu", action="store_true",
                   help="Edge TPU profile of the INT8 model(s): op report, edgetpu_compiler if installed")
    args = p.parse_args(argv)
    if args.edgetpu and not any(x.startswith("int8") for x in args.precision):
        p.error("--edgetpu needs an int8 precision (int8-ptq or int8-qat)")
    if args.edgetpu and args.output == "argmax":
        p.error("--edgetpu: ARG_MAX is not an Edge TPU op; use --output logits")
    return args


def main(argv=None):
    args = parse_args(argv)

    try:
        hw = tuple(args.input_size)
        check_input_size(hw)
        if args.num_calibration < 0 or (args.num_calibration == 0
                                        and any(x.startswith("int8") for x in args.precision)):
            raise ConversionError(f"--num-calibration {args.num_calibration}: INT8 calibration needs at least "
                                  "1 image")
        if args.num_verify < 1:
            raise ConversionError(f"--num-verify {args.num_verify}: must be at least 1")
        if args.threads < 1:
            raise ConversionError(f"--threads {args.threads}: must be at least 1")
        if args.name is not None:
            check_name(args.name)
        check_writable_dir(args.out_dir, "--out-dir", create=False)
        model = check_segmentation_model(load_keras_model(args.model), args.model, hw, args.output)
        qat = (check_segmentation_model(load_keras_model(args.qat_model), args.qat_model, hw, args.output)
               if args.qat_model else None)
        if args.protocol and not args.data_dir:
            raise ConversionError(f"--protocol {args.protocol} needs --data-dir")
        if args.protocol:  # calibrate on the protocol's training frames, never on its held-out drive
            spec = protocols.protocol_specs(args.protocol, args.dataset, args.data_dir)[0]
        else:
            spec = datasets.load_spec(args.dataset, args.data_dir, args.split) if args.data_dir else None
        names, colors, ignore = class_info(args, spec)
        name = check_name(args.name or model.name)
        onnx_path = os.path.join(args.out_dir, f"{name}.onnx")
        tflite_paths = [artifact_path(args.out_dir, name, precision) for precision in args.precision]
        outputs = tflite_paths + [p[: -len(".tflite")] + ".json" for p in tflite_paths]
        outputs += [onnx_path] if args.onnx else []
        cli.check_outputs(outputs, [("the --model", args.model), ("the --qat-model", args.qat_model),
                                    ("the --class-file", args.class_file)], f"--out-dir {args.out_dir}")
        model_name = model_name_of(model)
        results = convert_all(model, args.precision, hw, args.out_dir, name, spec, names, colors, ignore, qat,
                              args.io_dtype, args.num_calibration, args.num_verify, model_name, args.output,
                              threads=args.threads)
        if args.onnx:
            check = calibration_images(spec, hw, 2) if spec else [
                np.random.default_rng(0).standard_normal((1, *hw, 3)).astype(np.float32)]
            onnx = export_onnx(model, hw, onnx_path, check)
            model_info.embed(onnx_path, model_info.ModelInfo(tuple(names), tuple(map(tuple, colors)), ignore,
                                                             model=model_name, source="embedded"))
            print(f"onnx      {onnx['path']} {onnx['bytes'] / 1e6:.2f} MB: max |err| {onnx['max_abs_error']:.2e}, "
                  f"argmax agreement {onnx['argmax_agreement_pct']:.2f}% (onnxruntime)")
        if args.edgetpu:
            for precision in args.precision:
                if precision.startswith("int8"):
                    edgetpu_profile(results[precision]["path"])
    except (ConversionError, datasets.DatasetError, OutputPathError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
