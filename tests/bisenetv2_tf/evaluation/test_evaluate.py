"""training.evaluate: the data checks training runs, the model's class count, --flip and
--scales for every model type, bounded working size, one-line errors, atomic --json."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tf_keras as keras
from PIL import Image

from conftest import REPO
from bisenetv2_tf.data import datasets
from bisenetv2_tf.evaluation import evaluate
from bisenetv2_tf.runtime import predictors
from training import evaluate as command

CLASSES = ["a", "b", "c", "d"]


def _tiny_model(num_classes, seed=0, argmax=False):
    keras.utils.set_random_seed(seed)
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    out = keras.layers.Conv2D(num_classes, 3, padding="same", name="logits")(x)
    if argmax:
        out = keras.layers.Lambda(lambda t: keras.backend.argmax(t, -1))(out)
    return keras.Model(inp, out, name="tiny")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A 4-class and a 3-class Keras model, the 4-class one as 32x32 TFLite and ONNX."""
    from tflite import converter, exporters

    root = tmp_path_factory.mktemp("models")
    four, three = _tiny_model(4), _tiny_model(3, seed=1)
    four.save(root / "four.keras")
    three.save(root / "three.keras")
    content = converter.to_tflite(four, "fp32", (32, 32))
    (root / "four.tflite").write_bytes(content)
    (root / "truncated.tflite").write_bytes(content[: len(content) * 2 // 3])
    (root / "argmax.tflite").write_bytes(converter.to_tflite(_tiny_model(4, argmax=True), "fp32", (32, 32)))
    x = np.zeros((1, 32, 32, 3), np.float32)
    exporters.export_onnx(four, (32, 32), str(root / "four.onnx"), [x])
    return root


def _dataset(root, labels, images=None, classes=CLASSES):
    (root / "val").mkdir(parents=True, exist_ok=True)
    (root / "valannot").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i, label in enumerate(labels):
        h, w = np.asarray(label).shape[:2]
        image = rng.integers(0, 255, (h, w, 3), np.uint8) if images is None else images[i]
        Image.fromarray(image).save(root / "val" / f"{i}.png")
        Image.fromarray(np.asarray(label)).save(root / "valannot" / f"{i}.png")
    (root / "classes.json").write_text(json.dumps({"classes": classes, "ignore_index": 255}))
    return root


def _ids(h=32, w=32, seed=0):
    return np.random.default_rng(seed).integers(0, 4, (h, w)).astype(np.uint8)


@pytest.fixture
def data(tmp_path):
    return _dataset(tmp_path / "data", [_ids(seed=i) for i in range(3)])


def _main(*args):
    """Run the CLI in-process: (exit message or None)."""
    try:
        command.main([str(a) for a in args])
    except SystemExit as exc:
        return str(exc.code)
    return None


def test_keras_tflite_onnx_agree_and_json_is_complete(models, data, tmp_path):
    scores = {}
    for name in ("four.keras", "four.tflite", "four.onnx"):
        out = tmp_path / f"{name}.json"
        assert _main("--model", models / name, "--data-dir", data, "--json", out) is None
        scores[name] = json.loads(out.read_text())
        assert scores[name]["num_images"] == 3 and scores[name]["max_side"] == predictors.DEFAULT_MAX_SIDE
    assert scores["four.tflite"]["confusion_matrix"] == scores["four.keras"]["confusion_matrix"]
    assert scores["four.onnx"]["confusion_matrix"] == scores["four.keras"]["confusion_matrix"]
    assert sorted(os.listdir(tmp_path)) == sorted(["data", "four.keras.json", "four.tflite.json",
                                                   "four.onnx.json"])  # no temp files left


def test_out_of_range_ids_are_an_error_not_dropped(models, tmp_path):
    bad = _ids()
    bad[0, :3] = 7
    data = _dataset(tmp_path / "data", [_ids(), bad])
    message = _main("--model", models / "four.keras", "--data-dir", data, "--json", tmp_path / "m.json")
    assert message.startswith("error: label ") and "1.png has class ids [7] outside 0..3" in message
    assert not (tmp_path / "m.json").exists()


def test_rgb_color_labels_are_an_error_not_scored_on_red(models, tmp_path):
    colors = np.zeros((32, 32, 3), np.uint8)
    colors[..., 0] = _ids()  # red channel in range: was scored silently
    colors[..., 1] = 200
    data = _dataset(tmp_path / "data", [colors])
    message = _main("--model", models / "four.keras", "--data-dir", data)
    assert "0.png is an RGB color image" in message and '"label_format": "color"' in message


def test_model_with_another_class_count_is_refused(models, data):
    message = _main("--model", models / "three.keras", "--data-dir", data)
    assert message.startswith("error: ") and "predicts 3 classes but the dataset has 4" in message


@pytest.mark.parametrize("flag,value,expected", [
    ("--limit", "-1", "--limit -1: must be at least 1"),
    ("--limit", "0", "--limit 0: must be at least 1"),
    ("--threads", "0", "--threads 0: must be at least 1"),
    ("--max-side", "-5", "--max-side -5: must be 0"),
])
def test_bad_numbers_are_one_line_errors_and_write_nothing(models, data, tmp_path, flag, value, expected):
    out = tmp_path / "m.json"
    message = _main("--model", models / "four.tflite", "--data-dir", data, "--json", out, flag, value)
    assert message.startswith(f"error: {expected}") and "\n" not in message
    assert not out.exists()


def test_truncated_tflite_is_one_line_error(models, data):
    message = _main("--model", models / "truncated.tflite", "--data-dir", data)
    assert message.startswith("error: ") and "truncated.tflite: not a valid TFLite model" in message
    assert "\n" not in message


@pytest.mark.parametrize("case", ["directory", "read_only", "parent_is_file"])
def test_json_path_that_cannot_be_written_is_refused_before_work(models, data, tmp_path, case, monkeypatch):
    target = {"directory": tmp_path, "read_only": tmp_path / "ro.json",
              "parent_is_file": tmp_path / "afile" / "m.json"}[case]
    if case == "read_only":
        target.write_text("old")
        target.chmod(0o444)
    if case == "parent_is_file":
        (tmp_path / "afile").write_text("")
    monkeypatch.setattr(evaluate, "load_predictor", lambda *a, **k: pytest.fail("model loaded before the check"))
    message = _main("--model", models / "four.keras", "--data-dir", data, "--json", target)
    assert message.startswith(f"error: --json {target}: ")
    if case == "read_only":
        assert target.read_text() == "old"


def test_onnx_applies_flip_as_keras_does_and_refuses_scales(models, tmp_path):
    image = np.random.default_rng(3).integers(0, 255, (32, 32, 3), np.uint8)
    keras_flip = predictors.load_predictor(str(models / "four.keras"), flip=True).class_map(image)
    onnx_flip = predictors.load_predictor(str(models / "four.onnx"), flip=True).class_map(image)
    onnx_plain = predictors.load_predictor(str(models / "four.onnx")).class_map(image)
    assert (onnx_flip == keras_flip).mean() > 0.99
    assert (onnx_flip != onnx_plain).sum() > 0  # the flip was applied (the model is not mirror-symmetric)
    with pytest.raises(predictors.InferenceError, match="--scales needs a Keras model .ONNX"):
        predictors.load_predictor(str(models / "four.onnx"), scales=(0.5, 1.0))
    data = _dataset(tmp_path / "data", [_ids()], images=[image])
    message = _main("--model", models / "four.onnx", "--data-dir", data, "--scales", "0.75", "1")
    assert message.startswith("error: --scales needs a Keras model")


def test_flip_on_a_class_id_output_is_refused(models):
    with pytest.raises(predictors.InferenceError, match="--flip needs a logits output"):
        predictors.load_predictor(str(models / "argmax.tflite"), flip=True)


def test_large_images_are_predicted_at_max_side_and_scored_at_label_size(models, tmp_path, capsys):
    big = np.kron(_ids(24, 32), np.ones((8, 8), np.uint8))  # 192x256 label of 8x8 blocks
    image = np.kron(np.random.default_rng(1).integers(0, 255, (24, 32, 3), np.uint8), np.ones((8, 8, 1), np.uint8))
    data = _dataset(tmp_path / "data", [big], images=[image])
    predictor = predictors.load_predictor(str(models / "four.keras"))
    seen = []
    real = predictor.class_map
    predictor.class_map = lambda x: seen.append(x.shape) or real(x)
    spec = datasets.camvid(str(data), "val")
    result = evaluate.evaluate(predictor, spec, max_side=64)
    assert seen == [(48, 64, 3)]  # never the full 192x256
    assert "predicted at 64x48 (--max-side 64)" in capsys.readouterr().err
    assert np.asarray(result["confusion_matrix"]).sum() == 192 * 256  # scored at the label's size
    seen.clear()
    ids, work_hw = predictors.bounded_class_map(predictor, image, 64)
    assert ids.shape == (192, 256) and work_hw == (48, 64)
    small = real(np.asarray(Image.fromarray(image).resize((64, 48), Image.BILINEAR)))
    np.testing.assert_array_equal(ids[::4, ::4], small)  # nearest scale-back of the small class map
    evaluate.evaluate(predictor, spec, max_side=0)
    assert seen[-1] == (192, 256, 3)  # 0: no cap


def test_help_names_every_model_format(capsys):
    with pytest.raises(SystemExit) as e:
        command.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: python -m training.evaluate")
    assert "Evaluate a .keras, .h5, .tflite or .onnx model" in out
    assert ".keras or .tflite model" not in out
    assert "bisenetv2.keras \\\n      --data-dir" in out  # the example keeps its line break


def test_cli_exit_code_and_no_traceback(models, data, tmp_path):
    result = subprocess.run([sys.executable, "-m", "training.evaluate", "--model", str(models / "four.keras"),
                             "--data-dir", str(data), "--limit", "-1", "--json", str(tmp_path / "m.json")],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "error: --limit -1: must be at least 1"
    assert "Traceback" not in result.stderr and not (tmp_path / "m.json").exists()


def test_scales_past_max_side_are_refused_before_predicting(models, data, tmp_path, monkeypatch):
    """`--scales 12` ended in std::bad_alloc: the largest scale times the image must fit --max-side."""
    out = tmp_path / "m.json"
    message = _main("--model", models / "four.keras", "--data-dir", data, "--json", out, "--scales", "1", "4",
                    "--max-side", "64")
    assert message == ("error: --scales 4: a 32x32 image would be predicted at 128x128, over --max-side 64; "
                       "lower --scales or raise --max-side (0: no cap)")
    assert not out.exists()
    assert _main("--model", models / "four.keras", "--data-dir", data, "--scales", "1", "2", "--max-side", "64") \
        is None  # 64 fits
    big = predictors.KerasPredictor(str(models / "four.keras"), scales=(1.0, 1.5))
    with pytest.raises(predictors.InferenceError, match=r"a 400x300 image \(capped to 64x48\) would be predicted "
                                                         r"at 96x72, over --max-side 64"):
        predictors.check_scales(big, (300, 400), 64)
    predictors.check_scales(big, (300, 400), 0)  # 0: no cap


def test_threads_above_the_cpu_count_are_capped_for_onnx(models, data, capsys, monkeypatch):
    """ONNX evaluate with --threads 1000 took 158 s: capped at the CPU count, with a note."""
    seen = []
    real = evaluate.load_predictor
    monkeypatch.setattr(evaluate, "load_predictor", lambda *a: seen.append(a[3]) or real(*a))
    assert _main("--model", models / "four.onnx", "--data-dir", data, "--threads", "1000") is None
    assert seen == [os.cpu_count()]
    note = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note: --threads")]
    assert note == [f"note: --threads 1000: this machine has {os.cpu_count()} CPUs; using {os.cpu_count()} threads"]


def test_help_documents_every_dataset_layout(capsys):
    with pytest.raises(SystemExit):
        command.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the help
    for layout in ("camvid: DIR/SPLIT/*.png images and DIR/SPLITannot/*.png",
                   "cityscapes: DIR/leftImg8bit/SPLIT/CITY/*_leftImg8bit.png",
                   "folder: DIR/SPLIT/images/* and DIR/SPLIT/labels/*.png", '"label_format": "id"', '"ignore_index"'):
        assert layout in text, layout
