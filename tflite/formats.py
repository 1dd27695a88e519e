"""What a conversion can be asked for, without TensorFlow: the format names (what
``--precision``, ``--onnx`` and ``--edgetpu`` offer), the rules an input size and an
artifact name follow, and ``ConversionError``, the one-line error of a request that
breaks them. The command-line fronts parse with these before loading TensorFlow; how
each format is made is tflite/exporters.py.
"""
import os

PRECISIONS = ("fp32", "fp16", "dynamic", "int8-ptq", "int8-qat")  # TFLite artifacts (--precision)
INT8 = ("int8-ptq", "int8-qat")
FORMATS = PRECISIONS + ("onnx", "edgetpu")  # every entry of the exporter table


class ConversionError(RuntimeError):
    """A conversion that cannot be done as asked; the message says why."""


def check_input_size(hw):
    """``ConversionError`` unless (H, W) are positive multiples of 32 (the model's 1/32 stage)."""
    h, w = hw
    if h <= 0 or w <= 0 or h % 32 or w % 32:
        raise ConversionError(f"input size must be positive multiples of 32, got {h}x{w}")


def check_name(name):
    """``ConversionError`` unless ``name`` is a plain file name stem: a path separator
    or '..' would write outside --out-dir (or fail only after converting)."""
    if not name or name in (".", "..") or any(sep in name for sep in ("/", "\\", os.sep, "\0")):
        raise ConversionError(f"--name {name!r}: must be a file name stem without a folder or '..' "
                              "(put the folder in --out-dir)")
    return name
