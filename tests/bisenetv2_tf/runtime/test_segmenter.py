"""The Python API: Segmenter over every artifact kind, input rules, class info, overlay."""
import shutil

import numpy as np
import pytest
from PIL import Image

from conftest import CAMVID_DIR, REPO, require
from bisenetv2_tf import Segmenter
from bisenetv2_tf.runtime import model_info

MODELS = REPO / "models" / "camvid"
CAMVID_NAMES = ["Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car",
                "Pedestrian", "Bicyclist"]


@pytest.fixture(scope="module")
def street():
    """A small street-like image: sky over building over road (uint8 RGB, 72x96)."""
    image = np.zeros((72, 96, 3), np.uint8)
    image[:24] = (130, 160, 200)
    image[24:48] = (120, 70, 60)
    image[48:] = (90, 85, 95)
    return image


@pytest.fixture(scope="module")
def int8():
    return Segmenter(MODELS / "bisenetv2_int8_qat.tflite")


def test_predict_gives_uint8_ids_at_the_image_size_for_one_image_and_a_batch(int8, street):
    ids = int8.predict(street)
    assert ids.shape == (72, 96) and ids.dtype == np.uint8 and ids.max() < 11
    batch = int8.predict(np.stack([street, street[:, ::-1]]))
    assert batch.shape == (2, 72, 96) and batch.dtype == np.uint8
    np.testing.assert_array_equal(batch[0], ids)
    listed = int8.predict([street, street[:40]])
    assert [x.shape for x in listed] == [(72, 96), (40, 96)]


def test_class_names_and_colors_come_from_the_artifact(int8):
    assert int8.class_names == CAMVID_NAMES and int8.num_classes == 11
    assert int8.colors[0] == (128, 128, 128) and len(int8.colors) == 11


def test_float_input_in_0_1_equals_uint8_and_anything_else_is_a_clear_error(int8, street):
    np.testing.assert_array_equal(int8.predict(street / 255.0), int8.predict(street))
    np.testing.assert_array_equal(int8.predict(street.astype(np.int64)), int8.predict(street))
    for bad, message in ((street.astype(np.float32), r"float pixels must be in \[0, 1\]"),
                         (street.astype(np.int32) * 2, "integer pixels must be 0..255"),
                         (street[..., 0], r"expected an \(H,W,3\) RGB image"),
                         (np.full((4, 4, 3), np.nan), "finite")):
        with pytest.raises(ValueError, match=message):
            int8.predict(bad)


def test_file_input_follows_exif_orientation(int8, street, tmp_path):
    upright = tmp_path / "upright.png"
    Image.fromarray(street).save(upright)
    rotated = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: a viewer turns it 90 degrees clockwise
    Image.fromarray(np.rot90(street, 1)).save(rotated, exif=exif, quality=100)
    assert int8.predict(str(rotated)).shape == street.shape[:2]
    assert int8.predict(upright).shape == street.shape[:2]


def test_overlay_blends_class_colors(int8, street):
    ids = int8.predict(street)
    np.testing.assert_array_equal(int8.overlay(street, ids, alpha=0.0), street)
    np.testing.assert_array_equal(int8.overlay(street, ids, alpha=1.0), int8.colorize(ids))
    with pytest.raises(ValueError, match="alpha"):
        int8.overlay(street, ids, alpha=2)
    with pytest.raises(ValueError, match="does not match"):
        int8.overlay(street[:10], ids)


@pytest.mark.parametrize("name", ["bisenetv2.keras", "bisenetv2.onnx"])
def test_embedded_class_info_round_trips_and_every_kind_agrees(name, street, tmp_path, int8):
    path = tmp_path / name
    shutil.copy(MODELS / name, path)
    info = model_info.ModelInfo(tuple(CAMVID_NAMES), tuple(int8.colors), 11, model="bisenetv2")
    model_info.embed(str(path), info)
    model_info.embed(str(path), info)  # a second write replaces the first
    seg = Segmenter(path)
    assert seg.info.source == "embedded" and seg.class_names == CAMVID_NAMES and seg.colors == int8.colors
    frame = sorted(require(CAMVID_DIR / "val").iterdir())[0]  # 480x360: no letterbox scaling for TFLite
    ids = seg.predict(frame)
    assert ids.shape == (360, 480) and ids.dtype == np.uint8
    assert (ids == int8.predict(frame)).mean() > 0.95  # the float model vs its INT8 twin

    wrong = model_info.ModelInfo(("a", "b"), ((0, 0, 0), (1, 1, 1)))
    model_info.embed(str(path), wrong)
    with pytest.raises(ValueError, match="lists 2 classes but the model predicts 11"):
        Segmenter(path)


def test_a_model_without_class_info_gets_numbered_classes(tmp_path, street):
    import onnx

    path = tmp_path / "plain.onnx"
    model = onnx.load(MODELS / "bisenetv2.onnx")
    del model.metadata_props[:]
    onnx.save(model, path)
    seg = Segmenter(path)
    assert seg.info.source == "default" and seg.class_names == [str(i) for i in range(11)]


@pytest.mark.parametrize("name", ["bisenetv2.keras", "bisenetv2.onnx", "bisenetv2_qat.h5", "bisenetv1.keras"])
def test_shipped_artifacts_carry_their_classes(name):
    assert model_info.read_embedded(str(MODELS / name))["labels"] == CAMVID_NAMES


@pytest.mark.parametrize("name", ["bisenetv2.keras", "bisenetv2.onnx"])
def test_every_predictor_normalizes_by_the_statistics_the_file_carries(name, tmp_path, street):
    """evaluate and predict (load_predictor) and Segmenter read an artifact's embedded
    normalization alike; one without any uses the Cityscapes statistics it was trained with."""
    from bisenetv2_tf.preprocessing import CITYSCAPES, Normalization
    from bisenetv2_tf.runtime.predictors import load_predictor

    path = tmp_path / name
    shutil.copy(MODELS / name, path)
    odd = Normalization((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    model_info.embed(str(path), model_info.ModelInfo(tuple(CAMVID_NAMES), tuple(model_info.default_info(11).colors),
                                                     11, odd, model="bisenetv2"))
    predictor = load_predictor(str(path))
    used = predictor.norm.to_json() if name.endswith(".keras") else predictor.meta["normalization"]
    assert used == odd.to_json()
    np.testing.assert_array_equal(predictor.class_map(street), Segmenter(path).predict(street))
    assert model_info.embedded_normalization(str(MODELS / "bisenetv2_int8_qat.tflite")) == CITYSCAPES
