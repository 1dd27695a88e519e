"""Dataset layouts -> a ``DatasetSpec`` (file pairs + class info), with input checks.

Layouts:
  camvid:     DIR/SPLIT/*.png and DIR/SPLITannot/*.png (same file names), class ids,
              optional DIR/classes.json ({"classes", "colors", "ignore_index"}).
  cityscapes: DIR/leftImg8bit/SPLIT/CITY/*_leftImg8bit.png and
              DIR/gtFine/SPLIT/CITY/*_gtFine_labelIds.png, mapped to the 19 train ids.
  folder:     DIR/images/* and DIR/labels/* (same stem), with a classes.json; label
              PNGs hold class ids, or RGB colors mapped by the "colors" palette when
              classes.json has "label_format": "color".

classes.json is checked field by field (``read_class_file``): at least 2 classes, one
[r, g, b] color (0..255) per class, an ignore id outside the classes and at most 255
(labels are 8-bit in the pipeline). The data check (``check_files``) opens every pair,
refuses file names that are not UTF-8 (TensorFlow cannot take them) and warns about
images with an EXIF orientation: dataset images are read as stored, ignoring the tag,
so that they stay aligned with their labels.
"""
import concurrent.futures
import dataclasses
import json
import os
import sys

import numpy as np
from PIL import ExifTags, Image

from bisenetv2_tf.data.camvid_classes import CAMVID_CLASSES, CAMVID_COLORS, CAMVID_IGNORE

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")

# Cityscapes labelIds -> trainIds (cityscapesScripts' labels.py); everything else 255.
CITYSCAPES_ID_TO_TRAIN_ID = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10,
    24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
}
CITYSCAPES_CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
    "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
    "motorcycle", "bicycle",
)
CITYSCAPES_COLORS = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
    (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
    (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100),
    (0, 80, 100), (0, 0, 230), (119, 11, 32),
)


class DatasetError(ValueError):
    """A dataset folder or file that cannot be used; the message names it."""


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """File pairs plus what is needed to decode and score them."""

    image_paths: tuple
    label_paths: tuple
    class_names: tuple
    colors: tuple
    ignore_index: int = 255
    label_lut: tuple = None  # 256 entries raw label value -> class id (or ignore)
    label_palette: tuple = None  # RGB colors for color-coded label PNGs, index = class id

    @property
    def num_classes(self):
        return len(self.class_names)

    def __len__(self):
        return len(self.image_paths)

    def subset(self, indices):
        return dataclasses.replace(
            self,
            image_paths=tuple(self.image_paths[i] for i in indices),
            label_paths=tuple(self.label_paths[i] for i in indices),
        )


def list_images(folder):
    """The image file names (``IMAGE_EXTENSIONS``, any case) in ``folder``, sorted; not
    recursive. ``DatasetError`` when it is missing or holds none."""
    if not os.path.isdir(folder):
        raise DatasetError(f"folder not found: {folder}")
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise DatasetError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {folder}")
    return names


def _pair_by_stem(image_dir, label_dir, label_suffix=""):
    images = list_images(image_dir)
    labels = {os.path.splitext(n)[0]: n for n in list_images(label_dir)}
    pairs, unmatched = [], []
    for name in images:
        stem = os.path.splitext(name)[0] + label_suffix
        if stem in labels:
            pairs.append((os.path.join(image_dir, name), os.path.join(label_dir, labels.pop(stem))))
        else:
            unmatched.append(name)
    if unmatched or labels:
        extra = [f"image without label: {unmatched[0]}"] if unmatched else []
        extra += [f"label without image: {next(iter(labels.values()))}"] if labels else []
        raise DatasetError(
            f"{image_dir} and {label_dir} do not match ({len(unmatched)} images without label, "
            f"{len(labels)} labels without image; first {'; '.join(extra)})"
        )
    return pairs


LABEL_FORMATS = ("id", "color")


def _short(value, limit=40):
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_color(c):
    return (isinstance(c, list) and len(c) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in c))


def read_class_file(path):
    """classes.json -> (names, colors, ignore_index, label_format), every field checked.

    ``DatasetError`` naming the file and the field: "classes" not a list of names,
    fewer than 2 classes, "colors" not one [r, g, b] of 0..255 integers per class,
    "ignore_index" not an integer outside the class ids and at most 255 (or more than
    255 classes, which 8-bit labels cannot hold beside an ignore id), "label_format"
    other than "id" or "color".
    """
    try:
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
    except (OSError, ValueError) as err:
        raise DatasetError(f"{path}: not a readable JSON class file ({err})") from err
    if not isinstance(info, dict):
        raise DatasetError(f'{path}: expected a JSON object with a "classes" list, got {_short(info)}')
    names = info.get("classes")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DatasetError(f'{path}: "classes" must be a list of class names (strings), got {_short(names)}')
    k = len(names)
    if k < 2:
        raise DatasetError(f'{path}: "classes" has {k} class{"" if k == 1 else "es"}; segmentation needs at '
                           f"least 2 (with 1 the loss is 0 and the mIoU 1.0 whatever the model predicts)")
    colors = info.get("colors")
    if colors is None or colors == []:
        colors = default_colors(k)
    elif not isinstance(colors, list) or not all(_is_color(c) for c in colors):
        bad = next((c for c in colors if not _is_color(c)), colors) if isinstance(colors, list) else colors
        raise DatasetError(f'{path}: "colors" must be a list of [r, g, b] with integers 0..255, got {_short(bad)}')
    if len(colors) != k:
        raise DatasetError(f'{path}: {k} classes but {len(colors)} colors')
    ignore = info.get("ignore_index", 255)
    if not isinstance(ignore, int) or isinstance(ignore, bool):
        raise DatasetError(f'{path}: "ignore_index" must be an integer label id (usually 255), got {_short(ignore)}')
    if k > 255:
        raise DatasetError(f'{path}: {k} classes, but labels are 8-bit: at most 255 classes (ids 0..254) beside '
                           f"the ignore id 255")
    if not k <= ignore <= 255:
        where = f"a class id (0..{k - 1})" if 0 <= ignore < k else "outside the 8-bit label values 0..255"
        raise DatasetError(f'{path}: "ignore_index" {ignore} is {where}; use an id in {k}..255 (usually 255)')
    label_format = info.get("label_format", "id")
    if label_format not in LABEL_FORMATS:
        raise DatasetError(f'{path}: "label_format" must be "id" or "color", got {_short(label_format)}')
    return tuple(names), tuple(tuple(c) for c in colors), ignore, label_format


def default_colors(n):
    """A deterministic, well-spread palette for n classes."""
    rng = np.random.default_rng(12345)
    return [tuple(int(v) for v in rng.integers(0, 256, 3)) for _ in range(n)]


def camvid(data_dir, split, class_file=None, ignore_index=None):
    """CamVid/SegNet layout: DIR/SPLIT and DIR/SPLITannot with class-id PNGs."""
    pairs = _pair_by_stem(os.path.join(data_dir, split), os.path.join(data_dir, split + "annot"))
    class_file = class_file or os.path.join(data_dir, "classes.json")
    if os.path.isfile(class_file):
        names, colors, ignore, _ = read_class_file(class_file)
    else:
        names, colors, ignore = CAMVID_CLASSES, CAMVID_COLORS, CAMVID_IGNORE
    if ignore_index is not None:
        ignore = ignore_index
    return DatasetSpec(
        tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), tuple(names), tuple(colors), ignore
    )


def cityscapes(data_dir, split):
    """Cityscapes layout (leftImg8bit + gtFine labelIds), mapped to the 19 train ids."""
    image_root = os.path.join(data_dir, "leftImg8bit", split)
    label_root = os.path.join(data_dir, "gtFine", split)
    if not os.path.isdir(image_root):
        raise DatasetError(f"folder not found: {image_root}")
    pairs = []
    for city in sorted(os.listdir(image_root)):
        for name in list_images(os.path.join(image_root, city)):
            if not name.endswith("_leftImg8bit.png"):
                continue
            label = name.replace("_leftImg8bit.png", "_gtFine_labelIds.png")
            label_path = os.path.join(label_root, city, label)
            if not os.path.isfile(label_path):
                raise DatasetError(f"label missing for {os.path.join(image_root, city, name)}: {label_path}")
            pairs.append((os.path.join(image_root, city, name), label_path))
    if not pairs:
        raise DatasetError(f"no *_leftImg8bit.png images under {image_root}")
    lut = [255] * 256
    for raw, train_id in CITYSCAPES_ID_TO_TRAIN_ID.items():
        lut[raw] = train_id
    return DatasetSpec(
        tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), CITYSCAPES_CLASSES,
        CITYSCAPES_COLORS, 255, label_lut=tuple(lut),
    )


def folder(data_dir, split=None, class_file=None):
    """Generic DIR[/SPLIT]/images + labels folders with a classes.json."""
    root = os.path.join(data_dir, split) if split else data_dir
    class_file = class_file or os.path.join(root, "classes.json")
    if not os.path.isfile(class_file):
        class_file = os.path.join(data_dir, "classes.json")
    if not os.path.isfile(class_file):
        raise DatasetError(f"folder datasets need a classes.json (looked in {root} and {data_dir})")
    names, colors, ignore, label_format = read_class_file(class_file)
    pairs = _pair_by_stem(os.path.join(root, "images"), os.path.join(root, "labels"))
    palette = tuple(colors) if label_format == "color" else None
    return DatasetSpec(
        tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), tuple(names), tuple(colors),
        ignore, label_palette=palette,
    )


def load_spec(dataset, data_dir, split, class_file=None):
    """Dispatch on the layout name: 'camvid', 'cityscapes' or 'folder'."""
    if dataset == "camvid":
        return camvid(data_dir, split, class_file)
    if dataset == "cityscapes":
        return cityscapes(data_dir, split)
    if dataset == "folder":
        return folder(data_dir, split, class_file)
    raise DatasetError(f"unknown dataset layout {dataset!r}: use camvid, cityscapes or folder")


def _color_hint(name):
    return (f"label {name} is an RGB color image but the dataset's labels are class ids; color-coded "
            f"labels need \"label_format\": \"color\" and a \"colors\" palette in classes.json "
            f"(--dataset folder), or save the labels as 8-bit class-id (or palette) PNGs")


def map_label_array(spec, raw, name="label"):
    """Raw label values -> HxW int32 class ids (LUT or color palette applied).

    ``raw`` is HxW integer ids (8- or 16-bit grey, palette indices) or HxWx3 colors.
    Colors are mapped by ``spec.label_palette``; without a palette an RGB array is only
    accepted when it is grey (R == G == B), otherwise ``DatasetError`` with a hint.
    Values are never wrapped or scaled: a 16-bit 300 stays 300 (and is out of range).
    """
    raw = np.asarray(raw)
    if spec.label_palette is not None:
        if raw.ndim != 3:
            raise DatasetError(f"label {name}: color-coded labels must be RGB images")
        ids = np.full(raw.shape[:2], spec.ignore_index, np.int32)
        for class_id, color in enumerate(spec.label_palette):
            ids[np.all(raw[..., :3] == np.asarray(color, np.uint8), axis=-1)] = class_id
        return ids
    if raw.ndim == 3:
        rgb = raw[..., :3]
        if rgb.shape[-1] == 3 and not (np.array_equal(rgb[..., 0], rgb[..., 1])
                                       and np.array_equal(rgb[..., 0], rgb[..., 2])):
            raise DatasetError(_color_hint(name))
        raw = rgb[..., 0]
    ids = raw.astype(np.int32)
    if spec.label_lut is not None:
        lut = np.asarray(spec.label_lut, np.int32)
        inside = (ids >= 0) & (ids < len(lut))
        ids = np.where(inside, lut[np.clip(ids, 0, len(lut) - 1)], ids)  # values past the LUT stay visible
    return ids


_GREY_MODES = ("1", "L", "P", "I", "I;16", "I;16L", "I;16B", "I;16N")


def label_values(spec, img, name="label"):
    """An opened PIL label image -> raw values for ``map_label_array`` (no conversion of ids).

    P-mode (palette) PNGs give their indices, 8/16-bit grey their values; a color
    dataset gets RGB colors.
    """
    if spec.label_palette is not None:
        return np.asarray(img.convert("RGB"))
    if img.mode in _GREY_MODES:
        return np.asarray(img)
    if img.mode in ("LA", "PA"):
        return np.asarray(img)[..., 0]
    if img.mode in ("RGB", "RGBA", "RGBX"):
        return np.asarray(img)
    raise DatasetError(f"label {name}: unsupported image mode {img.mode!r} for class ids "
                       f"(use 8/16-bit grey or palette PNGs)")


def read_label(spec, source, name=None):
    """THE label decoder (data check, tf.data pipeline, evaluation): a label file (path,
    bytes or file object) -> HxW int32 class ids. Raises ``DatasetError`` naming it."""
    import io

    if name is None:
        name = source if isinstance(source, (str, os.PathLike)) else "label"
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    try:
        with Image.open(source) as img:
            img.load()
            raw = label_values(spec, img, name)
    except DatasetError:
        raise
    except Exception as err:  # PIL raises many types for corrupt files
        raise DatasetError(f"unreadable label {name}: {err}") from err
    return map_label_array(spec, raw, name)


def label_uint8(spec, source, name=None):
    """``read_label`` as (H,W) uint8 for the tf.data pipeline; ids that do not fit a
    byte (16-bit values above 255, negatives) are an error, never wrapped."""
    ids = read_label(spec, source, name)
    if ids.size and (ids.min() < 0 or ids.max() > 255):
        bad = np.unique(ids[(ids < 0) | (ids > 255)])
        raise DatasetError(f"label {name or 'label'} has class ids {bad[:5].tolist()} that do not fit 0..255")
    return ids.astype(np.uint8)


def printable_path(path):
    """``path`` as text that can always be printed: bytes that are not UTF-8 (Python
    keeps them as surrogates) shown as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _utf8_problem(*paths):
    for path in paths:
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            return (f"file name is not valid UTF-8: {printable_path(path)} (TensorFlow cannot read such paths); "
                    f"rename it")
    return None


def _exif_orientation(img):
    """The EXIF orientation tag of an opened image; 1 (as stored) when absent or unreadable."""
    try:
        return img.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a broken EXIF block does not make the pixels unreadable
        return 1


def _check_pair(spec, image_path, label_path):
    """(None if the pair is usable, else a one-line reason naming the file; the image's
    EXIF orientation, 1 when it has none)."""
    problem = _utf8_problem(image_path, label_path)
    if problem:
        return problem, 1
    try:
        with Image.open(image_path) as img:
            img.load()
            image_size = img.size
            orientation = _exif_orientation(img)
    except Exception as err:  # PIL raises many types for corrupt files
        return f"unreadable image {image_path}: {err}", 1
    try:
        ids = read_label(spec, label_path)
    except DatasetError as err:
        return str(err), orientation
    if ids.shape[1::-1] != image_size:
        return (
            f"size mismatch: image {image_path} is {image_size[0]}x{image_size[1]} but label "
            f"{label_path} is {ids.shape[1]}x{ids.shape[0]}"
        ), orientation
    bad = np.unique(ids[((ids >= spec.num_classes) | (ids < 0)) & (ids != spec.ignore_index)])
    if bad.size:
        return (
            f"label {label_path} has class ids {bad[:5].tolist()} outside 0..{spec.num_classes - 1} "
            f"(ignore id {spec.ignore_index})"
        ), orientation
    return None, orientation


def _exif_warning(rotated):
    """One warning line for images with an EXIF orientation: [(path, orientation), ...]."""
    path, orientation = rotated[0]
    have = "has" if len(rotated) == 1 else f"and {len(rotated) - 1} more images have"
    return (f"warning: {path} {have} an EXIF orientation tag ({orientation}, not 1): dataset images are read "
            f"as stored, ignoring the tag, so they stay aligned with their labels")


def check_files(spec, skip_bad=False, workers=8):
    """Open every pair once (images fully decoded, label ids range-checked).

    Raises ``DatasetError`` on the first bad pair, or with ``skip_bad`` returns a spec
    without the bad pairs and prints how many were skipped. Images with an EXIF
    orientation other than 1 get one warning line on stderr (read as stored).
    """
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda p: _check_pair(spec, *p), zip(spec.image_paths, spec.label_paths)))
    problems = [problem for problem, _ in results]
    rotated = [(path, o) for path, (_, o) in zip(spec.image_paths, results) if o in range(2, 9)]
    if rotated:
        print(_exif_warning(rotated), file=sys.stderr)
    bad = [i for i, p in enumerate(problems) if p]
    if not bad:
        return spec
    if not skip_bad:
        more = f" (and {len(bad) - 1} more bad pairs)" if len(bad) > 1 else ""
        raise DatasetError(problems[bad[0]] + more)
    for i in bad:
        print(f"skipping: {problems[i]}")
    print(f"skipped {len(bad)} of {len(spec)} pairs")
    good = [i for i in range(len(spec)) if i not in set(bad)]
    if not good:
        raise DatasetError("every pair was bad; nothing left to use")
    return spec.subset(good)
