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
