"""Streaming confusion matrix -> per-class IoU, mIoU, pixel accuracy.

One confusion matrix (``confusion_matrix``, TF; numpy arrays in, ``.numpy()`` out for
evaluation) and one per-class IoU (``per_class_iou``) serve both the Keras metric
and ``training.evaluate``."""
import numpy as np
import tensorflow as tf
import tf_keras as keras


def confusion_matrix(labels, predictions, num_classes, ignore_index):
    """(…) int labels and predictions -> (K,K) int64 matrix, rows = truth; ignore masked."""
    labels = tf.reshape(tf.cast(labels, tf.int64), [-1])
    predictions = tf.reshape(tf.cast(predictions, tf.int64), [-1])
    valid = tf.logical_and(tf.not_equal(labels, ignore_index), labels < num_classes)
    idx = tf.boolean_mask(labels, valid) * num_classes + tf.boolean_mask(predictions, valid)
    counts = tf.math.bincount(idx, minlength=num_classes * num_classes, maxlength=num_classes * num_classes, dtype=tf.int64)
    return tf.reshape(counts, [num_classes, num_classes])


def per_class_iou(matrix):
    """(K,K) confusion matrix -> (IoU per class, present) as float64 / bool tensors;
    a class is present when it occurs in truth or prediction, its IoU is 0 when not."""
    matrix = tf.cast(matrix, tf.float64)
    tp = tf.linalg.diag_part(matrix)
    union = tf.reduce_sum(matrix, 0) + tf.reduce_sum(matrix, 1) - tp
    present = union > 0
    return tf.where(present, tp / tf.where(present, union, 1.0), 0.0), present


def scores(matrix):
    """(K,K) confusion matrix -> dict with per_class_iou (NaN for absent classes),
    miou (mean over classes present in truth or prediction), pixel_accuracy."""
    matrix = np.asarray(matrix, np.float64)
    iou, present = (t.numpy() for t in per_class_iou(matrix))
    iou = np.where(present, iou, np.nan)
    tp = np.diag(matrix)
    total = matrix.sum()
    return {
        "per_class_iou": iou,
        "miou": float(np.nanmean(iou)) if np.any(present) else float("nan"),
        "pixel_accuracy": float(tp.sum() / total) if total else float("nan"),
    }


@keras.saving.register_keras_serializable(package="bisenetv2_tf")
class StreamingMeanIoU(keras.metrics.Metric):
    """mIoU over everything seen since the last reset, from logits and int labels."""

    def __init__(self, num_classes, ignore_index=255, name="miou", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.matrix = self.add_weight(
            name="confusion", shape=(num_classes, num_classes), dtype=tf.int64, initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        predictions = tf.argmax(y_pred, axis=-1)
        labels = tf.reshape(y_true, tf.shape(predictions))
        self.matrix.assign_add(confusion_matrix(labels, predictions, self.num_classes, self.ignore_index))

    def result(self):
        iou, present = per_class_iou(self.matrix)
        return tf.cast(tf.reduce_sum(iou) / tf.maximum(tf.reduce_sum(tf.cast(present, tf.float64)), 1.0), tf.float32)

    def reset_state(self):
        self.matrix.assign(tf.zeros_like(self.matrix))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "ignore_index": self.ignore_index}
