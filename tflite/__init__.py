"""Quantization-aware training, TFLite/ONNX conversion, verification and reports."""
import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
