"""The Keras model a conversion starts from: loaded from a file, given one output head,
checked to be a segmentation model this project can convert (one NHWC (1,H,W,3) RGB
input, one output of (1,H,W,K) logits or class ids at the input's size, sane weights)."""
import os

import bisenetv2_tf  # noqa: F401
import numpy as np
import tf_keras as keras

from bisenetv2_tf import architectures
from bisenetv2_tf.qat import quantize_scope
from bisenetv2_tf.runtime.predictors import InferenceError, check_keras_model, keras_single_output
from tflite.formats import ConversionError


def load_keras_model(path):
    """Open a float or QAT ``.keras``/``.h5`` model saved by this project."""
    if not os.path.isfile(path):
        raise ConversionError(f"model not found: {path}")
    try:
        with quantize_scope():
            return keras.models.load_model(path, compile=False)
    except Exception as err:  # keras raises many types for bad files
        raise ConversionError(f"{path}: not a loadable Keras model ({type(err).__name__}: {err})") from err


def single_output(model, path, output="logits"):
    """``model`` (loaded from ``path``) with the one ``output`` head (logits, probs,
    argmax) an artifact has; ``ConversionError`` for a multi-output model without this
    project's "logits" layer."""
    if len(model.outputs) == 1 and output == "logits":
        return model
    try:
        return keras_single_output(model, path, output)
    except InferenceError as err:
        raise ConversionError(str(err)) from None


def check_segmentation_model(model, path, hw):
    """``ConversionError`` (one line) unless the single-output ``model`` (read from
    ``path``) is a segmentation model (``predictors.check_keras_model``: one NHWC RGB
    input, one output at the input's size, run once at ``hw``) with sane weights: a
    classifier, a half-resolution output, a grayscale or NCHW input, a diverged model
    are refused."""
    try:
        check_keras_model(model, path, hw)
    except InferenceError as err:
        raise ConversionError(str(err)) from None
    check_weights_sane(model, path)


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


def model_name_of(model):
    """The architecture name (``bisenetv2``, ``bisenetv2-l``, ``bisenetv1``) of a built or
    loaded model, from its Keras name through the registry; the Keras name itself for a
    model this project did not build."""
    try:
        return architectures.get(model.name).name
    except ValueError:
        return model.name
