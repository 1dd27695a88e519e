"""tflite.quant_report (its work: tflite/quant_debug.py): flags and files checked before any
conversion, outputs complete."""
import shutil

import numpy as np
import pytest
import tf_keras as keras

from tflite import quant_debug, quant_report
from bisenetv2_tf.data import datasets

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, synthetic_dir):
    keras.utils.set_random_seed(0)
    k = datasets.camvid(synthetic_dir, "val").num_classes
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    out = keras.layers.Conv2D(k, 3, padding="same", name="logits")(x)
    path = tmp_path_factory.mktemp("m") / "tiny.keras"
    keras.Model(inp, out, name="tiny").save(path)
    return path


def _main(*args):
    try:
        quant_report.main([str(a) for a in args])
    except SystemExit as exc:
        return str(exc.code)
    return None


def test_report_and_keep_float_models(model_path, synthetic_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert _main("--model", model_path, "--input-size", 64, 96, "--data-dir", synthetic_dir, "--num-calibration",
                 4, "--num-debug", 2, "--keep-float", 1, "--eval-limit", 2, "--out-dir", out) is None
    text = capsys.readouterr().out
    assert "| rank | op |" in text and "| INT8 PTQ, worst 1 in float |" in text and "(val, 2 images)" in text
    assert sorted(p.name for p in out.iterdir()) == ["tiny_fp32_for_report.tflite", "tiny_int8_keepfloat0.tflite",
                                                     "tiny_int8_keepfloat1.tflite"]


@pytest.mark.parametrize("case", ["size", "negative_size", "zero_calibration", "zero_debug", "eval_limit",
                                  "out_dir_is_file", "truncated_calibration", "bad_eval_label"])
def test_bad_flags_and_files_fail_before_any_conversion(case, model_path, synthetic_dir, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    out = tmp_path / "out"
    size = {"size": ["60", "96"], "negative_size": ["-64", "96"]}.get(case, ["64", "96"])
    flags = {"zero_calibration": ["--num-calibration", "0"], "zero_debug": ["--num-debug", "0"],
             "eval_limit": ["--keep-float", "1", "--eval-limit", "-1"]}.get(case, ["--keep-float", "1"])
    image = sorted((data / "train").iterdir())[2]
    label = sorted((data / "valannot").iterdir())[1]
    if case == "out_dir_is_file":
        out.write_text("keep")
    if case == "truncated_calibration":
        image.write_bytes(image.read_bytes()[:150])
    if case == "bad_eval_label":
        from PIL import Image

        ids = np.asarray(Image.open(label)).copy()
        ids[0, 0] = 40
        Image.fromarray(ids).save(label)
    monkeypatch.setattr(quant_debug, "layer_errors", lambda *a: pytest.fail("converted before the checks"))
    message = _main("--model", model_path, "--input-size", *size, "--data-dir", data, "--out-dir", out, *flags)
    expected = {"size": "error: input size must be positive multiples of 32, got 60x96",
                "negative_size": "error: input size must be positive multiples of 32, got -64x96",
                "zero_calibration": "error: --num-calibration 0: must be at least 1",
                "zero_debug": "error: --num-debug 0: must be at least 1",
                "eval_limit": "error: --eval-limit -1: must be at least 1",
                "out_dir_is_file": f"error: --out-dir {out}: is an existing file",
                "truncated_calibration": f"error: unreadable calibration image {image}: ",
                "bad_eval_label": f"error: label {label} has class ids [40] outside"}[case]
    assert message is not None and message.startswith(expected) and "\n" not in message, message
    if case == "out_dir_is_file":
        assert out.read_text() == "keep"
    else:
        assert not out.exists()


@pytest.mark.parametrize("drops,target,expected,calls", [
    ([0.5], 1.0, 0, [0]),                                     # PTQ already meets it
    ([3, 2, 0.9, 0.8, 0.1, 0, 0, 0, 0], 1.0, 2, [0, 1, 2]),  # doubling finds it at 2
    ([3, 2, 1.5, 1.2, 1.1, 0.9, 0.5, 0.2, 0], 1.0, 5, [0, 1, 2, 4, 8, 6, 5]),  # then bisects 4..8
    ([3, 2, 2, 2], 1.0, None, [0, 1, 2, 3]),                   # never met: None, capped at the layer count
])
def test_fewest_float_layers_doubles_then_bisects(drops, target, expected, calls):
    called = []

    def drop_of(k):
        called.append(k)
        return drops[k]

    k, seen = quant_debug.fewest_float_layers(drop_of, len(drops) - 1, target)
    assert k == expected and called == calls and set(seen) == set(calls)


def test_target_drop_writes_only_the_chosen_model(model_path, synthetic_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert _main("--model", model_path, "--input-size", 64, 96, "--data-dir", synthetic_dir, "--num-calibration",
                 4, "--num-debug", 2, "--target-drop", 50, "--eval-limit", 2, "--out-dir", out) is None
    text = capsys.readouterr().out
    assert "fewest float layers for a drop <= 50.00: 0" in text
    assert sorted(p.name for p in out.iterdir()) == ["tiny_fp32_for_report.tflite", "tiny_int8_keepfloat0.tflite"]
    assert "--target-drop chooses" in _main("--model", model_path, "--input-size", 64, 96, "--data-dir",
                                            synthetic_dir, "--target-drop", 1, "--keep-float", 2)
