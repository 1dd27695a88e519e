"""BiSeNet V1 against CoinCheung's ``BiSeNetV1`` reference fixture (../shared/reference).

The fixture tests fail (never skip) when the shared reference directory is missing.
The full-size models are built once per module to keep the runtime small.
"""
from pathlib import Path

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from bisenetv2_tf import bisenetv1, to_inference, with_output_head
from bisenetv2_tf.builders import MODEL_NAMES, build_model
from bisenetv2_tf.checkpoint import (
    CheckpointMismatchError,
    export_state_dict,
    load_state_dict,
    torch_layout,
)

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
WEIGHTS = REFERENCE_DIR / "coincheung_bisenetv1_c11.npz"
IO = REFERENCE_DIR / "coincheung_bisenetv1_c11_io.npz"
NUM_CLASSES = 11
INFERENCE_PARAMS = 13_273_483
TRAINING_PARAMS = 13_422_625
AUX_KEYS = 14  # conv_out16.* and conv_out32.* (16 with num_batches_tracked, which is skipped)
TOLERANCE = 1e-4

# Reference intermediate (NCHW) -> Keras layer whose output it is.
INTERMEDIATES = {
    "inter_feat8": "cp.resnet.layer2.1.relu",
    "inter_feat16": "cp.resnet.layer3.1.relu",
    "inter_feat32": "cp.resnet.layer4.1.relu",
    "inter_cp_avg": "cp.conv_avg.relu",
    "inter_cp_feat32_arm": "cp.arm32.mul",
    "inter_cp_feat16_arm": "cp.arm16.mul",
    "inter_feat_cp16": "cp.conv_head32.relu",
    "inter_feat_cp8": "cp.conv_head16.relu",
    "inter_feat_sp": "sp.conv_out.relu",
    "inter_feat_fuse": "ffm.add",
}


def _load_npz(path):
    if not path.is_file():
        pytest.fail(f"reference fixture missing: {path} (expected ../shared/reference next to the repo)")
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def _non_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)


def _max_diff(nhwc, nchw):
    return float(np.max(np.abs(np.transpose(nhwc, (0, 3, 1, 2)) - nchw)))


@pytest.fixture(scope="module")
def state():
    return _load_npz(WEIGHTS)


@pytest.fixture(scope="module")
def io():
    return _load_npz(IO)


@pytest.fixture(scope="module")
def model(state):
    """Training model (dynamic H, W) with the reference weights imported."""
    m = bisenetv1(NUM_CLASSES)
    assert load_state_dict(m, state) == []
    return m


@pytest.fixture(scope="module")
def static_model(state):
    """Inference model, batch 1, 256x320 (the reference size), reference weights."""
    m = bisenetv1(NUM_CLASSES, input_shape=(256, 320, 3), aux_heads=False, batch_size=1)
    ignored = load_state_dict(m, state)
    assert len(ignored) == AUX_KEYS
    assert all(k.startswith(("conv_out16.", "conv_out32.")) for k in ignored)
    return m


def test_parameter_counts(model, static_model):
    assert _trainable(model) == TRAINING_PARAMS
    assert _trainable(static_model) == INFERENCE_PARAMS
    assert _trainable(to_inference(model)) == INFERENCE_PARAMS
    # BN running stats are non-trainable: 2 * sum of BN channels.
    assert _non_trainable(model) == 13_824
    assert _non_trainable(static_model) == 13_568


def test_flat_graph_of_builtin_layers(model):
    for layer in model.layers:
        assert not isinstance(layer, (keras.Model, keras.layers.Lambda)), layer.name
        module = type(layer).__module__
        assert module.startswith("tf_keras.src.layers.") or isinstance(layer, keras.layers.InputLayer), (
            f"{layer.name}: {module}.{type(layer).__name__}"
        )
    assert model.output_names == ["logits", "aux16", "aux32"]


def test_layer_names_match_reference_keys(model, static_model, state):
    reference = {k for k in state if not k.endswith(".num_batches_tracked")}
    assert set(torch_layout(model)) == reference
    assert set(torch_layout(static_model)) == {
        k for k in reference if not k.startswith(("conv_out16.", "conv_out32."))
    }
    for key, (_, _, shape) in torch_layout(model).items():
        assert tuple(state[key].shape) == shape, key


def test_matches_reference(model, io):
    """Main + aux logits and intermediates equal CoinCheung's on the fixture input."""
    probe = keras.Model(
        model.inputs, model.outputs + [model.get_layer(n).output for n in INTERMEDIATES.values()]
    )
    outs = [o.numpy() for o in probe(io["input_nhwc"], training=False)]
    names = ["train_feat_out", "feat_out16", "feat_out32", *INTERMEDIATES]
    diffs = {n: _max_diff(o, io[n]) for n, o in zip(names, outs)}
    diffs["feat_out"] = _max_diff(outs[0], io["feat_out"])
    for out in outs[:3]:
        assert out.dtype == np.float32 and out.shape == (1, 256, 320, NUM_CLASSES)
    bad = {n: d for n, d in diffs.items() if not d <= TOLERANCE}
    assert not bad, f"max abs diff above {TOLERANCE}: {bad}"


def test_save_reload_other_size(model, tmp_path):
    x = np.random.default_rng(0).standard_normal((1, 128, 160, 3)).astype(np.float32)
    before = [o.numpy() for o in model(x, training=False)]
    path = tmp_path / "bisenetv1.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    after = [o.numpy() for o in reloaded(x, training=False)]
    assert reloaded.output_names == model.output_names
    for b, a in zip(before, after):
        assert b.shape == (1, 128, 160, NUM_CLASSES)
        np.testing.assert_array_equal(a, b)


def test_export_round_trip(model, state):
    exported = export_state_dict(model)
    # Same keys (Keras orders layers by graph depth, so e.g. downsample precedes conv2).
    assert sorted(exported) == sorted(state)
    for key, value in state.items():
        assert np.array_equal(exported[key], value), key


def test_checkpoint_mismatch_raises(model, state):
    before = [w.numpy() for w in model.weights[:3]]
    missing = {k: v for k, v in state.items() if k != "ffm.conv.weight"}
    with pytest.raises(CheckpointMismatchError, match="missing"):
        load_state_dict(model, missing)
    misshaped = dict(state)
    misshaped["cp.resnet.layer2.0.downsample.0.weight"] = np.zeros((128, 64, 3, 3), np.float32)
    with pytest.raises(CheckpointMismatchError, match="mis-shaped"):
        load_state_dict(model, {k: v * 0 for k, v in misshaped.items()})
    unexpected = {**state, "cp.resnet.fc.weight": np.zeros((1000, 512), np.float32)}
    with pytest.raises(CheckpointMismatchError, match="unexpected"):
        load_state_dict(model, unexpected)
    for b, w in zip(before, model.weights[:3]):  # all-or-nothing: nothing was assigned
        np.testing.assert_array_equal(b, w.numpy())


def test_output_shapes(model):
    for h, w in ((64, 96), (128, 160)):
        outs = model(np.zeros((2, h, w, 3), np.float32), training=False)
        assert [tuple(o.shape) for o in outs] == [(2, h, w, NUM_CLASSES)] * 3
    argmax = with_output_head(model, "argmax")
    ids = argmax(np.zeros((1, 64, 96, 3), np.float32))
    assert ids.shape == (1, 64, 96) and ids.dtype == tf.int32


def test_builder_registration():
    assert "bisenetv1" in MODEL_NAMES
    m = build_model("bisenetv1", 5, input_shape=(64, 96, 3), aux_heads=False, output="probs")
    assert m.output_shape == (None, 64, 96, 5)
    assert m.layers[-1].name == "probs"
    with pytest.raises(ValueError, match="multiples of 32"):
        bisenetv1(5, input_shape=(100, 96, 3))


def test_tflite_builtins_only(static_model, io):
    """Batch-1 256x320 inference model -> TFLite builtins only; logits match the reference."""
    converter = tf.lite.TFLiteConverter.from_keras_model(static_model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    flatbuffer = converter.convert()
    from bisenetv2_tf.runtime.litert import interpreter as make_interpreter
    from bisenetv2_tf.runtime.litert import op_names

    ops = set(op_names(flatbuffer))
    assert not any(op.startswith("Flex") or op == "CUSTOM" for op in ops), ops
    assert ops <= {
        "CONV_2D", "PAD", "MAX_POOL_2D", "ADD", "MEAN", "LOGISTIC", "MUL",
        "RESIZE_NEAREST_NEIGHBOR", "CONCATENATION", "RESIZE_BILINEAR", "RELU",
    }, ops
    interpreter = make_interpreter(flatbuffer)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], io["input_nhwc"])
    interpreter.invoke()
    logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert _max_diff(logits, io["feat_out"]) <= TOLERANCE
