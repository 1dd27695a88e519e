"""BiSeNet V2 (and V1) semantic segmentation in tf_keras, built for INT8 TFLite.

Importing this package sets ``TF_USE_LEGACY_KERAS=1`` so that ``tf.keras`` (used by
tensorflow-model-optimization) resolves to ``tf_keras`` (Keras 2). Import it before
TensorFlow.

It also keeps TensorFlow's C++ log lines (oneDNN notes, "Could not find cuda drivers",
"failed call to cuInit") off the terminal: ``TF_CPP_MIN_LOG_LEVEL`` defaults to 3, and
file descriptor 2 points at /dev/null only while ``import tensorflow`` runs here (those
lines come from absl before it reads any setting), restored right after, also on error.
Python exceptions and the CLIs' own ``error: ...`` lines are unaffected.
``BISENETV2_VERBOSE=1``, or ``--verbose`` on the command line of any of the project's
CLIs (read here, before TensorFlow loads), leaves both alone, so TensorFlow logs as it
does by default.
"""
import contextlib
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"

VERBOSE = (os.environ.get("BISENETV2_VERBOSE", "").strip().lower() not in ("", "0", "false", "no")
           or "--verbose" in sys.argv[1:])


@contextlib.contextmanager
def quiet_native_logs():
    """Inside: file descriptor 2 points at /dev/null, so C++ log lines (TensorFlow's absl
    lines at import, the TFLite converter's "fully_quantize: ..." line, LiteRT's "Created
    TensorFlow Lite XNNPACK delegate") stay off the terminal; restored however the block
    ends. Python exceptions still carry their messages. Does nothing under --verbose /
    BISENETV2_VERBOSE=1, or when there is no usable fd 2."""
    if VERBOSE:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _import_tensorflow_quietly():
    """Import TensorFlow with fd 2 on /dev/null; restore fd 2 however the import ends."""
    if "tensorflow" in sys.modules:
        return
    with quiet_native_logs():
        import tensorflow  # noqa: F401


if not VERBOSE:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

if "tensorflow" in sys.modules and "keras" in sys.modules and "tf_keras" not in sys.modules:
    import warnings

    warnings.warn(
        "bisenetv2_tf was imported after TensorFlow/Keras 3; tf.keras may already point to "
        "Keras 3 and quantization-aware training will fail. Import bisenetv2_tf first.",
        stacklevel=2,
    )

if not VERBOSE:
    _import_tensorflow_quietly()

from bisenetv2_tf.bisenetv1 import bisenetv1  # noqa: E402
from bisenetv2_tf.model import (  # noqa: E402
    VARIANTS,
    bisenetv2,
    to_inference,
    with_output_head,
)
from bisenetv2_tf.output_layers import ClassMap  # noqa: E402

__all__ = ["VARIANTS", "bisenetv1", "bisenetv2", "to_inference", "with_output_head", "ClassMap"]
__version__ = "0.1.0"
