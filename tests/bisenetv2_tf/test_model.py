"""BiSeNet V2 builders: shapes, variants, output heads, save/load, TFLite ops."""
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

import bisenetv2_tf
from bisenetv2_tf import bisenetv2, to_inference, with_output_head
from bisenetv2_tf.complexity import count_params, total_macs


@pytest.fixture(scope="module")
def model():
    return bisenetv2(5, aux_heads=True)


@pytest.mark.parametrize("size", [(64, 96), (96, 64)])
def test_training_model_outputs_full_resolution(model, size):
    outs = model(np.zeros((1, *size, 3), np.float32), training=False)
    assert model.output_names == ["logits", "aux2", "aux3", "aux4", "aux5_4"]
    assert [tuple(o.shape) for o in outs] == [(1, *size, 5)] * 5
    assert all(o.dtype == tf.float32 for o in outs)


def test_inference_model_shares_weights_and_drops_aux(model):
    inference = to_inference(model)
    x = np.random.default_rng(0).standard_normal((1, 64, 64, 3)).astype(np.float32)
    np.testing.assert_array_equal(inference(x).numpy(), model(x)[0].numpy())
    trainable, frozen = count_params(inference)
    assert trainable < count_params(model)[0]
    assert inference.get_layer("detail.S1.0.conv").kernel is model.get_layer("detail.S1.0.conv").kernel


def test_output_heads(model):
    x = np.random.default_rng(1).standard_normal((2, 64, 64, 3)).astype(np.float32)
    logits = to_inference(model)(x).numpy()
    probs = with_output_head(model, "probs")(x).numpy()
    ids = with_output_head(model, "argmax")(x).numpy()
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    assert ids.shape == (2, 64, 64) and ids.dtype == np.int32
    np.testing.assert_array_equal(ids, logits.argmax(-1))


def test_large_variant_is_wider_and_deeper():
    base = bisenetv2(19, (512, 1024, 3), aux_heads=False, batch_size=1)
    large = bisenetv2(19, (512, 1024, 3), variant="v2-l", aux_heads=False, batch_size=1)
    assert large.name == "bisenetv2_l"
    assert count_params(large)[0] > 3 * count_params(base)[0]
    assert total_macs(large) > total_macs(base)
    assert len([l for l in large.layers if l.name.endswith(".add")]) > 2 * len(
        [l for l in base.layers if l.name.endswith(".add")])
    out = bisenetv2(3, (64, 96, 3), variant="v2-l")(np.zeros((1, 64, 96, 3), np.float32))
    assert [tuple(o.shape) for o in out] == [(1, 64, 96, 3)] * 5


def test_static_batch_one():
    m = bisenetv2(3, (64, 64, 3), aux_heads=False, batch_size=1)
    assert tuple(m.input.shape) == (1, 64, 64, 3)


@pytest.mark.parametrize("kwargs,message", [
    ({"input_shape": (60, 64, 3)}, "multiples of 32"),
    ({"input_shape": (64, 64, 1)}, "(H, W, 3)"),
    ({"variant": "v3"}, "unknown variant"),
    ({"output": "softmax"}, "output must be one of"),
    ({"num_classes": 0}, "num_classes"),
])
def test_bad_arguments_raise(kwargs, message):
    args = {"num_classes": 3, **kwargs}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bisenetv2(**args)


def test_only_builtin_layers_and_no_lambda(model):
    allowed = (keras.layers.InputLayer, keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
               keras.layers.BatchNormalization, keras.layers.ReLU, keras.layers.Add,
               keras.layers.Multiply, keras.layers.ZeroPadding2D, keras.layers.MaxPooling2D,
               keras.layers.AveragePooling2D, keras.layers.GlobalAveragePooling2D,
               keras.layers.Concatenate, keras.layers.UpSampling2D, keras.layers.Activation,
               keras.layers.Dropout)
    odd = [l.name for l in model.layers if not isinstance(l, allowed)]
    assert odd == []


def test_keras_and_savedmodel_round_trip(model, tmp_path):
    x = np.random.default_rng(2).standard_normal((1, 64, 96, 3)).astype(np.float32)
    inference = with_output_head(model, "argmax")
    expected = to_inference(model)(x).numpy()
    inference.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(reloaded(x).numpy(), expected.argmax(-1))
    assert reloaded.get_layer("argmax").get_config()["output_type"] == "int32"
    tf.saved_model.save(to_inference(model), str(tmp_path / "sm"))
    loaded = tf.saved_model.load(str(tmp_path / "sm"))
    np.testing.assert_allclose(loaded.signatures["serving_default"](image=tf.constant(x))["logits"].numpy(),
                               expected, atol=1e-5)


def test_get_config_round_trip(model):
    clone = keras.Model.from_config(model.get_config(), custom_objects={"ClassMap": bisenetv2_tf.ClassMap})
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    layer = bisenetv2_tf.ClassMap(output_type="uint8", name="c")
    assert bisenetv2_tf.ClassMap.from_config(layer.get_config()).output_type == "uint8"


def test_tflite_conversion_uses_only_int8_capable_builtins():
    from bisenetv2_tf.runtime.litert import op_histogram
    from tflite.converter import to_tflite

    m = bisenetv2(4, aux_heads=False)
    rng = np.random.default_rng(3)
    rep = lambda: ([rng.standard_normal((1, 64, 64, 3)).astype(np.float32)] for _ in range(2))  # noqa: E731
    ops = op_histogram(to_tflite(m, "int8-ptq", (64, 64), rep))
    expected = {"CONV_2D", "DEPTHWISE_CONV_2D", "PAD", "ADD", "MUL", "RESIZE_NEAREST_NEIGHBOR",
                "LOGISTIC", "QUANTIZE", "AVERAGE_POOL_2D", "MAX_POOL_2D", "CONCATENATION", "MEAN",
                "RESIZE_BILINEAR", "DEQUANTIZE"}
    assert set(ops) <= expected, sorted(set(ops) - expected)
    assert ops["CONV_2D"] == 40 and ops["DEPTHWISE_CONV_2D"] == 16


def test_large_spec_is_the_papers_multipliers_of_the_base_spec():
    """V2-L literal = V2 with semantic widths x2 and GE depth x3; everything else equal."""
    from bisenetv2_tf.model import BISENETV2_L_SPEC, BISENETV2_SPEC

    base, large = BISENETV2_SPEC, BISENETV2_L_SPEC
    assert large.stem_channels == 2 * base.stem_channels
    assert large.semantic_stages == tuple((n, 2 * c, 3 * k) for n, c, k in base.semantic_stages)
    same = ("detail_stages", "expansion", "head_mid_channels", "aux_mid_channels", "aux_heads")
    assert all(getattr(large, f) == getattr(base, f) for f in same)
    assert base.detail_stages == (("S1", 64, 2), ("S2", 64, 3), ("S3", 128, 3))  # paper Table 1
    assert base.semantic_stages == (("S3", 32, 2), ("S4", 64, 2), ("S5_4", 128, 4)) and base.expansion == 6
