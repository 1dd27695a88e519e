"""Label statistics and median-frequency class weights."""
import json

import numpy as np
import pytest
from PIL import Image

from bisenetv2_tf.data import datasets
from bisenetv2_tf.data.class_frequency import class_pixel_counts, median_frequency_weights


def _dataset(root, labels):
    for split in ("train", "trainannot"):
        (root / split).mkdir(parents=True)
    for i, label in enumerate(labels):
        Image.fromarray(np.zeros((*label.shape, 3), np.uint8)).save(root / "train" / f"{i}.png")
        Image.fromarray(label.astype(np.uint8)).save(root / "trainannot" / f"{i}.png")
    (root / "classes.json").write_text(json.dumps({"classes": ["a", "b", "c", "d"], "ignore_index": 255}))
    return datasets.camvid(str(root), "train")


def test_counts_skip_ignored_pixels_and_count_the_images_a_class_is_in(tmp_path):
    one = np.array([[0, 0, 1, 255]] * 2)  # 6 valid pixels: a 4, b 2
    two = np.array([[0, 2, 2, 2]] * 2)  # 8 valid pixels: a 2, c 6
    pixels, image_pixels = class_pixel_counts(_dataset(tmp_path, [one, two]))
    assert pixels.tolist() == [6, 2, 6, 0]
    assert image_pixels.tolist() == [14, 6, 8, 0]


def test_median_frequency_weights():
    # frequencies 0.5, 0.1, 0.25 (median 0.25); the absent class gets 0
    w = median_frequency_weights([50, 10, 25, 0], [100, 100, 100, 0])
    np.testing.assert_allclose(w, [0.5, 2.5, 1.0, 0.0])
    w = median_frequency_weights([50, 10, 25, 0], [100, 100, 100, 0], power=0.5)
    np.testing.assert_allclose(w, [0.5 ** 0.5, 2.5 ** 0.5, 1.0, 0.0])
    with pytest.raises(datasets.DatasetError, match="no labelled pixels"):
        median_frequency_weights([0, 0], [0, 0])


def test_out_of_range_ids_name_the_label(tmp_path):
    spec = _dataset(tmp_path, [np.array([[0, 7]])])
    with pytest.raises(datasets.DatasetError, match="trainannot/0.png"):
        class_pixel_counts(spec)
