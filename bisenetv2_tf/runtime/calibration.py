"""Calibration images: dataset frames preprocessed exactly as apps feed a static-input
model (letterbox + normalization of ``bisenetv2_tf/runtime/metadata.py``), for INT8
calibration, QAT range calibration and artifact verification."""
import numpy as np
from PIL import Image

from bisenetv2_tf.data.datasets import DatasetError
from bisenetv2_tf.preprocessing import CITYSCAPES
from bisenetv2_tf.runtime import metadata


def calibration_images(spec, hw, count, seed=0, norm=CITYSCAPES):
    """Up to ``count`` images of ``spec`` (a random choice fixed by ``seed``) letterboxed
    to (H,W) and normalized: a list of (1,H,W,3) float32 arrays. ``DatasetError`` for an
    empty dataset, a count below 1 or an unreadable image (named)."""
    if len(spec) == 0:
        raise DatasetError("the representative dataset is empty")
    if count < 1:
        raise DatasetError(f"{count} calibration images asked for; need at least 1")
    order = np.random.default_rng(seed).permutation(len(spec))[:count]
    float_meta = metadata.float_input(hw, norm)
    images = []
    for i in order:
        try:
            with Image.open(spec.image_paths[i]) as img:
                image = np.asarray(img.convert("RGB"))
        except Exception as err:  # PIL raises many types for truncated/corrupt files
            raise DatasetError(f"unreadable calibration image {spec.image_paths[i]}: {err}") from None
        images.append(metadata.preprocess_rgb(image, float_meta))
    return images
