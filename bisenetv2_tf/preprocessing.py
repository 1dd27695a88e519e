"""Input normalization shared by the data pipeline, converters and demos.

CoinCheung/BiSeNet normalizes RGB as ``(x/255 - mean) / std`` with Cityscapes
statistics for every dataset; the reference checkpoints expect exactly this.
"""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Normalization:
    mean: tuple = (0.3257, 0.3690, 0.3223)
    std: tuple = (0.2112, 0.2148, 0.2115)

    def to_json(self):
        """What apps need: ``x = (rgb_uint8 / 255 - mean) / std``."""
        return {"formula": "(rgb_uint8 / 255 - mean) / std", "mean": list(self.mean), "std": list(self.std)}


CITYSCAPES = Normalization()


def normalize(image_uint8, norm=CITYSCAPES):
    """(…,H,W,3) uint8 RGB tensor/array -> float32 normalized (TensorFlow op)."""
    import tensorflow as tf

    x = tf.cast(image_uint8, tf.float32) / 255.0
    return (x - tf.constant(norm.mean, tf.float32)) / tf.constant(norm.std, tf.float32)


def normalize_numpy(image_uint8, norm=CITYSCAPES):
    """Same as ``normalize`` in numpy (float32, same operation order)."""
    import numpy as np

    x = np.asarray(image_uint8, np.float32) / np.float32(255.0)
    return (x - np.asarray(norm.mean, np.float32)) / np.asarray(norm.std, np.float32)
