"""Keras model -> TFLite flatbuffer bytes (one precision at a time, with the converter's
own log lines kept off the terminal) or ONNX bytes, at a static (1, H, W, 3) input."""
import contextlib
import warnings

import bisenetv2_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from ai_edge_litert.interpreter import Interpreter

from bisenetv2_tf import quiet_native_logs
from tflite.formats import INT8, PRECISIONS, ConversionError

INTEGER_KINDS = "iub"  # int8/16/32/64, uint8, bool
IO_DTYPES = {"uint8": tf.uint8, "int8": tf.int8}  # INT8 models' input (and logits output) type


def concrete_function(model, hw, batch=1):
    """The model's inference function with a static (batch, H, W, 3) float32 input."""
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
    """Keras model -> TFLite flatbuffer bytes; ``hw`` is (H, W), multiples of 32.

    fp32 as is; fp16 and dynamic: float16 or int8 weights; int8-ptq and int8-qat: full
    integer with ``io_dtype`` input (and logits output), calibrated on ``representative``,
    a callable returning an iterator of [(1,H,W,3) float32] lists (for the QAT model it
    only calibrates tensors that QAT left without ranges; trained ranges are kept).
    """
    if precision not in PRECISIONS:
        raise ConversionError(f"unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    if precision in INT8 and representative is None:
        raise ConversionError(f"{precision} needs a representative dataset (--data-dir)")
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete_function(model, hw)], model)
    if precision != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if precision in INT8:
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = IO_DTYPES[io_dtype]
        if model.outputs[0].dtype.is_floating:
            converter.inference_output_type = IO_DTYPES[io_dtype]
    content = run_converter(converter, f"TFLite conversion ({precision})")
    if precision in INT8:
        check_integer_only(content, precision)
    return content


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


def to_onnx(model, hw, opset=17):
    """Keras model -> ONNX bytes (fp32, tf2onnx, static batch 1)."""
    import tf2onnx  # slow to import, and only this format needs it

    spec = [tf.TensorSpec((1, hw[0], hw[1], 3), tf.float32, name="image")]
    try:
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset)
    except Exception as err:
        raise ConversionError(f"ONNX export failed: {str(err).splitlines()[0]}") from err
    return proto.SerializeToString()
