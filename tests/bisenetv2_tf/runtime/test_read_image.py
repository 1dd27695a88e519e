"""predictors.read_image: photos come out upright (EXIF orientation), unreadable files
are one-line errors naming them (issue 23)."""
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from bisenetv2_tf.runtime import predictors


@pytest.mark.parametrize("orientation,turn", [(1, lambda a: a), (3, lambda a: np.rot90(a, 2)),
                                              (6, lambda a: np.rot90(a, -1)), (8, lambda a: np.rot90(a, 1))])
def test_exif_orientation_is_applied(tmp_path, orientation, turn):
    stored = np.zeros((4, 6, 3), np.uint8)
    stored[0, 0] = 255  # a white top-left corner shows where the image went
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.png"
    Image.fromarray(stored).save(path, exif=exif.tobytes())
    np.testing.assert_array_equal(predictors.read_image(path), turn(stored))


def test_unreadable_images_are_one_line_errors(tmp_path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    bomb = tmp_path / "bomb.png"  # the header claims 20000x20000: PIL's DecompressionBombError, not an OSError
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0))
                     + chunk(b"IEND", b""))
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not an image")
    for path in (bomb, garbage, tmp_path / "missing.png", tmp_path):
        with pytest.raises(predictors.InferenceError) as err:
            predictors.read_image(path)
        assert str(err.value).startswith(f"cannot read image {path}: ") and "\n" not in str(err.value)
