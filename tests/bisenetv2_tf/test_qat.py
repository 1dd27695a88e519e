"""QAT graph: quantize() keeps what the float graph computes (input order of every
multi-input layer, numerics after calibration) for hand-made graphs, V2 and V1."""
import numpy as np
import pytest
import tf_keras as keras

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before tf_keras is used)
from bisenetv2_tf.builders import build_model
from bisenetv2_tf.qat import QuantizationError, calibrate, check_input_order, quantize


def concat_created_out_of_order():
    """Concatenate([conv-BN-ReLU branch, maxpool branch]) -> 1x1 conv, like the V2 Stem.

    TFMOT's conv-BN-ReLU transform re-appends branch a's layers after b's, which used
    to make ConcatTransform rewire the concat as [b, a]."""
    keras.utils.set_random_seed(3)
    x = keras.Input((16, 16, 3))
    a = keras.layers.Conv2D(4, 3, padding="same", name="a_conv0")(x)
    a = keras.layers.Conv2D(4, 3, padding="same", use_bias=False, name="a_conv")(a)
    a = keras.layers.BatchNormalization(name="a_bn")(a)
    a = keras.layers.ReLU(name="a_relu")(a)
    b = keras.layers.MaxPooling2D(1, name="b_pool")(x)
    b = keras.layers.Conv2D(4, 1, name="b_conv")(b)
    y = keras.layers.Concatenate(name="concat")([a, b])
    y = keras.layers.Conv2D(5, 1, name="out")(y)
    return keras.Model(x, y)


def test_concat_inputs_keep_their_order_and_values():
    model = concat_created_out_of_order()
    qat, _ = quantize(model)
    concat = qat.get_layer("quant_concat")
    assert [layer.name for layer in concat.inbound_nodes[0].inbound_layers] == ["quant_a_relu", "quant_b_conv"]
    rng = np.random.default_rng(0)
    images = [rng.standard_normal((2, 16, 16, 3)).astype(np.float32) for _ in range(4)]
    calibrate(qat, images)
    x = images[0]
    want, got = model(x).numpy(), qat(x).numpy()
    # 8-bit fake quantization of a 3-layer net: error a few % of the output spread; a
    # swapped concat is off by the order of the spread itself.
    assert np.abs(want - got).mean() < 0.05 * want.std()


def test_check_input_order_names_a_rewired_layer():
    model = concat_created_out_of_order()
    x = model.input
    a = model.get_layer("a_relu").output
    b = model.get_layer("b_conv").output
    swapped = keras.Model(x, keras.layers.Conv2D(5, 1, name="out")(keras.layers.Concatenate(name="concat")([b, a])))
    with pytest.raises(QuantizationError, match="concat"):
        check_input_order(model, swapped)


@pytest.mark.parametrize("name", ["bisenetv2", "bisenetv1"])
def test_full_models_quantize_with_every_layer_annotated(name):
    model = build_model(name, 11, aux_heads=False)
    qat, report = quantize(model)  # raises QuantizationError on a rewired layer
    float_layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert len(report["default"]) + len(report["output_only"]) == len(float_layers)
    wrapped = {getattr(layer, "layer", layer).name for layer in qat.layers}
    assert {layer.name for layer in float_layers} <= wrapped



def test_calibration_covers_the_fine_tunes_activations_so_gradients_stay_sane():
    """Issue #23: on a model whose BN statistics have not settled (fresh, or trained a few
    float steps), ranges calibrated with BN on its moving statistics alone clamped the QAT
    fine-tune's batch-normalized activations into a sliver; each next BN divided by a
    near-zero batch std, and the first step's largest gradient was ~1e6 here (1e9 in the
    reported run, where a kernel went 0.19 -> 1e6 in one step). Calibration now also covers
    the fine-tune's activations, and leaves the moving statistics as they were."""
    import os

    import tensorflow as tf
    from PIL import Image

    from bisenetv2_tf.preprocessing import CITYSCAPES, normalize_numpy
    from conftest import CAMVID_DIR, require

    val = require(CAMVID_DIR / "val")
    frames = [np.asarray(Image.open(val / n).convert("RGB").resize((160, 128))) for n in sorted(os.listdir(val))[:4]]
    images = [normalize_numpy(f, CITYSCAPES)[None].astype(np.float32) for f in frames]
    keras.utils.set_random_seed(0)
    qat, _ = quantize(build_model("bisenetv2", 3, aux_heads=False))
    before = {w.name: w.numpy() for w in qat.weights if "moving" in w.name}
    assert calibrate(qat, images) == 4
    assert all(np.array_equal(before[w.name], w.numpy()) for w in qat.weights if "moving" in w.name)
    batch = np.concatenate(images[:2])
    labels = np.random.default_rng(0).integers(0, 3, (2, 128, 160))
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, qat(batch, training=True))
    grads = tape.gradient(loss, qat.trainable_variables)
    worst = max(float(np.abs(g.numpy()).max()) for g in grads if g is not None)
    assert np.isfinite(worst) and worst < 100, worst
