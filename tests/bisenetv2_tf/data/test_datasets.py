"""Dataset layouts and the up-front file check: clear errors naming the bad file."""
import json

import numpy as np
import pytest
from PIL import Image

from bisenetv2_tf.data import datasets


def _write_pair(root, split, name, image, label):
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / f"{split}annot").mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(root / split / name)
    Image.fromarray(label).save(root / f"{split}annot" / name)


@pytest.fixture
def camvid_dir(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(3):
        _write_pair(tmp_path, "train", f"{i}.png", rng.integers(0, 255, (32, 64, 3), np.uint8),
                    rng.integers(0, 4, (32, 64), np.uint8))
    (tmp_path / "classes.json").write_text(json.dumps({"classes": ["a", "b", "c", "d"], "ignore_index": 255}))
    return tmp_path


def test_camvid_layout_pairs_and_classes(camvid_dir):
    spec = datasets.camvid(str(camvid_dir), "train")
    assert len(spec) == 3 and spec.num_classes == 4 and spec.ignore_index == 255
    assert all(i.rsplit("/", 1)[1] == l.rsplit("/", 1)[1] for i, l in zip(spec.image_paths, spec.label_paths))
    assert datasets.check_files(spec) is spec


def test_camvid_defaults_without_class_file(tmp_path):
    _write_pair(tmp_path, "val", "a.png", np.zeros((8, 8, 3), np.uint8), np.full((8, 8), 11, np.uint8))
    spec = datasets.camvid(str(tmp_path), "val")
    assert spec.num_classes == 11 and spec.ignore_index == 11 and spec.class_names[0] == "Sky"
    from bisenetv2_tf.data.camvid_classes import CAMVID_IGNORE

    assert spec.ignore_index == CAMVID_IGNORE


def test_missing_and_mismatched_folders(camvid_dir):
    with pytest.raises(datasets.DatasetError, match="folder not found"):
        datasets.camvid(str(camvid_dir), "val")
    (camvid_dir / "trainannot" / "2.png").unlink()
    with pytest.raises(datasets.DatasetError, match="image without label: 2.png"):
        datasets.camvid(str(camvid_dir), "train")


def test_empty_folder(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "trainannot").mkdir()
    with pytest.raises(datasets.DatasetError, match="no images"):
        datasets.camvid(str(tmp_path), "train")


@pytest.mark.parametrize("corrupt,message", [
    (lambda d: (d / "train" / "1.png").write_bytes(b"\x89PNG garbage"), "unreadable image .*1.png"),
    (lambda d: Image.fromarray(np.zeros((16, 64), np.uint8)).save(d / "trainannot" / "1.png"), "size mismatch.*1.png"),
    (lambda d: Image.fromarray(np.full((32, 64), 7, np.uint8)).save(d / "trainannot" / "1.png"),
     r"label .*1.png has class ids \[7\]"),
])
def test_bad_pairs_name_the_file(camvid_dir, corrupt, message):
    corrupt(camvid_dir)
    spec = datasets.camvid(str(camvid_dir), "train")
    with pytest.raises(datasets.DatasetError, match=message):
        datasets.check_files(spec)
    kept = datasets.check_files(spec, skip_bad=True)
    assert len(kept) == 2 and not any(p.endswith("/1.png") for p in kept.image_paths)


def test_cityscapes_maps_label_ids_to_train_ids(tmp_path):
    img_dir = tmp_path / "leftImg8bit" / "train" / "aachen"
    lbl_dir = tmp_path / "gtFine" / "train" / "aachen"
    img_dir.mkdir(parents=True)
    lbl_dir.mkdir(parents=True)
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(img_dir / "a_000000_000019_leftImg8bit.png")
    raw = np.array([[7, 8, 26, 0]] * 4, np.uint8)
    Image.fromarray(raw).save(lbl_dir / "a_000000_000019_gtFine_labelIds.png")
    spec = datasets.cityscapes(str(tmp_path), "train")
    assert spec.num_classes == 19
    np.testing.assert_array_equal(datasets.map_label_array(spec, raw)[0], [0, 1, 13, 255])
    datasets.check_files(spec)


def test_folder_layout_with_color_labels(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(tmp_path / "images" / "x.jpg")
    colors = np.array([[[255, 0, 0], [0, 255, 0], [1, 2, 3]]] * 2, np.uint8)
    Image.fromarray(colors).save(tmp_path / "labels" / "x.png")
    (tmp_path / "classes.json").write_text(json.dumps(
        {"classes": ["red", "green"], "colors": [[255, 0, 0], [0, 255, 0]], "label_format": "color"}))
    spec = datasets.folder(str(tmp_path))
    np.testing.assert_array_equal(datasets.map_label_array(spec, colors)[0], [0, 1, 255])
    datasets.check_files(spec)


# Issue 23: classes.json fields, class counts and ignore ids are checked before training.
@pytest.mark.parametrize("info,expected", [
    ({"classes": ["a", "b"], "ignore_index": "none"}, '"ignore_index" must be an integer label id'),
    ({"classes": ["a", "b"], "ignore_index": None}, '"ignore_index" must be an integer label id'),
    ({"classes": "abc"}, '"classes" must be a list of class names (strings), got "abc"'),
    ({"classes": [1, 2]}, '"classes" must be a list of class names'),
    ({"classes": ["a"], "colors": [[1, 2, 3]]}, '"classes" has 1 class; segmentation needs at least 2'),
    ({"classes": []}, '"classes" has 0 classes'),
    ({"classes": ["a", "b"], "colors": [[1, 2], [3, 4]]}, '"colors" must be a list of [r, g, b] with integers '
                                                          '0..255, got [1, 2]'),
    ({"classes": ["a", "b"], "colors": [[1000, 2, 3], [0, 0, 0]]}, '"colors" must be a list of [r, g, b]'),
    ({"classes": ["a", "b"], "colors": "red"}, '"colors" must be a list of [r, g, b]'),
    ({"classes": ["a", "b"], "colors": [[1, 2, 3]]}, "2 classes but 1 colors"),
    ({"classes": [f"c{i}" for i in range(300)]}, "300 classes, but labels are 8-bit: at most 255 classes"),
    ({"classes": [f"c{i}" for i in range(256)], "ignore_index": 255}, "256 classes, but labels are 8-bit"),
    ({"classes": ["a", "b", "c", "d"], "ignore_index": 2}, '"ignore_index" 2 is a class id (0..3); use an id in '
                                                           '4..255 (usually 255)'),
    ({"classes": ["a", "b"], "ignore_index": 300}, '"ignore_index" 300 is outside the 8-bit label values 0..255'),
    ({"classes": ["a", "b"], "ignore_index": -1}, '"ignore_index" -1 is outside the 8-bit label values'),
    ({"classes": ["a", "b"], "label_format": "rgb"}, '"label_format" must be "id" or "color", got "rgb"'),
    (["a", "b"], 'expected a JSON object with a "classes" list'),
])
def test_class_file_fields_are_checked(tmp_path, info, expected):
    path = tmp_path / "classes.json"
    path.write_text(json.dumps(info))
    with pytest.raises(datasets.DatasetError) as err:
        datasets.read_class_file(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}: ") and expected in message and "\n" not in message


def test_valid_class_files_still_read(tmp_path):
    path = tmp_path / "classes.json"
    path.write_text(json.dumps({"classes": ["a", "b"], "colors": [[0, 0, 0], [255, 255, 255]], "ignore_index": 2,
                                "label_format": "color", "image_size_hw": [1, 2]}))
    assert datasets.read_class_file(str(path)) == (("a", "b"), ((0, 0, 0), (255, 255, 255)), 2, "color")
    path.write_text(json.dumps({"classes": [f"c{i}" for i in range(255)]}))  # ids 0..254 beside the ignore id 255
    names, colors, ignore, label_format = datasets.read_class_file(str(path))
    assert len(names) == len(colors) == 255 and (ignore, label_format) == (255, "id")


def test_file_name_that_is_not_utf8_is_refused_by_the_check(camvid_dir):
    """TensorFlow cannot take such paths: training crashed with "Error converting unicode string"."""
    import os

    for folder in (b"train", b"trainannot"):
        src = os.path.join(os.fsencode(camvid_dir), folder, b"1.png")
        os.rename(src, os.path.join(os.fsencode(camvid_dir), folder, b"caf\xe9.png"))
    spec = datasets.camvid(str(camvid_dir), "train")
    with pytest.raises(datasets.DatasetError) as err:
        datasets.check_files(spec)
    message = str(err.value)
    assert message == f"file name is not valid UTF-8: {camvid_dir}/train/caf\\xe9.png (TensorFlow cannot read " \
                      "such paths); rename it"
    message.encode("utf-8")  # printable
    assert len(datasets.check_files(spec, skip_bad=True)) == 2


def test_exif_orientation_of_a_training_image_is_a_warning(camvid_dir, capsys):
    """Images are read as stored (the label has no EXIF), so a rotated tag gets a warning, not a rotation."""
    exif = Image.Exif()
    exif[0x0112] = 6
    (camvid_dir / "train" / "1.png").unlink()
    Image.fromarray(np.zeros((32, 64, 3), np.uint8)).save(camvid_dir / "train" / "1.jpg", exif=exif.tobytes())
    spec = datasets.camvid(str(camvid_dir), "train")
    assert datasets.check_files(spec) is spec  # still aligned with its 64x32 label: no error
    err = capsys.readouterr().err.splitlines()
    assert err == [f"warning: {camvid_dir}/train/1.jpg has an EXIF orientation tag (6, not 1): dataset images are "
                   "read as stored, ignoring the tag, so they stay aligned with their labels"]
