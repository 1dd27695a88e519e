"""tf.data pipelines: a decoder (file -> uint8 tensors) and parsers (augment/pad/normalize).

Training parser (paper recipe): random scale 0.75-2.0, pad to the crop with the ignore
label, random crop, horizontal flip, color jitter, normalize. Eval parser: normalize
and pad bottom/right to a multiple of 32 (label padded with ignore), so scores are
taken at the label's own size.
"""
import dataclasses
import functools
import os

import tensorflow as tf

from bisenetv2_tf.preprocessing import CITYSCAPES, normalize
from bisenetv2_tf.data import datasets

AUTOTUNE = tf.data.AUTOTUNE


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    crop_size: tuple = (256, 320)  # (H, W), multiples of 32
    scale_range: tuple = (0.75, 2.0)
    flip: bool = True
    brightness: float = 0.4
    contrast: float = 0.4
    saturation: float = 0.4


def decode_pair(image_path, label_path, spec):
    """Paths -> (H,W,3) uint8 image, (H,W) uint8 class ids (LUT/palette applied)."""
    return decode_bytes(tf.io.read_file(image_path), tf.io.read_file(label_path), spec, label_name=label_path)


def decode_bytes(image_bytes, label_bytes, spec, label_name=None):
    """Encoded files -> (H,W,3) uint8 image, (H,W) uint8 class ids (LUT/palette applied).

    The label goes through ``datasets.label_uint8``, the decoder the data check and
    evaluation use (palette PNGs give indices, 16-bit grey its ids, RGB color labels in
    an id dataset an error), so training sees exactly the ids that were checked.
    """
    image = tf.io.decode_image(image_bytes, channels=3, expand_animations=False)
    name = tf.constant("label") if label_name is None else tf.convert_to_tensor(label_name)
    label = tf.numpy_function(functools.partial(_label_ids, spec), [label_bytes, name], tf.uint8,
                              stateful=False, name="decode_label")
    image.set_shape([None, None, 3])
    label.set_shape([None, None])
    return image, label


def _label_ids(spec, data, name):
    data, name = (x.item() if hasattr(x, "item") else x for x in (data, name))  # eager gives 0-d arrays
    return datasets.label_uint8(spec, data, name.decode(errors="replace") if isinstance(name, bytes) else str(name))


def _color_jitter(image, cfg, seeds):
    """float image in [0,1] -> jittered in [0,1] (brightness, contrast, saturation factors)."""
    def factor(amount, seed):
        return tf.random.stateless_uniform([], seed, 1 - amount, 1 + amount)

    if cfg.brightness:
        image = image * factor(cfg.brightness, seeds[0])
    if cfg.contrast:
        mean = tf.reduce_mean(tf.image.rgb_to_grayscale(image))
        image = (image - mean) * factor(cfg.contrast, seeds[1]) + mean
    if cfg.saturation:
        gray = tf.image.rgb_to_grayscale(image)
        image = (image - gray) * factor(cfg.saturation, seeds[2]) + gray
    return tf.clip_by_value(image, 0.0, 1.0)


def train_parser(image, label, cfg, ignore_index, seed, norm=CITYSCAPES):
    """(H,W,3) uint8, (H,W) uint8 -> crop (h,w,3) float32 normalized, (h,w) int32.

    ``seed`` is a (2,) int tensor; every random op is stateless and derived from it, so
    a seeded pipeline gives the same batches whatever the parallelism.
    """
    seeds = tf.random.experimental.stateless_split(seed, 6)
    crop_h, crop_w = cfg.crop_size
    size = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.random.stateless_uniform([], seeds[0], cfg.scale_range[0], cfg.scale_range[1])
    new_size = tf.cast(tf.round(size * scale), tf.int32)
    image = tf.image.resize(image, new_size, method="bilinear")  # float32 0..255
    label = tf.image.resize(label[..., None], new_size, method="nearest")
    label = tf.cast(label, tf.int32) - ignore_index  # pad with 0 == ignore after shift back
    pad_h = tf.maximum(crop_h - new_size[0], 0)
    pad_w = tf.maximum(crop_w - new_size[1], 0)
    image = tf.pad(image, [[0, pad_h], [0, pad_w], [0, 0]])
    label = tf.pad(label, [[0, pad_h], [0, pad_w], [0, 0]])
    stacked = tf.concat([image, tf.cast(label, tf.float32)], axis=-1)
    stacked = tf.image.stateless_random_crop(stacked, [crop_h, crop_w, 4], seeds[1])
    if cfg.flip:
        stacked = tf.image.stateless_random_flip_left_right(stacked, seeds[2])
    image = _color_jitter(stacked[..., :3] / 255.0, cfg, seeds[3:])
    label = tf.cast(stacked[..., 3], tf.int32) + ignore_index
    image = (image - tf.constant(norm.mean)) / tf.constant(norm.std)
    return image, label


def eval_parser(image, label, ignore_index, norm=CITYSCAPES, multiple=32):
    """(H,W,3) uint8, (H,W) uint8 -> padded (H',W',3) float32, (H',W') int32 (ignore-padded)."""
    image = normalize(image, norm)
    shape = tf.shape(image)
    pad_h = (multiple - shape[0] % multiple) % multiple
    pad_w = (multiple - shape[1] % multiple) % multiple
    image = tf.pad(image, [[0, pad_h], [0, pad_w], [0, 0]])
    label = tf.pad(tf.cast(label, tf.int32), [[0, pad_h], [0, pad_w]], constant_values=ignore_index)
    return image, label


def _files(spec):
    """(image path, label path) in file order."""
    return tf.data.Dataset.from_tensor_slices((list(spec.image_paths), list(spec.label_paths)))


def train_dataset(spec, batch_size, cfg=AugmentConfig(), seed=None, cache=False, norm=CITYSCAPES,
                  repeat=True, start_step=0):
    """Shuffled, augmented batches ``(images, labels)``: infinite, or one pass if not ``repeat``.

    Element ``i`` of the stream (``i = step * batch_size + position``) is a pure
    function of ``(seed, i)``: pass ``i // len(spec)`` visits the files in the order
    ``index_shuffle(i % len(spec), seed=(seed, pass))`` and its augmentation seed is
    ``(seed, i)``. So ``start_step=S`` yields exactly the batches an uninterrupted
    stream yields from step ``S`` on: a resumed run sees the data a run that never
    stopped would have seen. ``seed=None`` draws one. ``cache`` keeps the encoded
    files in memory instead of re-reading them.
    """
    n = len(spec)
    if seed is None:
        seed = draw_seed()
    if cache:
        images = tf.constant([_read_bytes(p) for p in spec.image_paths])
        labels = tf.constant([_read_bytes(p) for p in spec.label_paths])
    else:
        images, labels = tf.constant(list(spec.image_paths)), tf.constant(list(spec.label_paths))
    first = int(start_step) * batch_size
    ds = tf.data.Dataset.range(first, 2**62 if repeat else max(first, n))
    seed = tf.constant(seed, tf.int64)

    def element(i):
        pos = tf.random.experimental.index_shuffle(i % n, tf.stack([seed, i // n]), n - 1)
        image, label = tf.gather(images, pos), tf.gather(labels, pos)
        if not cache:
            image, label = tf.io.read_file(image), tf.io.read_file(label)
        return decode_bytes(image, label, spec) + (tf.stack([seed, i]),)

    ds = ds.map(element, num_parallel_calls=AUTOTUNE)
    ds = ds.map(lambda image, label, s: train_parser(image, label, cfg, spec.ignore_index, s, norm),
                num_parallel_calls=AUTOTUNE)
    ds = ds.batch(batch_size, drop_remainder=True)
    options = tf.data.Options()
    options.deterministic = True
    return ds.with_options(options).prefetch(AUTOTUNE)


def draw_seed():
    """A fresh non-negative 31-bit seed for a run started without --seed."""
    return int.from_bytes(os.urandom(4), "little") >> 1


def _read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def eval_dataset(spec, batch_size=1, norm=CITYSCAPES, cache=False):
    """Full-resolution, 32-padded ``(images, labels)`` in file order.

    ``batch_size > 1`` needs images of one size (e.g. CamVid).
    """
    ds = _files(spec)
    ds = ds.map(lambda i, l: decode_pair(i, l, spec), num_parallel_calls=AUTOTUNE)
    if cache:
        ds = ds.cache()
    ds = ds.map(lambda i, l: eval_parser(i, l, spec.ignore_index, norm), num_parallel_calls=AUTOTUNE)
    return ds.batch(batch_size).prefetch(AUTOTUNE)
