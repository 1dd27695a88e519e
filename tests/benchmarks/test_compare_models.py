"""compare_models: --model files and --arch names in order (old ARCH=PATH still read); bad
values and a model file of the wrong architecture stop with one line naming the flag or file."""
import pytest
import tf_keras as keras

from benchmarks import compare_models
from bisenetv2_tf.builders import build_model


def test_model_and_arch_flags_keep_their_order_and_old_forms_still_work(tmp_path):
    keras.utils.set_random_seed(0)
    path = tmp_path / "v2.keras"
    build_model("bisenetv2", 5, aux_heads=False).save(path)
    entries = [("arch", "bisenetv2-l"), ("model", str(path)), ("model", "bisenetv1"),
               ("model", f"bisenetv2={path}")]
    assert compare_models.resolve_rows(entries) == [
        ("bisenetv2-l", None), (None, str(path)), ("bisenetv1", None), ("bisenetv2", str(path))]
    assert compare_models.arch_of(keras.models.load_model(path, compile=False), str(path)) == "bisenetv2"


def test_model_flag_errors(tmp_path):
    with pytest.raises(SystemExit, match="--arch bisenetv3: unknown architecture 'bisenetv3'"):
        compare_models.resolve_rows([("arch", "bisenetv3")])
    with pytest.raises(SystemExit, match="--model .*missing.keras: file not found"):
        compare_models.resolve_rows([("model", str(tmp_path / "missing.keras"))])
    with pytest.raises(SystemExit, match="file not found"):
        compare_models.resolve_rows([("model", f"bisenetv2={tmp_path / 'missing.keras'}")])
    with pytest.raises(SystemExit) as info:
        compare_models.main(["--data-dir", str(tmp_path)])
    assert info.value.code == 2  # argparse: give at least one --model or --arch
    other = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Conv2D(2, 1)], name="mine")
    with pytest.raises(SystemExit, match="model name 'mine' is none of"):
        compare_models.arch_of(other, "mine.keras")


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
