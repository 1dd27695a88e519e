"""tf.data pipelines: shapes, ignore padding, normalization, determinism."""
import numpy as np
import pytest
import tensorflow as tf

from bisenetv2_tf.preprocessing import normalize_numpy
from bisenetv2_tf.data import datasets, pipeline


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


def test_eval_dataset_is_in_file_order(tmp_path):
    from PIL import Image

    (tmp_path / "val").mkdir()
    (tmp_path / "valannot").mkdir()
    for k, name in enumerate(["a.png", "b.png", "c.png", "d.png", "e.png"]):
        Image.fromarray(np.full((32, 32, 3), 40 * k, np.uint8)).save(tmp_path / "val" / name)
        Image.fromarray(np.full((32, 32), k, np.uint8)).save(tmp_path / "valannot" / name)
    spec = datasets.camvid(str(tmp_path), "val", ignore_index=255)
    for _ in range(2):  # the same order on every pass
        firsts = [int(y.numpy()[0, 0, 0]) for _, y in pipeline.eval_dataset(spec)]
        assert firsts == [0, 1, 2, 3, 4]


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



# One label decoder for the data check, the tf.data pipeline and evaluation.

def _label_spec(num_classes=4, **kw):
    return datasets.DatasetSpec((), (), tuple("abcdefgh"[:num_classes]), ((0, 0, 0),) * num_classes, 255, **kw)


def _pipeline_label(path):
    from PIL import Image

    image = tf.io.encode_png(tf.zeros([*Image.open(path).size[::-1], 3], tf.uint8))
    return pipeline.decode_bytes(image, tf.io.read_file(str(path)), _label_spec())[1]


def _pair_dir(tmp_path, label_image):
    from PIL import Image

    (tmp_path / "train").mkdir()
    (tmp_path / "trainannot").mkdir()
    w, h = label_image.size
    Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(tmp_path / "train" / "a.png")
    label_image.save(tmp_path / "trainannot" / "a.png")
    (tmp_path / "classes.json").write_text('{"classes": ["a", "b", "c", "d"], "ignore_index": 255}')
    return datasets.camvid(str(tmp_path), "train")


def test_palette_label_gives_indices_in_check_and_pipeline(tmp_path):
    from PIL import Image

    ids = np.array([[0, 1, 2, 3], [3, 2, 1, 255]], np.uint8)
    img = Image.fromarray(ids, mode="P")
    palette = [0, 0, 0, 200, 10, 10, 10, 200, 10, 90, 90, 250] + [255, 255, 255] * 252
    img.putpalette(palette)
    spec = _pair_dir(tmp_path, img)
    assert Image.open(spec.label_paths[0]).mode == "P"
    assert datasets.check_files(spec) is spec
    _, label = pipeline.decode_pair(spec.image_paths[0], spec.label_paths[0], spec)
    np.testing.assert_array_equal(label.numpy(), ids)  # was grey levels of the palette colors
    x, y = next(iter(pipeline.eval_dataset(spec)))
    np.testing.assert_array_equal(y.numpy()[0, :2, :4], ids)
    np.testing.assert_array_equal(datasets.read_label(spec, spec.label_paths[0]), ids)


def test_16bit_grey_label_neither_wraps_nor_scales(tmp_path):
    from PIL import Image

    ids = np.array([[0, 1], [2, 3]], np.uint16)
    path = tmp_path / "l16.png"
    Image.fromarray(ids).save(path)
    assert Image.open(path).mode.startswith("I")
    np.testing.assert_array_equal(_pipeline_label(path).numpy(), ids)  # was scaled to 0
    np.testing.assert_array_equal(datasets.read_label(_label_spec(), str(path)), ids)

    spec = _pair_dir(tmp_path, Image.fromarray(np.array([[0, 1], [257, 3]], np.uint16)))
    with pytest.raises(datasets.DatasetError, match=r"a.png has class ids \[257\] outside 0..3"):
        datasets.check_files(spec)  # was 257 -> 1 (wrapped), accepted
    with pytest.raises(datasets.DatasetError, match=r"class ids \[257\] that do not fit 0..255"):
        pipeline.decode_pair(spec.image_paths[0], spec.label_paths[0], spec)  # eager
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"a.png has class ids \[257\] that do not fit"):
        next(iter(pipeline.eval_dataset(spec)))  # inside tf.data


def test_rgb_color_labels_in_an_id_dataset_are_one_clear_error(tmp_path):
    from PIL import Image

    colors = np.array([[[1, 200, 30], [0, 50, 100]], [[1, 200, 30], [2, 0, 0]]], np.uint8)
    spec = _pair_dir(tmp_path, Image.fromarray(colors))
    hint = r"a.png is an RGB color image.*\"label_format\": \"color\""
    with pytest.raises(datasets.DatasetError, match=hint):
        datasets.check_files(spec)  # was: red channel read as ids, accepted
    with pytest.raises(datasets.DatasetError, match=hint):
        pipeline.decode_pair(spec.image_paths[0], spec.label_paths[0], spec)  # eager
    with pytest.raises(tf.errors.InvalidArgumentError, match=hint):
        next(iter(pipeline.eval_dataset(spec)))  # inside tf.data
    # grey stored as RGB (R == G == B) is still class ids
    grey = np.repeat(np.array([[0, 1], [2, 3]], np.uint8)[..., None], 3, -1)
    Image.fromarray(grey).save(spec.label_paths[0])
    assert datasets.check_files(spec) is spec
    np.testing.assert_array_equal(pipeline.decode_pair(spec.image_paths[0], spec.label_paths[0], spec)[1],
                                  grey[..., 0])


def test_8bit_grey_labels_decode_as_tensorflow_does(tmp_path):
    """CamVid's 'L' PNGs: every byte value decodes to itself, exactly as tf.io.decode_image did."""
    from PIL import Image

    raw = np.arange(256, dtype=np.uint8).reshape(16, 16)
    path = tmp_path / "l8.png"
    Image.fromarray(raw).save(path)
    tf_decoded = tf.io.decode_image(tf.io.read_file(str(path)), channels=1)[..., 0].numpy()
    label = _pipeline_label(path)
    assert label.dtype == tf.uint8
    np.testing.assert_array_equal(label.numpy(), tf_decoded)
    np.testing.assert_array_equal(datasets.read_label(_label_spec(), str(path)), raw)


def test_color_labels_decode_the_same_in_check_and_pipeline(tmp_path):
    """A declared color dataset (classes.json "label_format": "color") maps colors to ids in both."""
    import json

    from PIL import Image

    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.zeros((2, 3, 3), np.uint8)).save(tmp_path / "images" / "x.png")
    colors = np.array([[[255, 0, 0], [0, 255, 0], [1, 2, 3]], [[0, 255, 0], [255, 0, 0], [255, 0, 0]]], np.uint8)
    Image.fromarray(colors).save(tmp_path / "labels" / "x.png")
    (tmp_path / "classes.json").write_text(json.dumps(
        {"classes": ["red", "green"], "colors": [[255, 0, 0], [0, 255, 0]], "label_format": "color"}))
    spec = datasets.folder(str(tmp_path))
    assert datasets.check_files(spec) is spec
    expected = [[0, 1, 255], [1, 0, 0]]
    np.testing.assert_array_equal(datasets.read_label(spec, spec.label_paths[0]), expected)
    np.testing.assert_array_equal(pipeline.decode_pair(spec.image_paths[0], spec.label_paths[0], spec)[1], expected)
