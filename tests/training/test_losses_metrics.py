"""OHEM cross-entropy against a numpy port of CoinCheung's OhemCELoss; mIoU; LR schedule."""
import math

import numpy as np
import pytest
import tensorflow as tf

from training.losses import OhemCrossEntropy, ohem_cross_entropy
from bisenetv2_tf.evaluation.metrics import StreamingMeanIoU, confusion_matrix, scores
from training.schedule import WarmupPoly


def _reference_ohem(labels, logits, ignore, thresh=0.7, weights=None):
    """numpy transcription of upstream OhemCELoss.forward (its CE given ``weight=weights``)."""
    logits = logits - logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    valid = labels != ignore
    ce = -np.take_along_axis(logp, np.where(valid, labels, 0)[..., None], -1)[..., 0]
    if weights is not None:
        ce = ce * np.asarray(weights)[np.where(valid, labels, 0)]
    loss = np.where(valid, ce, 0).ravel()
    n_min = valid.sum() // 16
    hard = loss[loss > -math.log(thresh)]
    if hard.size < n_min:
        hard = np.sort(loss)[::-1][:n_min]
    return hard.mean()


@pytest.mark.parametrize("scale", [0.1, 3.0])
def test_ohem_matches_reference(scale):
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((2, 16, 16, 5)) * scale).astype(np.float32)
    labels = rng.integers(0, 5, (2, 16, 16))
    labels[0, :4] = 255
    got = ohem_cross_entropy(labels, logits, 255).numpy()
    np.testing.assert_allclose(got, _reference_ohem(labels, logits, 255), rtol=1e-5)


@pytest.mark.parametrize("scale", [0.1, 3.0])
def test_class_weighted_ohem_matches_weighted_reference(scale):
    rng = np.random.default_rng(1)
    logits = (rng.standard_normal((2, 16, 16, 5)) * scale).astype(np.float32)
    labels = rng.integers(0, 5, (2, 16, 16))
    labels[1, 3:] = 255
    weights = [0.2, 1.0, 4.8, 0.0, 2.5]
    got = ohem_cross_entropy(labels, logits, 255, class_weights=weights).numpy()
    np.testing.assert_allclose(got, _reference_ohem(labels, logits, 255, weights=weights), rtol=1e-5)
    ones = ohem_cross_entropy(labels, logits, 255, class_weights=[1.0] * 5).numpy()
    np.testing.assert_allclose(ones, ohem_cross_entropy(labels, logits, 255).numpy(), rtol=1e-6)


def test_ohem_all_ignored_is_zero_not_nan():
    labels = np.full((1, 4, 4), 255)
    assert ohem_cross_entropy(labels, np.zeros((1, 4, 4, 3), np.float32), 255).numpy() == 0.0


def test_ohem_loss_object_round_trips_config():
    loss = OhemCrossEntropy(ignore_index=11, thresh=0.6, class_weights=np.array([0.5, 2.0, 1.0]))
    clone = OhemCrossEntropy.from_config(loss.get_config())
    assert (clone.ignore_index, clone.thresh, clone.class_weights) == (11, 0.6, [0.5, 2.0, 1.0])
    labels = np.zeros((1, 4, 4, 1), np.int32)
    assert np.isfinite(clone(labels, np.zeros((1, 4, 4, 3), np.float32)).numpy())


def test_confusion_and_scores():
    labels = np.array([0, 0, 1, 1, 2, 9])
    preds = np.array([0, 1, 1, 1, 0, 2])
    m = confusion_matrix(labels, preds, 3, 9).numpy()
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 2, 0], [1, 0, 0]])
    s = scores(m)
    np.testing.assert_allclose(s["per_class_iou"], [1 / 3, 2 / 3, 0.0])
    assert s["miou"] == pytest.approx(1 / 3) and s["pixel_accuracy"] == pytest.approx(3 / 5)


def test_evaluation_inputs_give_the_numpy_confusion_and_iou():
    """evaluate feeds (H,W) numpy labels (uint8/uint16/int32, ignore id, ids >= K dropped)
    and int32 class maps; counts and per-class IoU equal a plain numpy computation."""
    rng = np.random.default_rng(0)
    k = 5
    for dtype, ignore in ((np.uint8, 255), (np.uint16, 300), (np.int32, 255)):
        labels = rng.integers(0, k + 1, (37, 53)).astype(dtype)
        labels[rng.random(labels.shape) < 0.1] = ignore
        preds = rng.integers(0, k, (37, 53)).astype(np.int32)
        valid = (labels != ignore) & (labels < k)
        ref = np.bincount(labels[valid].astype(np.int64) * k + preds[valid], minlength=k * k).reshape(k, k)
        m = confusion_matrix(labels, preds, k, ignore).numpy()
        assert m.dtype == np.int64
        np.testing.assert_array_equal(m, ref)
        tp = np.diag(ref).astype(np.float64)
        union = ref.sum(0) + ref.sum(1) - tp
        np.testing.assert_array_equal(scores(m)["per_class_iou"], tp / union)
        assert scores(m)["miou"] == float(np.mean(tp / union))
    absent = scores(np.array([[3, 0], [0, 0]]))
    assert absent["per_class_iou"][0] == 1.0 and np.isnan(absent["per_class_iou"][1]) and absent["miou"] == 1.0


def test_streaming_miou_accumulates_and_resets():
    metric = StreamingMeanIoU(2, ignore_index=255)
    logits = np.zeros((1, 2, 2, 2), np.float32)
    logits[..., 1] = [[1, 1], [-1, -1]]  # predicts [[1,1],[0,0]]
    metric.update_state(np.array([[[1, 0], [0, 255]]]), logits)
    assert metric.result().numpy() == pytest.approx((1 / 2 + 1 / 2) / 2)
    metric.reset_state()
    assert metric.result().numpy() == 0.0


def test_warmup_poly_schedule():
    sched = WarmupPoly(0.1, total_steps=100, power=0.9, warmup_steps=10, warmup_ratio=0.1)
    lr = [float(sched(tf.constant(s))) for s in (0, 5, 10, 55, 100, 150)]
    assert lr[0] == pytest.approx(0.01) and lr[1] == pytest.approx(0.055)
    assert lr[2] == pytest.approx(0.1) and lr[3] == pytest.approx(0.1 * 0.5 ** 0.9, rel=1e-5)
    assert lr[4] == 0.0 and lr[5] == 0.0
    assert WarmupPoly.from_config(sched.get_config()).total_steps == 100


def test_ohem_on_smaller_logits_scores_nearest_resized_labels():
    """An aux head at its own resolution (--aux-resolution own): labels 4x larger than
    the logits are resized by nearest neighbour, i.e. the pixel nearest each logit's centre."""
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((2, 8, 10, 5)).astype(np.float32)
    labels = rng.integers(0, 5, (2, 32, 40))
    labels[1, :8] = 255
    small = labels[:, 2::4, 2::4]  # TF2 nearest (half-pixel centres): source index 4*i + 2
    got = ohem_cross_entropy(labels, logits, 255).numpy()
    np.testing.assert_allclose(got, _reference_ohem(small, logits, 255), rtol=1e-5)
