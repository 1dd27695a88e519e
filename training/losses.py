"""OHEM cross-entropy with an ignore label (CoinCheung/BiSeNet's ``OhemCELoss``)."""
import math

import tensorflow as tf
import tf_keras as keras


def ohem_cross_entropy(labels, logits, ignore_index=255, thresh=0.7, min_kept_ratio=1 / 16, class_weights=None):
    """Mean CE over the hard pixels: those with loss > -log(thresh), or the top
    ``n_min = valid_pixels * min_kept_ratio`` losses when fewer are that hard.

    labels: (N,H,W) or (N,H,W,1) int class ids; logits: (N,H,W,K), or (N,h,w,K) at a
    smaller size (an aux head at its own resolution), when the labels are first resized
    to (h,w) by nearest neighbour. As upstream, the
    per-pixel loss of ignored pixels is 0 and ``n_min`` counts valid pixels only.
    ``class_weights`` (K floats, optional) scales each pixel's CE by the weight of its
    label before the hard pixels are picked, as ``nn.CrossEntropyLoss(weight=w,
    reduction="none")`` inside upstream's OhemCELoss would.
    Returns 0 when no pixel is valid.
    """
    logits = tf.cast(logits, tf.float32)
    labels = tf.convert_to_tensor(labels)
    if labels.shape.rank == 4:
        labels = labels[..., 0]
    if not labels.shape[1:3].is_compatible_with(logits.shape[1:3]) or not labels.shape[1:3].is_fully_defined():
        labels = tf.image.resize(tf.cast(labels, tf.int32)[..., None], tf.shape(logits)[1:3], method="nearest")
    labels = tf.cast(tf.reshape(labels, tf.shape(logits)[:-1]), tf.int32)
    num_classes = tf.shape(logits)[-1]
    valid = tf.not_equal(labels, ignore_index)
    safe = tf.clip_by_value(tf.where(valid, labels, 0), 0, num_classes - 1)
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=safe, logits=logits)
    if class_weights is not None:
        ce = ce * tf.gather(tf.constant(class_weights, tf.float32), safe)
    ce = tf.reshape(tf.where(valid, ce, 0.0), [-1])
    n_min = tf.reduce_sum(tf.cast(valid, tf.int32)) // tf.cast(round(1 / min_kept_ratio), tf.int32)
    hard = ce > -math.log(thresh)
    n_hard = tf.reduce_sum(tf.cast(hard, tf.int32))

    def mean_hard():
        return tf.reduce_sum(tf.where(hard, ce, 0.0)) / tf.cast(tf.maximum(n_hard, 1), tf.float32)

    def mean_top_k():
        return tf.reduce_mean(tf.math.top_k(ce, k=n_min, sorted=False).values)

    return tf.cond(
        tf.logical_and(n_hard < n_min, n_min > 0), mean_top_k, mean_hard
    )


@keras.saving.register_keras_serializable(package="bisenetv2_tf")
class OhemCrossEntropy(keras.losses.Loss):
    """Keras wrapper of ``ohem_cross_entropy`` (returns one scalar per batch)."""

    def __init__(self, ignore_index=255, thresh=0.7, min_kept_ratio=1 / 16, class_weights=None, name="ohem_ce",
                 **kwargs):
        super().__init__(name=name, **kwargs)
        self.ignore_index = ignore_index
        self.thresh = thresh
        self.min_kept_ratio = min_kept_ratio
        self.class_weights = None if class_weights is None else [float(w) for w in class_weights]

    def call(self, y_true, y_pred):
        return ohem_cross_entropy(y_true, y_pred, self.ignore_index, self.thresh, self.min_kept_ratio,
                                  self.class_weights)

    def get_config(self):
        return {
            **super().get_config(),
            "ignore_index": self.ignore_index,
            "thresh": self.thresh,
            "min_kept_ratio": self.min_kept_ratio,
            "class_weights": self.class_weights,
        }
