"""training.predict: --out-dir checked up front, complete files only, bounded working size."""
import os

import numpy as np
import pytest
import tf_keras as keras
from PIL import Image

from bisenetv2_tf.evaluation import predict


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 3))
    out = keras.layers.Conv2D(4, 3, padding="same", name="logits")(inp)
    path = tmp_path_factory.mktemp("m") / "tiny.keras"
    keras.Model(inp, out).save(path)
    return path


@pytest.fixture
def image_path(tmp_path):
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 48, 3), np.uint8)).save(path)
    return path


def _main(*args):
    try:
        predict.main([str(a) for a in args])
    except SystemExit as exc:
        return str(exc.code)
    return None


def test_help_names_every_model_format(capsys):
    with pytest.raises(SystemExit) as e:
        predict.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "Segment image(s) with a .keras, .h5, .tflite or .onnx model" in out
    assert "bisenetv2_int8_qat.tflite \\\n      --out-dir" in out  # the example keeps its line break
    assert "--model MODEL" in out and ".keras, .h5, .tflite or .onnx model" in out.split("--model MODEL", 2)[2]


def test_writes_complete_masks_and_nothing_else(model_path, image_path, tmp_path):
    out = tmp_path / "new" / "preds"
    assert _main("--model", model_path, "--out-dir", out, image_path) is None
    assert sorted(os.listdir(out)) == ["photo_mask.png", "photo_overlay.png"]
    assert Image.open(out / "photo_mask.png").size == (48, 40)


@pytest.mark.parametrize("case", ["file", "read_only", "under_a_file"])
def test_out_dir_that_cannot_be_written_is_one_line_error(model_path, image_path, tmp_path, case, monkeypatch):
    target = {"file": tmp_path / "afile", "read_only": tmp_path / "ro",
              "under_a_file": tmp_path / "afile" / "sub"}[case]
    (tmp_path / "afile").write_text("keep")
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro").chmod(0o555)
    monkeypatch.setattr(predict, "load_predictor", lambda *a, **k: pytest.fail("model loaded before the check"))
    try:
        message = _main("--model", model_path, "--out-dir", target, image_path)
    finally:
        (tmp_path / "ro").chmod(0o755)
    assert message.startswith(f"error: --out-dir {target}: ") and "\n" not in message
    assert (tmp_path / "afile").read_text() == "keep" and os.listdir(tmp_path / "ro") == []


def test_large_image_is_predicted_at_max_side(model_path, tmp_path, capsys):
    path = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (300, 200, 3), np.uint8)).save(path)
    assert _main("--model", model_path, "--out-dir", tmp_path / "o", "--max-side", "64", path) is None
    assert "predicted at 43x64 (--max-side 64)" in capsys.readouterr().err
    assert Image.open(tmp_path / "o" / "big_mask.png").size == (200, 300)
    assert _main("--model", model_path, "--out-dir", tmp_path / "o", "--max-side", "8", path) == \
        "error: --max-side 8: must be 0 (no cap) or at least 32"
