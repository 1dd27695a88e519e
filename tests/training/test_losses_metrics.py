"""OHEM cross-entropy against a numpy port of CoinCheung's OhemCELoss; mIoU; LR schedule."""
import math

import numpy as np
import pytest
import tensorflow as tf

from training.losses import OhemCrossEntropy, ohem_cross_entropy
from training.metrics import StreamingMeanIoU, confusion_matrix, scores
from training.schedule import WarmupPoly


def _reference_ohem(labels, logits, ignore, thresh=0.7):
    """numpy transcription of upstream OhemCELoss.forward."""
    logits = logits - logits.max(-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    valid = labels != ignore
    loss = np.where(valid, -np.take_along_axis(logp, np.where(valid, labels, 0)[..., None], -1)[..., 0], 0).ravel()
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


def test_ohem_all_ignored_is_zero_not_nan():
    labels = np.full((1, 4, 4), 255)
    assert ohem_cross_entropy(labels, np.zeros((1, 4, 4, 3), np.float32), 255).numpy() == 0.0


def test_ohem_loss_object_round_trips_config():
    loss = OhemCrossEntropy(ignore_index=11, thresh=0.6)
    clone = OhemCrossEntropy.from_config(loss.get_config())
    assert (clone.ignore_index, clone.thresh) == (11, 0.6)
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
