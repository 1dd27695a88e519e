"""Dataset layouts -> a ``DatasetSpec`` (file pairs + class info), with input checks.

Layouts:
  camvid:     DIR/SPLIT/*.png and DIR/SPLITannot/*.png (same file names), class ids,
              optional DIR/classes.json ({"classes", "colors", "ignore_index"}).
  cityscapes: DIR/leftImg8bit/SPLIT/CITY/*_leftImg8bit.png and
              DIR/gtFine/SPLIT/CITY/*_gtFine_labelIds.png, mapped to the 19 train ids.
  folder:     DIR/images/* and DIR/labels/* (same stem), with a classes.json; label
              PNGs hold class ids, or RGB colors mapped by the "colors" palette when
              classes.json has "label_format": "color".
"""
import concurrent.futures
import dataclasses
import json
import os

import numpy as np
from PIL import Image

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


def _list_images(folder):
    if not os.path.isdir(folder):
        raise DatasetError(f"folder not found: {folder}")
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise DatasetError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) in {folder}")
    return names


def _pair_by_stem(image_dir, label_dir, label_suffix=""):
    images = _list_images(image_dir)
    labels = {os.path.splitext(n)[0]: n for n in _list_images(label_dir)}
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


def read_class_file(path):
    """classes.json -> (names, colors, ignore_index, label_format)."""
    try:
        with open(path) as f:
            info = json.load(f)
        names = tuple(info["classes"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DatasetError(f"{path}: not a class file with a 'classes' list ({err})") from err
    colors = tuple(tuple(c) for c in info.get("colors") or default_colors(len(names)))
    if len(colors) != len(names):
        raise DatasetError(f"{path}: {len(names)} classes but {len(colors)} colors")
    return names, colors, int(info.get("ignore_index", 255)), info.get("label_format", "id")


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
        from training.camvid_classes import CAMVID_CLASSES, CAMVID_COLORS

        names, colors, ignore = CAMVID_CLASSES, CAMVID_COLORS, 11
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
        for name in _list_images(os.path.join(image_root, city)):
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


def map_label_array(spec, raw):
    """Raw label file content (HxW ids or HxWx3 colors) -> HxW class ids (uint8)."""
    if spec.label_palette is not None:
        if raw.ndim != 3:
            raise DatasetError("color-coded labels must be RGB images")
        ids = np.full(raw.shape[:2], spec.ignore_index, np.uint8)
        for class_id, color in enumerate(spec.label_palette):
            ids[np.all(raw[..., :3] == np.asarray(color, np.uint8), axis=-1)] = class_id
        return ids
    if raw.ndim == 3:
        raw = raw[..., 0]
    if spec.label_lut is not None:
        return np.asarray(spec.label_lut, np.uint8)[raw]
    return raw.astype(np.uint8)


def _check_pair(spec, image_path, label_path):
    """None if the pair is usable, else a one-line reason naming the file."""
    try:
        with Image.open(image_path) as img:
            img.load()
            image_size = img.size
    except Exception as err:  # PIL raises many types for corrupt files
        return f"unreadable image {image_path}: {err}"
    try:
        with Image.open(label_path) as lbl:
            raw = np.asarray(lbl.convert("RGB") if spec.label_palette is not None else lbl)
    except Exception as err:
        return f"unreadable label {label_path}: {err}"
    if raw.shape[1::-1] != image_size:
        return (
            f"size mismatch: image {image_path} is {image_size[0]}x{image_size[1]} but label "
            f"{label_path} is {raw.shape[1]}x{raw.shape[0]}"
        )
    ids = map_label_array(spec, raw)
    bad = np.unique(ids[(ids >= spec.num_classes) & (ids != spec.ignore_index)])
    if bad.size:
        return (
            f"label {label_path} has class ids {bad[:5].tolist()} outside 0..{spec.num_classes - 1} "
            f"(ignore id {spec.ignore_index})"
        )
    return None


def check_files(spec, skip_bad=False, workers=8):
    """Open every pair once (images fully decoded, label ids range-checked).

    Raises ``DatasetError`` on the first bad pair, or with ``skip_bad`` returns a spec
    without the bad pairs and prints how many were skipped.
    """
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        problems = list(pool.map(lambda p: _check_pair(spec, *p), zip(spec.image_paths, spec.label_paths)))
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
