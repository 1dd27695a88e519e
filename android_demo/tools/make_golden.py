r"""Write the golden cases the Java core's GoldenTest checks (cross-language, bit-exact).

For every --model x --image pair this runs the Python reference pipeline and writes a
case folder ``OUT_DIR/<model stem>__<image stem>/`` (fixture pixels are shared in
``OUT_DIR/images/<image stem>.bin.gz``, h*w*3 uint8 RGB):

  case.json            what the arrays are: shape, dtype, stored row band, SHA-256 of the full array
  model.json           the model's metadata JSON, copied verbatim
  resized.bin.gz       the letterboxed image after Pillow's bilinear resize, rh*rw*3 uint8
  input.bin.gz         the model input tensor from bisenetv2_tf.runtime.metadata.preprocess_rgb (no batch axis)
  output.bin.gz        the raw output tensor from the LiteRT interpreter (no batch axis)
  class_map.bin.gz     bisenetv2_tf.runtime.metadata.class_map_from_output, H*W uint8
  image_class_map.bin.gz  the class map taken back to the image (inverse letterbox, nearest
                       on pixel centres: row y reads ((2y+1)*rh)//(2h), same for columns), h*w uint8
  overlay.bin.gz       class colours blended into the image, h*w*3 uint8:
                       (color*alpha + pixel*(255-alpha) + 127) // 255

Arrays are raw little-endian, gzip-compressed. Class maps are stored whole; the others
store rows [r0, r1) of their first axis,
at most --band-bytes uncompressed (the whole array when it fits), chosen to straddle the
bottom edge of the letterbox's valid region; case.json carries the SHA-256 of the whole
array, so the Java test still checks every byte. This keeps the folder well under 2 MB for
the 384x480 CamVid models.

  python android_demo/tools/make_golden.py --model models/camvid/bisenetv2_int8_qat.tflite \
      --image android_demo/tools/fixtures/*.png --clean
"""
import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import PIL
from PIL import Image

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
from bisenetv2_tf.runtime import metadata  # noqa: E402  (numpy only: no TensorFlow)
from bisenetv2_tf.runtime.litert import interpreter, run_prepared  # noqa: E402

FORMAT = "bisenetv2-tf/golden"
DEFAULT_OUT = os.path.join(os.path.dirname(__file__), "..", "core", "src", "test", "resources", "golden")


def write_gz(path, array):
    """Raw little-endian bytes of ``array``, gzip-compressed (mtime 0: reproducible files)."""
    data = np.ascontiguousarray(array)
    if data.dtype.byteorder == ">":
        data = data.astype(data.dtype.newbyteorder("<"))
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as f:
        f.write(data.tobytes())


def row_band(height, row_bytes, budget, center):
    """Rows [r0, r1) of at most ``budget`` bytes around ``center`` (the whole tensor if it fits)."""
    rows = max(1, min(height, budget // max(row_bytes, 1)))
    if rows >= height:
        return 0, height
    r0 = min(max(0, center - rows // 2), height - rows)
    return r0, r0 + rows


def image_class_map(class_map, image_hw, resized_hw):
    """The model's class map back at the image size: inverse letterbox, nearest on pixel centres."""
    (h, w), (rh, rw) = image_hw, resized_hw
    rows = ((2 * np.arange(h, dtype=np.int64) + 1) * rh) // (2 * h)
    cols = ((2 * np.arange(w, dtype=np.int64) + 1) * rw) // (2 * w)
    return class_map[rows[:, None], cols[None, :]]


def blend(image, classes, colors, alpha):
    """Integer alpha blend of class colours into the image; ids outside the palette stay as is."""
    colors = np.asarray(colors, np.int32)
    valid = (classes >= 0) & (classes < len(colors))
    color = colors[np.where(valid, classes, 0)]
    mixed = (color * alpha + image.astype(np.int32) * (255 - alpha) + 127) // 255
    return np.where(valid[..., None], mixed, image).astype(np.uint8)


def run_model(model_path, x):
    try:
        return run_prepared(interpreter(path=model_path, threads=2), x)
    except ValueError as err:
        raise SystemExit(f"{model_path}: {err} (from the metadata)") from None


def make_case(model_path, image_path, out_dir, alpha, band_bytes):
    meta_path = model_path[: -len(".tflite")] + ".json"
    meta = metadata.read(meta_path)
    with Image.open(image_path) as img:
        image = np.asarray(img.convert("RGB"))
    h, w = image.shape[:2]
    _, big_h, big_w, _ = meta["input"]["shape"]
    if (h, w) == (big_h, big_w):
        raise SystemExit(f"{image_path}: {h}x{w} equals the model input; use a fixture that needs the letterbox")
    scale, (rh, rw) = metadata.letterbox_geometry((h, w), (big_h, big_w))
    resized = image if (rh, rw) == (h, w) else np.asarray(Image.fromarray(image).resize((rw, rh), Image.BILINEAR))

    x = metadata.preprocess_rgb(image, meta)
    output = run_model(model_path, x)
    class_map = metadata.class_map_from_output(output, meta)
    if class_map.min() < 0 or class_map.max() > 255:
        raise SystemExit("class ids do not fit in uint8")
    img_classes = image_class_map(class_map, (h, w), (rh, rw))
    overlay = blend(image, img_classes, meta["colors"], alpha)

    name = f"{os.path.basename(model_path)[: -len('.tflite')]}__{os.path.splitext(os.path.basename(image_path))[0]}"
    case_dir = os.path.join(out_dir, name)
    if os.path.isdir(case_dir):
        shutil.rmtree(case_dir)
    os.makedirs(case_dir)
    shutil.copyfile(meta_path, os.path.join(case_dir, "model.json"))
    image_name = os.path.splitext(os.path.basename(image_path))[0] + ".bin.gz"
    os.makedirs(os.path.join(out_dir, "images"), exist_ok=True)
    write_gz(os.path.join(out_dir, "images", image_name), image)

    # bands straddle the bottom edge of the valid region so that padding rows are checked too
    def store(key, array, edge, whole=False):
        array = np.ascontiguousarray(array)
        r0, r1 = (0, array.shape[0]) if whole else row_band(array.shape[0], array[0].nbytes, band_bytes, edge)
        write_gz(os.path.join(case_dir, key + ".bin.gz"), array[r0:r1])
        little = array.astype(array.dtype.newbyteorder("<"), copy=False)
        return {"file": key + ".bin.gz", "shape": list(array.shape), "dtype": array.dtype.name,
                "rows": [r0, r1], "sha256": hashlib.sha256(little.tobytes()).hexdigest()}

    with open(model_path, "rb") as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()
    edge = rh if rh < big_h else big_h // 2
    case = {
        "format": FORMAT, "version": 1,
        "model_file": os.path.basename(model_path), "model_sha256": model_sha,
        "precision": meta.get("precision"),
        # Pillow 13 changed the order of its two resize passes for some shapes (see PilResize.java)
        "pillow_version": PIL.__version__,
        "image_file": os.path.basename(image_path),
        "image": {"file": "../images/" + image_name, "shape": [h, w, 3], "dtype": "uint8"},
        "letterbox": {"scale": scale, "resized_height": rh, "resized_width": rw},
        "alpha": alpha,
        "resized": store("resized", resized, rh // 2),
        "input": store("input", x[0], edge),
        "output": store("output", np.asarray(output)[0], edge),
        "class_map": store("class_map", class_map.astype(np.uint8), edge, whole=True),
        "image_class_map": store("image_class_map", img_classes.astype(np.uint8), h // 2, whole=True),
        "overlay": store("overlay", overlay, h // 2),
        "class_histogram": np.bincount(img_classes.ravel(), minlength=len(meta["labels"])).tolist(),
    }
    with open(os.path.join(case_dir, "case.json"), "w") as f:
        json.dump(case, f, indent=1)
    size = sum(os.path.getsize(os.path.join(case_dir, n)) for n in os.listdir(case_dir))
    print(f"{name}: image {h}x{w} -> {rh}x{rw} in {big_h}x{big_w}, input rows {case['input']['rows']}, "
          f"output rows {case['output']['rows']}, {size / 1024:.0f} KiB")
    return size


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", nargs="+", required=True, help="X.tflite files (metadata at X.json)")
    p.add_argument("--image", nargs="+", required=True, help="fixture images (any size but the model input's)")
    p.add_argument("--out-dir", default=DEFAULT_OUT)
    p.add_argument("--alpha", type=int, default=128, help="overlay opacity 0..255")
    p.add_argument("--band-bytes", type=int, default=96 * 1024,
                   help="largest uncompressed slice stored per big tensor")
    p.add_argument("--clean", action="store_true", help="remove every existing case folder first")
    args = p.parse_args(argv)
    if not 0 <= args.alpha <= 255:
        p.error("--alpha must be 0..255")
    for path in args.model + args.image:
        if not os.path.isfile(path):
            p.error(f"not found: {path}")
    for path in args.model:
        if not path.endswith(".tflite") or not os.path.isfile(path[: -len(".tflite")] + ".json"):
            p.error(f"{path}: needs a .tflite with its .json metadata beside it")
    os.makedirs(args.out_dir, exist_ok=True)
    if args.clean:
        for entry in os.listdir(args.out_dir):
            if os.path.isfile(os.path.join(args.out_dir, entry, "case.json")) or entry == "images":
                shutil.rmtree(os.path.join(args.out_dir, entry))
    for m in args.model:
        for i in args.image:
            make_case(m, i, args.out_dir, args.alpha, args.band_bytes)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(args.out_dir) for f in files)
    print(f"{len(args.model) * len(args.image)} cases, {total / 1024:.0f} KiB in {os.path.normpath(args.out_dir)}")


if __name__ == "__main__":
    main()
