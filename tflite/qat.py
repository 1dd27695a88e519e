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
"""
import tensorflow_model_optimization as tfmot
import tf_keras as keras

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
    with quantize_scope():
        qat = tfmot.quantization.keras.quantize_apply(annotated)
    return qat, report


def _range_variables(qat_model):
    """The moving-average (activation/output) range variables of a QAT model."""
    return [v for v in qat_model.non_trainable_variables
            if v.shape.rank == 0 and v.name.split("/")[-1].split(":")[0].endswith(("_min", "_max"))
            and "kernel" not in v.name.split("/")[-1] and "weights" not in v.name.split("/")[-1]]


def calibrate(qat_model, images):
    """Initialise every activation range from data instead of TFMOT's ±6.

    Runs ``images`` (iterable of (N,H,W,3) float32 batches) through the QAT model in
    training mode with the EMA decay set so that each range becomes the mean of the
    per-batch min/max. BatchNormalization and Dropout run in inference mode meanwhile,
    so no other state changes. Returns the number of batches used.
    """
    quantizer_cls = quantizers.MovingAverageQuantizer
    original_call = quantizer_cls.__call__
    state = {"decay": 0.0}

    def calibrating_call(self, inputs, training, weights, **kwargs):
        from tensorflow_model_optimization.python.core.quantization.keras import quant_ops

        return quant_ops.MovingAvgQuantize(
            inputs, weights["min_var"], weights["max_var"], ema_decay=state["decay"], is_training=training,
            num_bits=self.num_bits, per_channel=self.per_axis, symmetric=self.symmetric,
            narrow_range=self.narrow_range)

    frozen = []
    for layer in qat_model.layers:
        inner = getattr(layer, "layer", layer)
        if isinstance(inner, keras.layers.BatchNormalization) and inner.trainable:
            inner.trainable = False
            frozen.append((inner, "trainable", True))
        if isinstance(inner, keras.layers.Dropout):
            frozen.append((inner, "rate", inner.rate))
            inner.rate = 0.0
    quantizer_cls.__call__ = calibrating_call
    count = 0
    try:
        for count, batch in enumerate(images, start=1):
            state["decay"] = 1.0 - 1.0 / count  # running mean of per-batch extremes
            qat_model(batch, training=True)
    finally:
        quantizer_cls.__call__ = original_call
        for obj, attr, value in frozen:
            setattr(obj, attr, value)
    return count
