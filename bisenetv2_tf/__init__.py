"""BiSeNet V2 (and V1) semantic segmentation in tf_keras, built for INT8 TFLite.

Importing this package sets ``TF_USE_LEGACY_KERAS=1`` so that ``tf.keras`` (used by
tensorflow-model-optimization) resolves to ``tf_keras`` (Keras 2). Import it before
TensorFlow.
"""
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if "tensorflow" in sys.modules and "keras" in sys.modules and "tf_keras" not in sys.modules:
    import warnings

    warnings.warn(
        "bisenetv2_tf was imported after TensorFlow/Keras 3; tf.keras may already point to "
        "Keras 3 and quantization-aware training will fail. Import bisenetv2_tf first.",
        stacklevel=2,
    )

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
