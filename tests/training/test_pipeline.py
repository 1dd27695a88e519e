"""tf.data pipelines: shapes, ignore padding, normalization, determinism."""
import numpy as np
import tensorflow as tf

from bisenetv2_tf.preprocessing import normalize_numpy
from training import datasets, pipeline


def test_train_batches_have_crop_shape_and_valid_labels(synthetic_dir):
    spec = datasets.camvid(synthetic_dir, "train")
    cfg = pipeline.AugmentConfig(crop_size=(96, 128), scale_range=(0.5, 0.75))
    images, labels = next(iter(pipeline.train_dataset(spec, 4, cfg, seed=1)))
    assert images.shape == (4, 96, 128, 3) and images.dtype == tf.float32
    assert labels.shape == (4, 96, 128) and labels.dtype == tf.int32
    values = set(np.unique(labels.numpy()))
    assert values <= set(range(spec.num_classes)) | {255}
    # scale <= 0.75 of a 64x96 image never fills a 96x128 crop: padding is ignore
    assert (labels.numpy()[:, -1, :] == 255).all()


def test_seeded_pipeline_is_deterministic(synthetic_dir):
    spec = datasets.camvid(synthetic_dir, "train")
    cfg = pipeline.AugmentConfig(crop_size=(64, 64))

    def first():
        tf.random.set_seed(3)
        return next(iter(pipeline.train_dataset(spec, 2, cfg, seed=3)))[0].numpy()

    np.testing.assert_array_equal(first(), first())


def test_eval_pads_to_multiple_of_32_with_ignore(tmp_path):
    from PIL import Image

    (tmp_path / "val").mkdir()
    (tmp_path / "valannot").mkdir()
    image = np.random.default_rng(0).integers(0, 255, (40, 70, 3), np.uint8)
    Image.fromarray(image).save(tmp_path / "val" / "a.png")
    Image.fromarray(np.ones((40, 70), np.uint8)).save(tmp_path / "valannot" / "a.png")
    spec = datasets.camvid(str(tmp_path), "val", ignore_index=255)
    x, y = next(iter(pipeline.eval_dataset(spec)))
    assert x.shape == (1, 64, 96, 3) and y.shape == (1, 64, 96)
    np.testing.assert_allclose(x.numpy()[0, :40, :70], normalize_numpy(image), atol=1e-6)
    assert (x.numpy()[0, 40:] == 0).all()
    assert (y.numpy()[0, :40, :70] == 1).all() and (y.numpy()[0, 40:] == 255).all()


def test_decode_applies_label_lut(tmp_path):
    from PIL import Image

    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(tmp_path / "i.png")
    Image.fromarray(np.array([[7, 26], [0, 8]], np.uint8)).save(tmp_path / "l.png")
    lut = [255] * 256
    lut[7], lut[8], lut[26] = 0, 1, 13
    spec = datasets.DatasetSpec((), (), ("a",) * 19, ((0, 0, 0),) * 19, 255, label_lut=tuple(lut))
    _, label = pipeline.decode_pair(str(tmp_path / "i.png"), str(tmp_path / "l.png"), spec)
    np.testing.assert_array_equal(label.numpy(), [[0, 13], [255, 1]])


def test_train_stream_resumes_at_a_step_with_the_same_batches(synthetic_dir):
    spec = datasets.camvid(synthetic_dir, "train")
    cfg = pipeline.AugmentConfig(crop_size=(64, 64))
    # 3 steps of 3 images cross a pass boundary of the 8 training images (reshuffled per pass)
    full = [b for b, _ in zip(pipeline.train_dataset(spec, 3, cfg, seed=5), range(5))]
    resumed = [b for b, _ in zip(pipeline.train_dataset(spec, 3, cfg, seed=5, start_step=2, cache=True), range(3))]
    for (xa, ya), (xb, yb) in zip(full[2:], resumed):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    other = next(iter(pipeline.train_dataset(spec, 3, cfg, seed=6)))[0].numpy()
    assert not np.array_equal(other, full[0][0].numpy())

