"""compare_models: bad --model values and a model file of the wrong architecture stop
with one line naming the flag or file."""
import pytest
import tf_keras as keras

from benchmarks import compare_models
from bisenetv2_tf.builders import build_model


def test_model_flag_errors(tmp_path):
    with pytest.raises(SystemExit, match="unknown architecture 'bisenetv3'"):
        compare_models.parse_model_arg("bisenetv3")
    with pytest.raises(SystemExit, match="file not found"):
        compare_models.parse_model_arg(f"bisenetv2={tmp_path / 'missing.keras'}")
    assert compare_models.parse_model_arg("bisenetv2-l") == ("bisenetv2-l", None)


def test_wrong_architecture_is_named(tmp_path):
    keras.utils.set_random_seed(0)
    path = tmp_path / "v2.keras"
    build_model("bisenetv2", 5, aux_heads=False).save(path)
    v1 = compare_models.complexity("bisenetv1", 5)
    with pytest.raises(SystemExit, match="does not match bisenetv1"):
        compare_models.load_or_build("bisenetv1", str(path), 5, v1["weights"])
    v2 = compare_models.complexity("bisenetv2", 5)
    assert v2["params"] < v2["weights"]  # BN moving statistics are counted apart
    assert compare_models.load_or_build("bisenetv2", str(path), 5, v2["weights"]).outputs[0].shape[-1] == 5
