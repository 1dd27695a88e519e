"""What a model artifact says about its classes: names, colours, ignore id, normalization.

Every artifact kind carries the same JSON (the class part of the app metadata contract,
``runtime/metadata.py``: "model", "labels", "colors", "num_classes", "ignore_index",
"normalization"):
  .tflite  in MODEL.json beside it (the app metadata file the converter writes),
  .keras   as the zip entry ``bisenetv2_tf.json`` (Keras ignores entries it does not know),
  .h5      as the root attribute ``bisenetv2_tf``,
  .onnx    as the metadata_props key ``bisenetv2_tf``.
``find`` falls back to the ``train_args.json`` that training wrote beside a run's model,
then to numbered classes with a default palette (``source`` says which was used).
"""
import dataclasses
import json
import os
import shutil
import zipfile

from bisenetv2_tf.data.datasets import default_colors
from bisenetv2_tf.fileio import atomic_path
from bisenetv2_tf.preprocessing import CITYSCAPES, Normalization

KEY = "bisenetv2_tf"
ZIP_ENTRY = KEY + ".json"


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    class_names: tuple
    colors: tuple
    ignore_index: int = 255
    normalization: Normalization = CITYSCAPES
    model: str = "unknown"
    source: str = "default"  # where it was read: embedded, metadata, train_args or default

    @property
    def num_classes(self):
        return len(self.class_names)

    def to_json(self):
        return {"model": self.model, "labels": list(self.class_names),
                "colors": [list(map(int, c)) for c in self.colors], "num_classes": self.num_classes,
                "ignore_index": int(self.ignore_index), "normalization": self.normalization.to_json()}


def from_json(info, source):
    """A metadata-like dict -> ``ModelInfo``; ValueError when a field is missing or malformed."""
    try:
        names = tuple(str(n) for n in info["labels"])
        colors = tuple(tuple(int(v) for v in c) for c in info["colors"])
        norm = info.get("normalization") or CITYSCAPES.to_json()
        normalization = Normalization(tuple(float(v) for v in norm["mean"]), tuple(float(v) for v in norm["std"]))
        ignore = int(info.get("ignore_index", 255))
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"class information is malformed ({type(err).__name__}: {err})") from None
    if isinstance(info["labels"], str) or len(colors) != len(names) or any(
            len(c) != 3 or not all(0 <= v <= 255 for v in c) for c in colors):
        raise ValueError("class information is malformed (one RGB colour 0..255 per label expected)")
    if len(normalization.mean) != 3 or len(normalization.std) != 3 or not all(normalization.std):
        raise ValueError("class information is malformed (normalization needs 3 means and 3 non-zero stds)")
    return ModelInfo(names, colors, ignore, normalization, str(info.get("model", "unknown")), source)


def default_info(num_classes):
    return ModelInfo(tuple(str(i) for i in range(num_classes)), tuple(map(tuple, default_colors(num_classes))))


def embed(path, info):
    """Write ``info`` into the artifact at ``path`` (.keras, .h5 or .onnx), atomically."""
    text = json.dumps(info.to_json())
    ext = os.path.splitext(path)[1]
    with atomic_path(path) as tmp:
        if ext == ".keras":
            shutil.copyfile(path, tmp)
            with zipfile.ZipFile(path) as src:
                if ZIP_ENTRY in src.namelist():  # rewrite without the old entry
                    with zipfile.ZipFile(tmp, "w") as dst:
                        for item in src.infolist():
                            if item.filename != ZIP_ENTRY:
                                dst.writestr(item, src.read(item.filename))
            with zipfile.ZipFile(tmp, "a") as dst:
                dst.writestr(ZIP_ENTRY, text)
        elif ext == ".h5":
            import h5py

            shutil.copyfile(path, tmp)
            with h5py.File(tmp, "a") as f:
                f.attrs[KEY] = text
        elif ext == ".onnx":
            import onnx

            model = onnx.load(path)
            kept = [p for p in model.metadata_props if p.key != KEY]
            del model.metadata_props[:]
            model.metadata_props.extend(kept)
            model.metadata_props.add(key=KEY, value=text)
            onnx.save(model, tmp)
        else:
            raise ValueError(f"{path}: class information is embedded in .keras, .h5 and .onnx files only")


def read_embedded(path):
    """The JSON dict embedded in a .keras/.h5/.onnx artifact, or None."""
    ext = os.path.splitext(path)[1]
    try:
        if ext == ".keras":
            with zipfile.ZipFile(path) as z:
                return json.loads(z.read(ZIP_ENTRY)) if ZIP_ENTRY in z.namelist() else None
        if ext == ".h5":
            import h5py

            with h5py.File(path, "r") as f:
                text = f.attrs.get(KEY)
            return json.loads(text) if text is not None else None
        if ext == ".onnx":
            import onnx

            props = {p.key: p.value for p in onnx.load(path, load_external_data=False).metadata_props}
            return json.loads(props[KEY]) if KEY in props else None
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError(f"{path}: embedded class information unreadable ({err})") from None
    return None


def embedded_normalization(path):
    """The input normalization embedded in a .keras/.h5/.onnx artifact, or the Cityscapes
    one the project trains with when it has none (``ValueError`` for a malformed one)."""
    embedded = read_embedded(path)
    if embedded is None:
        return CITYSCAPES
    return from_json(embedded, "embedded").normalization


def train_args_paths(model_path):
    """The train_args.json files training.train may have written for a model: beside
    OUT_DIR/model.keras, or above OUT_DIR/checkpoints/*.keras; existing ones, nearest first."""
    folder = os.path.dirname(os.path.abspath(model_path))
    folders = [folder] + ([os.path.dirname(folder)] if os.path.basename(folder) == "checkpoints" else [])
    paths = [os.path.join(f, "train_args.json") for f in folders]
    return [p for p in paths if os.path.isfile(p)]


def _train_args(model_path):
    """The class part of the nearest train_args.json of a model, or None."""
    for path in train_args_paths(model_path):
        with open(path) as f:
            args = json.load(f)
        return {"model": args.get("model", "unknown"), "labels": args["class_names"],
                "colors": args["colors"], "ignore_index": args.get("ignore_index", 255)}
    return None


def find(path, num_classes=None, tflite_metadata=None):
    """The ``ModelInfo`` of the artifact at ``path`` (see module docstring). ``num_classes``
    (the model's output channels, when known) must match, else ValueError naming the file."""
    candidates = []
    if tflite_metadata is not None and tflite_metadata.get("model") != "unknown":
        candidates.append((tflite_metadata, "metadata"))
    else:
        embedded = read_embedded(path)
        if embedded is not None:
            candidates.append((embedded, "embedded"))
    if not candidates:
        try:
            args = _train_args(path)
        except (OSError, ValueError, KeyError, TypeError):
            args = None
        if args is not None:
            candidates.append((args, "train_args"))
    for info, source in candidates:
        try:
            found = from_json(info, source)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
        if num_classes is not None and found.num_classes != num_classes:
            if source == "train_args":
                continue  # a run folder whose model came from elsewhere
            raise ValueError(f"{path}: its class information lists {found.num_classes} classes but the model "
                             f"predicts {num_classes}")
        return found
    return default_info(num_classes or 0)
