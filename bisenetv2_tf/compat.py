"""Every place this project reaches into a private API of TFMOT or LiteRT, in one module.

Each helper first checks that the installed package is the version it was written
against (the pins of requirements.txt) and otherwise fails with one line naming the
package, both versions and the pip command; a silent change of behaviour in a private
API would otherwise corrupt QAT models or op reports without an error.

- TFMOT ``ModelTransformer._get_layers``: list a pattern's input layers in call order
  (see ``bisenetv2_tf.qat`` for the Concatenate swap it prevents).
- TFMOT ``MovingAverageQuantizer.__call__`` and ``quant_ops.MovingAvgQuantize``: run
  activation quantizers with a chosen EMA decay (range calibration).
- LiteRT ``Interpreter._get_ops_details``: the model's op list (there is no public API).
"""
import contextlib
import importlib.metadata

TESTED = {"tensorflow-model-optimization": "0.8.1", "ai-edge-litert": "2.3.0"}


class CompatibilityError(RuntimeError):
    """An installed package version whose private API this project has not been checked against."""


def check_version(package):
    """Raise CompatibilityError unless ``package`` is installed at its ``TESTED`` version."""
    want = TESTED[package]
    try:
        have = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        have = None
    if have != want:
        raise CompatibilityError(
            f"{package} {have or 'is not installed'}{' is installed' if have else ''}; bisenetv2_tf uses its "
            f"private API as of {want} (requirements.txt): pip install {package}=={want}")


@contextlib.contextmanager
def tfmot_inputs_in_call_order():
    """Inside: TFMOT's pattern matcher lists a layer's inputs in the order the layer
    uses them, not in the order of the model's layer list."""
    check_version("tensorflow-model-optimization")
    from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations import (
        model_transformer)

    cls = model_transformer.ModelTransformer
    original = cls._get_layers

    def get_layers_in_given_order(self, layer_names):
        by_name = {layer["config"]["name"]: layer for layer in self._config["layers"]}
        ordered = list(dict.fromkeys(n for n in layer_names if n in by_name))  # unique, in order
        return [by_name[n] for n in ordered]

    cls._get_layers = get_layers_in_given_order
    try:
        yield
    finally:
        cls._get_layers = original


@contextlib.contextmanager
def tfmot_activation_ema_decay(decay):
    """Inside: every ``MovingAverageQuantizer`` updates its range with EMA decay
    ``decay()`` (a callable, read at each call) instead of TFMOT's fixed 0.999."""
    check_version("tensorflow-model-optimization")
    import tensorflow_model_optimization as tfmot
    from tensorflow_model_optimization.python.core.quantization.keras import quant_ops

    cls = tfmot.quantization.keras.quantizers.MovingAverageQuantizer
    original = cls.__call__

    def call_with_decay(self, inputs, training, weights, **kwargs):
        return quant_ops.MovingAvgQuantize(
            inputs, weights["min_var"], weights["max_var"], ema_decay=decay(), is_training=training,
            num_bits=self.num_bits, per_channel=self.per_axis, symmetric=self.symmetric,
            narrow_range=self.narrow_range)

    cls.__call__ = call_with_decay
    try:
        yield
    finally:
        cls.__call__ = original


def litert_op_details(interpreter):
    """[{"op_name", ...}] of a LiteRT interpreter, one per op in execution order."""
    check_version("ai-edge-litert")
    return interpreter._get_ops_details()  # noqa: SLF001  (no public API for the op list)
