"""--protocol drive-holdout: which CamVid files land in training and which are scored."""
import numpy as np
import pytest
from PIL import Image

from conftest import CAMVID_DIR, require
from bisenetv2_tf.data import datasets, protocols


def _frames(root, split, names):
    (root / split).mkdir(parents=True, exist_ok=True)
    (root / f"{split}annot").mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(root / split / name)
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(root / f"{split}annot" / name)


def test_held_out_drive_is_scored_and_every_other_frame_trains(tmp_path):
    _frames(tmp_path, "train", ["0001TP_1.png", "0006R0_f1.png", "0006R0_f2.png", "0016E5_5.png"])
    _frames(tmp_path, "val", ["0016E5_7.png", "0006R0_f9.png"])
    train, held = protocols.protocol_specs("drive-holdout", "camvid", str(tmp_path))
    names = lambda spec: sorted(p.rsplit("/", 1)[1] for p in spec.image_paths)  # noqa: E731
    assert names(train) == ["0001TP_1.png", "0016E5_5.png", "0016E5_7.png"]
    assert names(held) == ["0006R0_f1.png", "0006R0_f2.png", "0006R0_f9.png"]
    for spec in (train, held):  # labels stay paired with their images
        assert [p.replace("annot", "") for p in spec.label_paths] == list(spec.image_paths)
    assert protocols.drive_counts(train) == {"0001TP": 1, "0016E5": 2}


@pytest.mark.parametrize("files,message", [
    ((["0001TP_1.png"], ["0016E5_1.png"]), "no frame of drive 0006R0"),
    ((["0006R0_1.png"], ["0006R0_2.png"]), "nothing is left to train on"),
])
def test_a_folder_the_protocol_cannot_split_is_one_error(tmp_path, files, message):
    _frames(tmp_path, "train", files[0])
    _frames(tmp_path, "val", files[1])
    with pytest.raises(datasets.DatasetError, match=message):
        protocols.protocol_specs("drive-holdout", "camvid", str(tmp_path))


def test_unknown_protocol_or_other_layout_is_refused(tmp_path):
    with pytest.raises(datasets.DatasetError, match="unknown --protocol"):
        protocols.protocol_specs("leave-one-out", "camvid", str(tmp_path))
    with pytest.raises(datasets.DatasetError, match="defined for --dataset camvid"):
        protocols.protocol_specs("drive-holdout", "cityscapes", str(tmp_path))


def test_shared_camvid_splits_as_the_issue_states():
    train, held = protocols.protocol_specs("drive-holdout", "camvid", str(require(CAMVID_DIR)))
    assert protocols.drive_counts(held) == {"0006R0": 101}
    assert protocols.drive_counts(train) == {"0001TP": 62, "0016E5": 305}
    assert not set(train.image_paths) & set(held.image_paths)
