"""Quantization-aware training for the whole BiSeNet graph with TFMOT's 8-bit scheme.

The default scheme refuses three kinds of layers in these models; instead of dropping
them, each gets a ``QuantizeConfig`` inside ``quantize_scope``:
- ``Multiply`` (BGA gating, V1 ARM/FFM attention): output-only quantization, as TF
  Model Garden does for elementwise ops; its inputs are already quantized tensors.
- a standalone ``BatchNormalization`` (after global pooling in the Context Embedding
  block; it has no conv to fold into): output-only quantization; TFLite runs it as
  int8 MUL/ADD.
- ``UpSampling2D``/``Resizing`` when the registry has no entry: output-only.
Every other layer takes the default scheme (Conv/DepthwiseConv + BN + ReLU folded).
``quantize(model)`` reports how many layers got which treatment; no layer is left
unannotated.

TFMOT 0.8.1 also rewires ``Concatenate([a, b])`` as ``Concatenate([b, a])`` when an
earlier transform (conv-BN-ReLU) has re-appended branch ``a``'s layers after ``b``'s: its
graph matcher lists a pattern's inputs in layer-list order, not in call order, and
``ConcatTransform`` rebuilds the inbound nodes from that list. Channel counts still
match, so nothing fails: the Stem's concat silently swaps halves and a trained model
drops to ~10% mIoU. ``quantize`` applies the transform with
inputs kept in call order (``compat.tfmot_inputs_in_call_order``) and then checks every multi-input layer against the float
model.
"""
import numpy as np
import tensorflow_model_optimization as tfmot
import tf_keras as keras

from bisenetv2_tf import compat

quantizers = tfmot.quantization.keras.quantizers


@keras.saving.register_keras_serializable(package="bisenetv2_tf")
class OutputQuantizeConfig(tfmot.quantization.keras.QuantizeConfig):
    """Quantize only a layer's output (8-bit, asymmetric, moving-average range)."""

    def get_weights_and_quantizers(self, layer):
        return []

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        pass

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return [quantizers.MovingAverageQuantizer(num_bits=8, per_axis=False, symmetric=False, narrow_range=False)]

    def get_config(self):
        return {}


def quantize_scope():
    """Scope in which QAT models are built, saved and loaded."""
    return tfmot.quantization.keras.quantize_scope({"OutputQuantizeConfig": OutputQuantizeConfig})


class QuantizationError(RuntimeError):
    """The QAT graph does not compute what the float graph computes."""


def _inbound_names(layer):
    inbound = layer.inbound_nodes[0].inbound_layers
    inbound = inbound if isinstance(inbound, (list, tuple)) else [inbound]
    return [getattr(l, "layer", l).name for l in inbound]


def check_input_order(float_model, qat_model):
    """Raise QuantizationError unless every multi-input layer of ``qat_model`` takes its
    inputs in the same order as in ``float_model``."""
    qat_layers = {getattr(l, "layer", l).name: l for l in qat_model.layers}
    for layer in float_model.layers:
        expected = _inbound_names(layer) if layer.inbound_nodes else []
        if len(expected) < 2:
            continue
        got = _inbound_names(qat_layers[layer.name])
        if got != expected:
            raise QuantizationError(f"QAT layer {layer.name} takes inputs {got}, the float model {expected}")


def _producer_is_conv(layer):
    inbound = layer.inbound_nodes[0].inbound_layers
    return isinstance(inbound, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))


def needs_custom_config(layer, registry):
    """True for the layers the default 8-bit registry cannot quantize."""
    if isinstance(layer, keras.layers.InputLayer):
        return False
    if isinstance(layer, keras.layers.BatchNormalization):
        return not _producer_is_conv(layer)
    return not registry.supports(layer)


def quantize(model):
    """Float Keras model -> QAT model (fake-quant wrappers, same weights).

    Returns (qat_model, report) where report maps "default"/"output_only" to layer names.
    """
    registry = tfmot.quantization.keras.default_8bit.Default8BitQuantizeRegistry()
    report = {"default": [], "output_only": []}

    def annotate(layer):
        if isinstance(layer, keras.layers.InputLayer):
            return layer
        if needs_custom_config(layer, registry):
            report["output_only"].append(layer.name)
            return tfmot.quantization.keras.quantize_annotate_layer(layer, OutputQuantizeConfig())
        report["default"].append(layer.name)
        return tfmot.quantization.keras.quantize_annotate_layer(layer)

    annotated = keras.models.clone_model(model, clone_function=annotate)
    with quantize_scope(), compat.tfmot_inputs_in_call_order():
        qat = tfmot.quantization.keras.quantize_apply(annotated)
    check_input_order(model, qat)
    return qat, report


def calibrate(qat_model, images):
    """Initialise every activation range from data instead of TFMOT's ±6.

    Runs ``images`` (iterable of (N,H,W,3) float32 batches) through the QAT model twice
    in training mode, with the EMA decay set so that each range becomes the mean of the
    per-batch min/max: once with BatchNormalization on its moving statistics (as the
    converted model runs) and once on batch statistics (as the QAT fine-tune trains).
    Each range is the union of the two. On a well-trained model they agree. On a model
    whose BN statistics have not settled (a float model trained a few steps), the first
    alone was orders of magnitude narrower than what the fine-tune produces: its
    activations were clamped into a sliver, the next BN divided by a near-zero batch
    std, the gradient grew ~300x per BN, and a stem kernel went from 0.19 to 1e6 in one
    step at LR 1e-4. Moving statistics are put back and Dropout is off meanwhile, so
    only the ranges change. Returns the number of batches used.
    """
    images = list(images)
    layers = [getattr(layer, "layer", layer) for layer in qat_model.layers]
    norms = [layer for layer in layers if isinstance(layer, keras.layers.BatchNormalization)]
    dropouts = [(layer, layer.rate) for layer in layers if isinstance(layer, keras.layers.Dropout)]
    ranges = [v for v in qat_model.non_trainable_variables if v.name.endswith(("_min:0", "_max:0"))]
    moving = [(v, v.numpy()) for layer in norms for v in (layer.moving_mean, layer.moving_variance)]
    trainable = [(layer, layer.trainable) for layer in norms]
    for layer, _ in dropouts:
        layer.rate = 0.0
    try:
        for layer in norms:
            layer.trainable = False  # BN on moving statistics, even in training mode
        _running_ranges(qat_model, images)
        as_run = [v.numpy() for v in ranges]
        for layer, was in trainable:
            layer.trainable = was  # BN on batch statistics
        _running_ranges(qat_model, images)
        for v, first in zip(ranges, as_run):
            v.assign(np.minimum(first, v.numpy()) if v.name.endswith("_min:0") else np.maximum(first, v.numpy()))
    finally:
        for layer, was in trainable:
            layer.trainable = was
        for v, value in moving:
            v.assign(value)
        for layer, rate in dropouts:
            layer.rate = rate
    return len(images)


def _running_ranges(qat_model, images):
    """Every activation range := the mean of its per-batch min/max over ``images``."""
    state = {"count": 0}
    with compat.tfmot_activation_ema_decay(lambda: 1.0 - 1.0 / state["count"]):  # running mean
        for batch in images:
            state["count"] += 1
            qat_model(batch, training=True)
