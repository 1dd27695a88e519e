"""Issue 23 item 3: model files are checked before use. A MODEL.json that does not
describe its .tflite, and a .keras/.tflite/.onnx from another project (classifier,
half-resolution output, grayscale or NCHW input), are one line naming the file at load
time, never a traceback or a wrong result; the shipped models still load."""
import json
import shutil

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras
from PIL import Image

from bisenetv2_tf.preprocessing import CITYSCAPES
from bisenetv2_tf.runtime import metadata
from bisenetv2_tf.runtime.litert import interpreter
from bisenetv2_tf.runtime.predictors import SEGMENTATION_IO, InferenceError, load_predictor
from conftest import REPO
from tflite import converter
from training import evaluate, predict

HW = (32, 32)
K = 4


def _seg(channels_in=3, hw=(None, None), batch=None):
    keras.utils.set_random_seed(0)
    inp = keras.Input((*hw, channels_in), batch_size=batch)
    return keras.Model(inp, keras.layers.Conv2D(K, 3, padding="same", name="logits")(inp))


def _foreign(case, hw=(None, None), batch=None):
    """A tiny model of another project: a classifier, a half-resolution output, a
    grayscale input, a channels-first (NCHW) input."""
    keras.utils.set_random_seed(0)
    layers = keras.layers
    if case == "gray":
        return _seg(1, hw, batch)
    if case == "nchw":
        inp = keras.Input((3, *hw), batch_size=batch)
        x = layers.Conv2D(K, 1)(layers.Permute((2, 3, 1))(inp))
        return keras.Model(inp, layers.Permute((3, 1, 2))(x))
    inp = keras.Input((*hw, 3), batch_size=batch)
    if case == "classifier":
        x = layers.GlobalAveragePooling2D()(layers.Conv2D(8, 3, padding="same")(inp))
        return keras.Model(inp, layers.Dense(K)(x))
    if case == "half_res":
        return keras.Model(inp, layers.Conv2D(K, 3, strides=2, padding="same")(inp))
    raise ValueError(case)


def _tflite(model):
    """A static-batch Keras model -> TFLite bytes (its own input shape)."""
    return converter.run_converter(tf.lite.TFLiteConverter.from_keras_model(model))


def _write_meta(tflite_path):
    """The converter's metadata JSON beside ``tflite_path``, from the interpreter."""
    it = interpreter(path=str(tflite_path))
    meta = metadata.build("tiny", "x", it.get_input_details()[0], it.get_output_details()[0], "logits",
                          CITYSCAPES, [f"c{i}" for i in range(K)], [[i, i, i] for i in range(K)], 255)
    tflite_path.with_suffix(".json").write_text(json.dumps(meta, indent=1))
    return meta


def _onnx(path, in_shape, out_shape, out_type=None):
    """A one-op ONNX model: input -> Identity, ReduceMean (a classifier, a depth map) or a
    stride-2 Slice (half resolution)."""
    import onnx
    from onnx import TensorProto, helper

    floats = TensorProto.FLOAT
    nodes, inits = [], []
    if len(out_shape) in (2, 3):  # a classifier (mean over H,W) or a depth map (mean over channels)
        axes = [1, 2] if len(out_shape) == 2 else [3]
        nodes.append(helper.make_node("ReduceMean", ["x"], ["y"], axes=axes, keepdims=0))
    elif out_shape[1] != in_shape[1]:
        for name, values in (("s", [0, 0]), ("e", [1 << 30] * 2), ("a", [1, 2]), ("st", [2, 2])):
            inits.append(helper.make_tensor(name, TensorProto.INT64, [2], values))
        nodes.append(helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"]))
    else:
        nodes.append(helper.make_node("Identity", ["x"], ["y"]))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", floats, in_shape)],
                              [helper.make_tensor_value_info("y", out_type or floats, out_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


ONNX_SHAPES = {"ok": ([1, 32, 32, 3], [1, 32, 32, 3]), "classifier": ([1, 32, 32, 3], [1, 3]),
               "half_res": ([1, 32, 32, 3], [1, 16, 16, 3]), "gray": ([1, 32, 32, 1], [1, 32, 32, 1]),
               "nchw": ([1, 3, 32, 32], [1, 3, 32, 32])}
CASES = ("classifier", "half_res", "gray", "nchw")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    seg = _seg()
    seg.save(root / "seg.keras")
    (root / "fp32.tflite").write_bytes(converter.to_tflite(seg, "fp32", HW))
    _write_meta(root / "fp32.tflite")
    rng = np.random.default_rng(0)
    images = [rng.standard_normal((1, *HW, 3)).astype(np.float32) for _ in range(4)]
    (root / "int8.tflite").write_bytes(converter.to_tflite(seg, "int8-ptq", HW, lambda: ([x] for x in images)))
    _write_meta(root / "int8.tflite")
    for case in CASES:
        _foreign(case).save(root / f"{case}.keras")
        (root / f"{case}.tflite").write_bytes(_tflite(_foreign(case, HW, batch=1)))
    for case, (ins, outs) in ONNX_SHAPES.items():
        _onnx(root / f"{case}.onnx", ins, outs)
    inp = keras.Input((None, None, 3))
    two = keras.Model(inp, [keras.layers.Conv2D(K, 1)(inp), keras.layers.Conv2D(2, 1)(inp)])
    two.save(root / "two_outputs.keras")
    return root


def _refusal(path):
    with pytest.raises(InferenceError) as info:
        load_predictor(str(path))
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message


def test_shipped_models_all_load():
    camvid = REPO / "models" / "camvid"
    tflites = sorted(camvid.glob("*.tflite"))
    assert len(tflites) >= 4 and all(p.with_suffix(".json").is_file() for p in tflites)
    for path in [*tflites, camvid / "bisenetv2.keras", camvid / "bisenetv2.onnx", camvid / "bisenetv2_qat.h5"]:
        predictor = load_predictor(str(path))
        assert predictor.num_classes == 11, path
        if path.suffix == ".tflite":
            assert predictor.meta["num_classes"] == 11 and predictor.input_hw == (384, 480)


def test_tiny_valid_models_load(models, tmp_path):
    for name in ("seg.keras", "fp32.tflite", "int8.tflite", "ok.onnx"):
        assert load_predictor(str(models / name)).class_map(np.zeros((20, 24, 3), np.uint8)).shape == (20, 24)
    shutil.copy(models / "int8.tflite", tmp_path / "bare.tflite")  # no MODEL.json: built from the interpreter
    assert load_predictor(str(tmp_path / "bare.tflite")).meta["input"]["dtype"] == "uint8"


def _mutate(case, meta, fp32_meta):
    if case == "fp32_json_beside_int8":
        return fp32_meta
    if case == "input_shape":
        meta["input"]["shape"] = [1, 64, 64, 3]
    elif case == "output_shape":
        meta["output"]["shape"] = [1, 32, 32, K + 1]
    elif case == "class_count":
        meta.update(num_classes=K + 1, labels=meta["labels"] + ["x"], colors=meta["colors"] + [[1, 2, 3]])
    elif case == "input_scale":
        meta["input"]["quantization"]["scale"] *= 2
    elif case == "output_zero_point":
        meta["output"]["quantization"]["zero_point"] += 1
    elif case == "not_quantized":
        meta["input"]["quantization"] = None
    elif case == "missing_field":
        del meta["normalization"]
    elif case == "labels":
        meta["labels"] = meta["labels"][:-1]
    elif case == "kind":
        meta["output"]["kind"] = "argmax"
    return meta


JSON_CASES = {
    "fp32_json_beside_int8": "input dtype float32 but the model's is uint8",
    "input_shape": "input shape [1, 64, 64, 3] but the model's is [1, 32, 32, 3]",
    "output_shape": "output shape [1, 32, 32, 5] but the model's is [1, 32, 32, 4]",
    "class_count": "num_classes 5 but the model outputs 4 classes",
    "input_scale": "input quantization {\"scale\": ",
    "output_zero_point": "output quantization {\"scale\": ",
    "not_quantized": "input quantization null but the model's is {\"scale\": ",
    "missing_field": "no \"normalization.mean\"",
    "labels": "3 labels for 4 classes",
    "kind": "output kind 'argmax' but the model's 4-d output is logits or probs",
    "truncated": "not valid JSON, truncated? (",
    "not_an_object": "not a bisenetv2-tf/metadata file",
}


@pytest.mark.parametrize("case", JSON_CASES)
def test_metadata_that_does_not_describe_its_tflite_is_one_line_at_load(case, models, tmp_path):
    """Today: JSONDecodeError, AttributeError, "Cannot set tensor: Got FLOAT32 but expected
    UINT8" at the first image, a KeyError, or a silently wrong quantization."""
    model = tmp_path / "m.tflite"
    shutil.copy(models / "int8.tflite", model)
    text = (models / "int8.json").read_text()
    meta_path = tmp_path / "m.json"
    if case == "truncated":
        meta_path.write_text(text[: len(text) // 2])
    elif case == "not_an_object":
        meta_path.write_text("[]")
    else:
        meta = _mutate(case, json.loads(text), json.loads((models / "fp32.json").read_text()))
        meta_path.write_text(json.dumps(meta))
    with pytest.raises(InferenceError) as info:
        load_predictor(str(model))
    message = str(info.value)
    assert message.startswith(f"{meta_path}: ") and "\n" not in message, message
    assert JSON_CASES[case] in message, message
    if case not in ("truncated", "not_an_object"):
        assert message.endswith(f"not the metadata of {model} (python -m tflite.convert writes the two together)")


EXPECTED = {
    ("keras", "classifier"): "it is a classifier: its output (?,4) scores the whole image, not each pixel",
    ("keras", "half_res"): "run on a 64x96 test image, its output (1,32,48,4) is 32x48, not at its input's 64x96",
    ("keras", "gray"): "its input (?,?,?,1) takes 1-channel images, not RGB",
    ("keras", "nchw"): "its input (?,3,?,?) is channels-first (NCHW)",
    ("tflite", "classifier"): "it is a classifier: its output (1,4) scores the whole image, not each pixel",
    ("tflite", "half_res"): "its output (1,16,16,4) is 16x16, not at its input's 32x32",
    ("tflite", "gray"): "its input (1,32,32,1) takes 1-channel images, not RGB",
    ("tflite", "nchw"): "its input (1,3,32,32) is channels-first (NCHW)",
    ("onnx", "classifier"): "it is a classifier: its output (1,3) scores the whole image, not each pixel",
    ("onnx", "half_res"): "its output (1,16,16,3) is 16x16, not at its input's 32x32",
    ("onnx", "gray"): "its input (1,32,32,1) takes 1-channel images, not RGB",
    ("onnx", "nchw"): "its input (1,3,32,32) is channels-first (NCHW)",
}


@pytest.mark.parametrize("kind,case", EXPECTED)
def test_model_of_another_project_is_refused_at_load(kind, case, models):
    """Today: each loads (the Keras classifier is refused without saying why), and predicts
    garbage or fails at the first image."""
    path = models / f"{case}.{kind}"
    assert _refusal(path) == f"{path}: {EXPECTED[kind, case]}; {SEGMENTATION_IO}"


def test_other_refusals(models, tmp_path):
    """A multi-output model without a "logits" layer, a (1,H,W) float output (a depth
    map), a one-channel output; today a ValueError traceback or a load."""
    path = models / "two_outputs.keras"
    assert _refusal(path).startswith(f"{path}: it has 2 output(s) and no \"logits\" layer to take logits from")
    depth = _onnx(tmp_path / "depth.onnx", [1, 32, 32, 3], [1, 32, 32])
    assert "its output (1,32,32) is not integer class ids" in _refusal(depth)
    mask = _onnx(tmp_path / "mask.onnx", [1, 32, 32, 1], [1, 32, 32, 1])
    assert "takes 1-channel images" in _refusal(mask)
    keras.utils.set_random_seed(0)
    inp = keras.Input((32, 32, 3), batch_size=1)
    (tmp_path / "mask.tflite").write_bytes(_tflite(keras.Model(inp, keras.layers.Conv2D(1, 1)(inp))))
    assert "has 1 channel (a mask or depth map?)" in _refusal(tmp_path / "mask.tflite")


def _cli(module, *args):
    try:
        module.main([str(a) for a in args])
    except SystemExit as exc:
        return str(exc.code)
    return None


@pytest.mark.parametrize("name", ["half_res.keras", "classifier.tflite", "nchw.onnx", "bad_json"])
def test_clis_print_one_error_line(name, models, synthetic_dir, tmp_path):
    if name == "bad_json":
        shutil.copy(models / "int8.tflite", tmp_path / "m.tflite")
        shutil.copy(models / "fp32.json", tmp_path / "m.json")
        path, expected = tmp_path / "m.tflite", f"error: {tmp_path / 'm.json'}: input dtype float32 but"
    else:
        path = models / name
        expected = f"error: {path}: "
    message = _cli(evaluate, "--model", path, "--data-dir", synthetic_dir, "--limit", 1)
    assert message.startswith(expected) and "\n" not in message, message
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    message = _cli(predict, image, "--model", path, "--out-dir", tmp_path / "out")
    assert message.startswith(expected) and "\n" not in message, message
    assert not (tmp_path / "out").exists()
