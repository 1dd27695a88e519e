"""``Segmenter``: the Python API over every artifact kind (.keras, .h5, .tflite, .onnx).

  from bisenetv2_tf import Segmenter
  seg = Segmenter("models/camvid/bisenetv2_int8_qat.tflite")
  ids = seg.predict(rgb)                    # (H,W) uint8 class ids at the image's own size
  seg.class_names, seg.colors               # from the artifact (see runtime/model_info.py)
  picture = seg.overlay(rgb, ids, alpha=0.5)

Input: an RGB image as an (H,W,3) array, a batch as an (N,H,W,3) array or a list of
arrays (one class map each), or an image file path (its EXIF orientation applied, as
a photo viewer shows it). Pixel values:
  uint8               as they are;
  other integer types values 0..255, else ValueError;
  float               values in [0, 1] (the convention of to-float image libraries), scaled
                      by 255 and rounded; a float image outside [0, 1] is a ValueError,
                      never silently clipped (pass uint8 for 0..255 data).
TFLite and ONNX models letterbox the image into their fixed input as the apps do;
Keras models take the image at its own size (padded to a multiple of 32). Images whose
longer side exceeds ``max_side`` are predicted at that size and scaled back.
"""
import os

import numpy as np

from bisenetv2_tf.runtime import model_info
from bisenetv2_tf.runtime.predictors import DEFAULT_MAX_SIDE, bounded_class_map, load_predictor, read_image


def as_rgb_uint8(image, name="image"):
    """An (H,W,3) image by the rule in the module docstring -> uint8; ValueError otherwise."""
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise ValueError(f"{name}: expected an (H,W,3) RGB image, got shape {array.shape}")
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_ or array.size == 0:
        raise ValueError(f"{name}: expected an RGB image of numbers, got {array.dtype} of shape {array.shape}")
    if np.issubdtype(array.dtype, np.integer):
        lo, hi = int(array.min()), int(array.max())
        if lo < 0 or hi > 255:
            raise ValueError(f"{name}: integer pixels must be 0..255, got {lo}..{hi}")
        return array.astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ValueError(f"{name}: float pixels must be finite")
        lo, hi = float(array.min()), float(array.max())
        if lo < 0 or hi > 1:
            raise ValueError(f"{name}: float pixels must be in [0, 1] (got {lo:g}..{hi:g}); pass uint8 for "
                             f"0..255 data")
        return np.round(array * 255).astype(np.uint8)
    raise ValueError(f"{name}: unsupported pixel type {array.dtype}")


def colorize(ids, colors):
    """(H,W) class ids -> (H,W,3) uint8 colours; ids without a colour are black."""
    palette = np.zeros((256, 3), np.uint8)
    palette[: len(colors)] = np.asarray(colors, np.uint8).reshape(-1, 3)
    return palette[np.clip(ids, 0, 255)]


def blend(image, mask_rgb, alpha=0.5):
    """``(1 - alpha) * image + alpha * mask``, rounded to uint8."""
    return (image.astype(np.float32) * (1 - alpha) + mask_rgb.astype(np.float32) * alpha).round().astype(np.uint8)


def class_info(path, predictor):
    """The ``ModelInfo`` of the model file at ``path``, loaded as ``predictor``:
    ``model_info.find`` with the model's class count and, for a TFLite model, its
    metadata. ValueError when the file's class information does not fit the model."""
    return model_info.find(path, getattr(predictor, "num_classes", None),
                           getattr(predictor, "meta", None) if path.endswith(".tflite") else None)


class Segmenter:
    """A segmentation model file, ready to predict (see the module docstring)."""

    def __init__(self, model, threads=2, max_side=DEFAULT_MAX_SIDE):
        self.path = os.fspath(model)
        self.max_side = max_side
        self._predictor = load_predictor(self.path, threads=threads)
        info = class_info(self.path, self._predictor)
        self.info = info

    @property
    def class_names(self):
        return list(self.info.class_names)

    @property
    def colors(self):
        return [tuple(c) for c in self.info.colors]

    @property
    def num_classes(self):
        return self.info.num_classes

    def predict(self, images):
        """Class ids (uint8) at each image's size: (H,W) for one image, (N,H,W) for an
        (N,H,W,3) batch, a list for a list (images of different sizes)."""
        if isinstance(images, (str, os.PathLike)):
            return self._one(read_image(images))
        if isinstance(images, (list, tuple)):
            return [self.predict(image) for image in images]
        array = np.asarray(images)
        if array.ndim == 4:
            return np.stack([self._one(as_rgb_uint8(x, f"image {i} of the batch")) for i, x in enumerate(array)])
        return self._one(as_rgb_uint8(array))

    def _one(self, rgb):
        ids, _ = bounded_class_map(self._predictor, rgb, self.max_side)
        return ids.astype(np.uint8)

    def colorize(self, ids):
        """(H,W) class ids -> (H,W,3) uint8 colours; ids without a colour are black."""
        return colorize(ids, self.colors)

    def overlay(self, rgb, ids, alpha=0.5):
        """The class colours blended over the image: ``(1 - alpha) * rgb + alpha * colour``."""
        if not 0 <= alpha <= 1:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        rgb = as_rgb_uint8(read_image(rgb) if isinstance(rgb, (str, os.PathLike)) else rgb)
        if rgb.shape[:2] != np.shape(ids)[-2:]:
            raise ValueError(f"class map {np.shape(ids)} does not match the image {rgb.shape[:2]}")
        return blend(rgb, self.colorize(ids), alpha)
