"""Data pipelines, losses, metrics and the fit/evaluate/predict CLIs."""
import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
