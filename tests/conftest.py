"""Shared test helpers. Tests that need ../shared fail (never skip) when it is missing."""
import os
from pathlib import Path

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE_DIR = SHARED / "reference"
CAMVID_DIR = SHARED / "data" / "camvid"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def require(path):
    """Return ``path`` or fail the test loudly if it does not exist."""
    path = Path(path)
    if not path.exists():
        pytest.fail(f"required fixture missing: {path} (../shared must sit beside the repo)")
    return path


def load_npz(path):
    with np.load(require(path), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    """A tiny synthetic CamVid-layout dataset (8 train, 4 val, 64x96)."""
    from bisenetv2_tf.data.synthetic import make_dataset

    return make_dataset(str(tmp_path_factory.mktemp("synthetic")), 8, 4, (64, 96), seed=0)
