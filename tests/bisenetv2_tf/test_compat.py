"""The private-API helpers check the installed versions and name the fix on any other."""
import importlib.metadata

import pytest

from bisenetv2_tf import compat


def test_pinned_versions_are_the_installed_ones():
    for package in compat.TESTED:
        compat.check_version(package)  # requirements.txt pins exactly these


def test_other_version_is_refused_with_the_pip_command(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9")
    with pytest.raises(compat.CompatibilityError,
                       match=r"tensorflow-model-optimization 9\.9\.9 is installed; .* as of 0\.8\.1 .*"
                             r"pip install tensorflow-model-optimization==0\.8\.1"):
        with compat.tfmot_inputs_in_call_order():
            pass
    with pytest.raises(compat.CompatibilityError, match=r"ai-edge-litert 9\.9\.9 is installed"):
        compat.litert_op_details(object())


def test_missing_package_is_named(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)
    monkeypatch.setattr(importlib.metadata, "version", missing)
    with pytest.raises(compat.CompatibilityError, match="ai-edge-litert is not installed"):
        compat.check_version("ai-edge-litert")


def test_patches_are_undone_on_exit():
    import tensorflow_model_optimization as tfmot
    from tensorflow_model_optimization.python.core.quantization.keras.graph_transformations import (
        model_transformer)

    before = (model_transformer.ModelTransformer._get_layers,
              tfmot.quantization.keras.quantizers.MovingAverageQuantizer.__call__)
    with pytest.raises(RuntimeError):
        with compat.tfmot_inputs_in_call_order(), compat.tfmot_activation_ema_decay(lambda: 0.5):
            assert model_transformer.ModelTransformer._get_layers is not before[0]
            raise RuntimeError("inside")
    assert (model_transformer.ModelTransformer._get_layers,
            tfmot.quantization.keras.quantizers.MovingAverageQuantizer.__call__) == before
