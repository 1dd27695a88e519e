"""training.predict: --out-dir checked up front, complete files only, bounded working size,
class colors embedded in the model file or of its training run, unique output names."""
import json
import os

import numpy as np
import pytest
import tf_keras as keras
from PIL import Image

from bisenetv2_tf import Segmenter
from bisenetv2_tf.data import datasets
from bisenetv2_tf.evaluation import predict
from bisenetv2_tf.runtime import model_info
from training import predict as command


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
        command.main([str(a) for a in args])
    except SystemExit as exc:
        return str(exc.code)
    return None


def test_help_names_every_model_format(capsys):
    with pytest.raises(SystemExit) as e:
        command.main(["--help"])
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


# Class colors and output names: a 1x1 identity convolution classifies a pure red pixel
# as class 0, a pure green one as class 1 (the normalization is monotonic per channel).
COLORS = [[10, 20, 30], [40, 50, 60], [70, 80, 90]]


def _identity_model(folder, train_args=None):
    inp = keras.Input((None, None, 3))
    conv = keras.layers.Conv2D(3, 1, name="logits")
    out = conv(inp)
    conv.set_weights([np.eye(3, dtype=np.float32)[None, None], np.zeros(3, np.float32)])
    folder.mkdir(parents=True, exist_ok=True)
    keras.Model(inp, out).save(folder / "model.keras")
    if train_args is not None:
        (folder / "train_args.json").write_text(json.dumps(train_args))
    return folder / "model.keras"


@pytest.fixture(scope="module")
def run_model(tmp_path_factory):
    """A model in a training run's folder: train_args.json with 3 class colors beside it."""
    return _identity_model(tmp_path_factory.mktemp("run"),
                           {"num_classes": 3, "class_names": ["a", "b", "c"], "colors": COLORS})


@pytest.fixture(scope="module")
def other_run_model(tmp_path_factory):
    """A train_args.json for another class count (5) beside a 3-class model."""
    return _identity_model(tmp_path_factory.mktemp("other"),
                           {"num_classes": 5, "class_names": list("abcde"), "colors": [[1, 2, 3]] * 5})


def _solid(path, rgb, size=(6, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(size + (3,), rgb, np.uint8)).save(path)
    return path


def _mask_colors(path):
    return {tuple(c) for c in np.asarray(Image.open(path).convert("RGB")).reshape(-1, 3).tolist()}


def test_keras_model_gets_the_class_colors_of_its_training_run(run_model, tmp_path, capsys):
    red, green = _solid(tmp_path / "red.png", (255, 0, 0)), _solid(tmp_path / "green.png", (0, 255, 0))
    assert _main("--model", run_model, "--out-dir", tmp_path / "o", red, green) is None
    assert _mask_colors(tmp_path / "o" / "red_mask.png") == {tuple(COLORS[0])}
    assert _mask_colors(tmp_path / "o" / "green_mask.png") == {tuple(COLORS[1])}
    assert capsys.readouterr().err == ""  # quiet: no palette note, no renames


def test_class_file_beats_train_args(run_model, tmp_path):
    classes = tmp_path / "classes.json"
    classes.write_text(json.dumps({"classes": ["x", "y", "z"], "colors": [[200, 0, 0], [0, 200, 0], [0, 0, 200]]}))
    red = _solid(tmp_path / "red.png", (255, 0, 0))
    assert _main("--model", run_model, "--out-dir", tmp_path / "o", "--class-file", classes, red) is None
    assert _mask_colors(tmp_path / "o" / "red_mask.png") == {(200, 0, 0)}


def test_train_args_of_another_class_count_is_ignored(other_run_model, tmp_path, capsys):
    green = _solid(tmp_path / "green.png", (0, 255, 0))
    assert _main("--model", other_run_model, "--out-dir", tmp_path / "o", green) is None
    assert _mask_colors(tmp_path / "o" / "green_mask.png") == {tuple(datasets.default_colors(3)[1])}
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "default palette" in err[0] and "--class-file" in err[0]


EMBEDDED = ((200, 10, 10), (10, 200, 10), (10, 10, 200))


@pytest.mark.parametrize("ext", [".keras", ".h5", ".onnx"])
def test_every_format_gets_the_class_colors_embedded_in_it_as_segmenter_paints_them(ext, tmp_path, capsys):
    """No train_args.json beside it: the colours come from the model file itself."""
    model = keras.models.load_model(_identity_model(tmp_path / "build"))
    path = tmp_path / "m" / f"model{ext}"
    path.parent.mkdir()
    if ext == ".onnx":
        from tflite import exporters

        exporters.export_onnx(model, (32, 32), str(path), [np.zeros((1, 32, 32, 3), np.float32)])
    else:
        model.save(path)
    model_info.embed(str(path), model_info.ModelInfo(("a", "b", "c"), EMBEDDED))
    red = _solid(tmp_path / "red.png", (255, 0, 0))
    assert _main("--model", path, "--out-dir", tmp_path / "o", red) is None
    assert _mask_colors(tmp_path / "o" / "red_mask.png") == {EMBEDDED[0]}
    assert capsys.readouterr().err == ""  # no default-palette note
    segmenter = Segmenter(path)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "o" / "red_mask.png")),
                                  segmenter.colorize(segmenter.predict(red)))


def test_embedded_class_information_of_another_class_count_is_refused(tmp_path):
    path = _identity_model(tmp_path / "m")  # 3 classes
    model_info.embed(str(path), model_info.ModelInfo(("a", "b"), EMBEDDED[:2]))
    red = _solid(tmp_path / "red.png", (255, 0, 0))
    assert _main("--model", path, "--out-dir", tmp_path / "o", red) == \
        f"error: {path}: its class information lists 2 classes but the model predicts 3"
    assert not (tmp_path / "o").exists()


def test_same_file_names_never_overwrite_each_other(run_model, tmp_path, capsys):
    a = _solid(tmp_path / "a" / "frame.png", (255, 0, 0))
    b = _solid(tmp_path / "b" / "frame.png", (0, 255, 0))
    jpg = _solid(tmp_path / "b" / "frame.jpg", (0, 0, 255))  # same stem, same folder as b/frame.png
    unique = _solid(tmp_path / "a" / "photo.png", (0, 255, 0))
    out = tmp_path / "o"
    assert _main("--model", run_model, "--out-dir", out, a, b, jpg, unique) is None
    assert sorted(os.listdir(out)) == sorted(f"{n}_{kind}.png" for n in ("a_frame", "b_frame_1", "b_frame_2", "photo")
                                             for kind in ("mask", "overlay"))
    assert _mask_colors(out / "a_frame_mask.png") == {tuple(COLORS[0])}
    assert _mask_colors(out / "b_frame_1_mask.png") == {tuple(COLORS[1])}
    assert _mask_colors(out / "b_frame_2_mask.png") == {tuple(COLORS[2])}
    assert _mask_colors(out / "photo_mask.png") == {tuple(COLORS[1])}
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all("shares its file name" in line for line in err)
    assert any(str(a) in line and "a_frame_mask.png" in line for line in err)
    assert not any("photo" in line for line in err)


def test_output_names_are_unique_and_deterministic():
    names = predict.output_names(["x/a/frame.png", "y/a/frame.png", "a/photo.jpg", "b/Photo.png", "solo.png"])
    assert names == ["x_a_frame", "y_a_frame", "a_photo", "b_Photo", "solo"]
    assert predict.output_names(["frame.png", "frame.png"]) == predict.output_names(["frame.png", "frame.png"])
    assert len(set(predict.output_names(["frame.png", "frame.png"]))) == 2
    # a disambiguated name never takes the name of another input
    assert predict.output_names(["a/frame.png", "b/frame.png", "a_frame.png"])[2] == "a_frame"
    assert len({n.casefold() for n in predict.output_names(["a/frame.png", "b/frame.png", "a_frame.png"])}) == 3


def test_threads_below_one_is_one_line_error(run_model, image_path, tmp_path):
    with pytest.raises(SystemExit) as e:
        command.main(["--model", str(run_model), "--out-dir", str(tmp_path / "o"), "--threads", "0", str(image_path)])
    assert e.value.code not in (0, None)
    assert str(e.value.code).startswith("error: --threads 0") and "\n" not in str(e.value.code)
    assert not (tmp_path / "o").exists()


# Issue 23: nothing lost, nothing silently wrong.

def test_output_that_is_an_input_is_refused_before_any_work(run_model, tmp_path, monkeypatch):
    """`--out-dir d d/*.png` with d/street.png and d/street_mask.png replaced the user's street_mask.png."""
    d = tmp_path / "d"
    street = _solid(d / "street.png", (255, 0, 0))
    users_mask = _solid(d / "street_mask.png", (1, 2, 3))
    before = users_mask.read_bytes()
    monkeypatch.setattr(predict, "load_predictor", lambda *a, **k: pytest.fail("model loaded before the check"))
    message = _main("--model", run_model, "--out-dir", d, street, users_mask)
    assert message == (f"error: --out-dir {d}: {users_mask} is an input image, and an output never replaces an "
                       "input: choose another --out-dir")
    assert users_mask.read_bytes() == before and sorted(os.listdir(d)) == ["street.png", "street_mask.png"]
    message = _main("--model", run_model, "--out-dir", d, "--overwrite", street, users_mask)
    assert "is an input image" in message and users_mask.read_bytes() == before  # --overwrite never replaces inputs


def test_existing_output_is_replaced_only_with_overwrite(run_model, tmp_path):
    red = _solid(tmp_path / "red.png", (255, 0, 0))
    out = tmp_path / "o"
    out.mkdir()
    (out / "red_overlay.png").write_text("the user's file")
    message = _main("--model", run_model, "--out-dir", out, red)
    assert message == (f"error: --out-dir {out}: {out / 'red_overlay.png'} already exists; pass --overwrite to "
                       "replace files this run did not write, or choose another --out-dir")
    assert os.listdir(out) == ["red_overlay.png"] and (out / "red_overlay.png").read_text() == "the user's file"
    assert _main("--model", run_model, "--out-dir", out, "--overwrite", red) is None
    assert _mask_colors(out / "red_mask.png") == {tuple(COLORS[0])} and Image.open(out / "red_overlay.png").size


def _exif_jpeg(path, array, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(array).save(path, exif=exif.tobytes(), quality=95)
    return path


def test_exif_orientation_is_honoured(model_path, tmp_path):
    """A phone photo stored landscape with orientation 6 is shown (and segmented) portrait."""
    photo = _exif_jpeg(tmp_path / "phone.jpg", np.zeros((40, 48, 3), np.uint8), 6)
    assert _main("--model", model_path, "--out-dir", tmp_path / "o", photo) is None
    assert Image.open(tmp_path / "o" / "phone_mask.png").size == (40, 48)  # upright: 40 wide, 48 high
    assert Image.open(tmp_path / "o" / "phone_overlay.png").size == (40, 48)


def _png_header_only(path, width, height):
    """A PNG whose IHDR claims width x height (no pixel data): PIL refuses it on open as a
    decompression bomb above 2 * Image.MAX_IMAGE_PIXELS."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def test_one_bad_image_does_not_stop_the_batch(run_model, tmp_path, capsys):
    first = _solid(tmp_path / "in" / "first.png", (255, 0, 0))
    bomb = _png_header_only(tmp_path / "in" / "bomb.png", 20000, 20000)
    last = _solid(tmp_path / "in" / "last.png", (0, 255, 0))
    missing = tmp_path / "in" / "missing.png"
    out = tmp_path / "o"
    assert _main("--model", run_model, "--out-dir", out, first, bomb, last, missing) == \
        "error: 2 of 4 images failed"
    assert sorted(os.listdir(out)) == ["first_mask.png", "first_overlay.png", "last_mask.png", "last_overlay.png"]
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "Traceback" not in "\n".join(err)
    assert err[0].startswith(f"error: cannot read image {bomb}: ") and "decompression bomb" in err[0]
    assert err[1].startswith(f"error: cannot read image {missing}: ")


def test_a_folder_input_stands_for_its_images(run_model, tmp_path):
    d = tmp_path / "photos"
    _solid(d / "a.png", (255, 0, 0))
    _solid(d / "b.JPG", (0, 255, 0))
    (d / "notes.txt").write_text("not an image")
    _solid(d / "sub" / "deeper.png", (0, 0, 255))  # not recursive
    out = tmp_path / "o"
    assert _main("--model", run_model, "--out-dir", out, d) is None
    assert sorted(os.listdir(out)) == ["a_mask.png", "a_overlay.png", "b_mask.png", "b_overlay.png"]
    (d / "empty").mkdir()
    assert _main("--model", run_model, "--out-dir", out, d / "empty") == f"error: no images (.png, .jpg, .jpeg, " \
                                                                         f".bmp) in {d / 'empty'}"


def test_class_file_with_fewer_classes_than_the_model_is_refused(run_model, tmp_path):
    classes = tmp_path / "classes.json"
    classes.write_text(json.dumps({"classes": ["x", "y"], "colors": [[200, 0, 0], [0, 200, 0]]}))
    red = _solid(tmp_path / "red.png", (255, 0, 0))
    message = _main("--model", run_model, "--out-dir", tmp_path / "o", "--class-file", classes, red)
    assert message == (f"error: --class-file {classes}: 2 classes but the model predicts 3; classes 2..2 would be "
                       "painted black")
    assert not (tmp_path / "o").exists()


def test_threads_above_the_cpu_count_are_capped_with_a_note(run_model, image_path, tmp_path, capsys, monkeypatch):
    seen = []
    real = predict.load_predictor
    monkeypatch.setattr(predict, "load_predictor", lambda *a, **k: seen.append(k["threads"]) or real(*a, **k))
    assert _main("--model", run_model, "--out-dir", tmp_path / "o", "--threads", "1000", image_path) is None
    assert seen == [os.cpu_count()]
    assert f"note: --threads 1000: this machine has {os.cpu_count()} CPUs; using {os.cpu_count()} threads" in \
        capsys.readouterr().err
