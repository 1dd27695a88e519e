r"""Recorded camera frames and the Python reference for the desktop-JVM run of the app's
inference path (``LiteRtDesktopTest``, run by ``build_apk.sh --check``).

For each image (RGB, upright) it writes two camera2-style YUV_420_888 frames, as a camera
would deliver them:

* ``<image>_nv21_r0``: semi-planar NV21 (one VU plane, pixel stride 2), rows unpadded, the
  sensor upright (rotation 0);
* ``<image>_i420_r90``: planar I420 (pixel stride 1) with padded rows (row stride a multiple
  of 64, more than the width), the sensor turned: the frame is the image turned 90 degrees
  counterclockwise, so the app's clockwise 90 degrees makes it upright again (a phone held
  upright with a 90-degree sensor).

RGB -> YUV is full-range BT.601 (JFIF), chroma from 2x2 means. Then, per model in
``--assets`` and frame, the reference: the frame's planes decoded with the arithmetic the
app's ``YuvConverter`` documents (16.16 fixed point, full-range BT.601), turned upright,
preprocessed by ``bisenetv2_tf.runtime.metadata.preprocess_rgb`` (the project's contract),
run on ``ai_edge_litert`` (default kernels: XNNPACK, 2 threads) and turned into a class map
by ``class_map_from_output`` on the letterbox's valid region.

Output folder::

  frames.json              frames (file, size, rotation, planes: offset, row and pixel stride)
                           and models (per frame: reference files, valid region)
  <frame>.yuv              the frame's bytes (Y plane, then the chroma plane(s))
  ref/<model>__<frame>.input.bin     the reference input tensor (raw, no batch axis)
  ref/<model>__<frame>.output.bin    the interpreter's raw output for it
  ref/<model>__<frame>.classmap.bin  uint8 class ids of the valid region, rh x rw

  python frames.py --assets android_demo/build/assets --images android_demo/tools/fixtures/*.png \
      --out android_demo/build/desktop-litert/frames
"""
import argparse
import glob
import importlib.util
import json
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
THREADS = 2


def load_metadata_module():
    # by file path: importing the bisenetv2_tf package would load TensorFlow
    path = os.path.join(REPO, "bisenetv2_tf", "runtime", "metadata.py")
    spec = importlib.util.spec_from_file_location("bisenet_metadata", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def rgb_to_yuv420(rgb):
    """(h, w, 3) uint8, h and w even -> Y (h, w), U (h/2, w/2), V (h/2, w/2) uint8, full-range BT.601."""
    f = rgb.astype(np.float64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    h, w = rgb.shape[:2]
    m = f.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    u = -0.168736 * m[..., 0] - 0.331264 * m[..., 1] + 0.5 * m[..., 2] + 128
    v = 0.5 * m[..., 0] - 0.418688 * m[..., 1] - 0.081312 * m[..., 2] + 128
    return [np.clip(np.floor(p + 0.5), 0, 255).astype(np.uint8) for p in (y, u, v)]


def yuv420_to_rgb(y, u, v):
    """The app's YuvConverter: R = Y + (32768 + 91881 V') >> 16, G = Y + (32768 - 22554 U' - 46802 V') >> 16,
    B = Y + (32768 + 116130 U') >> 16 (U' = U - 128, V' = V - 128; >> floors), clamped; chroma at (row/2, col/2)."""
    h, w = y.shape
    uu = u.astype(np.int64)[np.arange(h)[:, None] // 2, np.arange(w)[None, :] // 2] - 128
    vv = v.astype(np.int64)[np.arange(h)[:, None] // 2, np.arange(w)[None, :] // 2] - 128
    yy = y.astype(np.int64)
    r = yy + ((32768 + 91881 * vv) >> 16)
    g = yy + ((32768 - 22554 * uu - 46802 * vv) >> 16)
    b = yy + ((32768 + 116130 * uu) >> 16)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def write_frame(out_dir, name, y, u, v, layout, rotation):
    """Planes -> <name>.yuv in camera2's layout; returns the frame's manifest entry."""
    h, w = y.shape
    if layout == "nv21":
        stride = w
        vu = np.empty((h // 2, w), np.uint8)
        vu[:, 0::2], vu[:, 1::2] = v, u
        data = y.tobytes() + vu.tobytes()
        chroma = h * stride
        planes = {"y": [0, stride, 1], "u": [chroma + 1, stride, 2], "v": [chroma, stride, 2]}
    else:  # i420, rows padded to a multiple of 64 (at least 64 bytes more than the width)
        stride = (w + 64 + 63) // 64 * 64
        cstride = (w // 2 + 64 + 63) // 64 * 64
        pad = lambda p, s: np.pad(p, ((0, 0), (0, s - p.shape[1])), constant_values=7).tobytes()  # noqa: E731
        data = pad(y, stride) + pad(u, cstride) + pad(v, cstride)
        uo = h * stride
        planes = {"y": [0, stride, 1], "u": [uo, cstride, 1], "v": [uo + (h // 2) * cstride, cstride, 1]}
    with open(os.path.join(out_dir, name + ".yuv"), "wb") as f:
        f.write(data)
    entry = {"name": name, "file": name + ".yuv", "width": w, "height": h, "rotation": rotation, "layout": layout}
    for p, (offset, row, pixel) in planes.items():
        entry[p] = {"offset": offset, "rowStride": row, "pixelStride": pixel}
    return entry


def frames_of(path):
    """An image -> [(frame name, Y, U, V, layout, rotation)] (even sizes: odd ones lose a row/column)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    rgb = np.asarray(Image.open(path).convert("RGB"))
    rgb = rgb[: rgb.shape[0] // 2 * 2, : rgb.shape[1] // 2 * 2]
    out = [(f"{stem}_nv21_r0", *rgb_to_yuv420(rgb), "nv21", 0)]
    sensor = np.ascontiguousarray(np.rot90(rgb, 1))  # counterclockwise: the app turns it back by 90 clockwise
    out.append((f"{stem}_i420_r90", *rgb_to_yuv420(sensor), "i420", 90))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--assets", required=True, help="the APK's assets: *.tflite + their .json")
    p.add_argument("--images", nargs="+", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    from ai_edge_litert.interpreter import Interpreter

    meta_mod = load_metadata_module()
    os.makedirs(os.path.join(args.out, "ref"), exist_ok=True)
    frames, upright = [], {}
    for path in args.images:
        for name, y, u, v, layout, rotation in frames_of(path):
            frames.append(write_frame(args.out, name, y, u, v, layout, rotation))
            # the reference decodes what was written, then turns it upright (clockwise)
            upright[name] = np.ascontiguousarray(np.rot90(yuv420_to_rgb(y, u, v), -rotation // 90))
    models = {}
    for model_path in sorted(glob.glob(os.path.join(args.assets, "*.tflite"))):
        model = os.path.basename(model_path)
        with open(model_path[: -len(".tflite")] + ".json") as f:
            meta = json.load(f)
        it = Interpreter(model_path=model_path, num_threads=THREADS)
        it.allocate_tensors()
        inp, outp = it.get_input_details()[0], it.get_output_details()[0]
        cases = {}
        for name, rgb in upright.items():
            x = meta_mod.preprocess_rgb(rgb, meta)
            it.set_tensor(inp["index"], x)
            it.invoke()
            y = it.get_tensor(outp["index"])
            _, (rh, rw) = meta_mod.letterbox_geometry(rgb.shape[:2], meta["input"]["shape"][1:3])
            cmap = meta_mod.class_map_from_output(y, meta)[:rh, :rw].astype(np.uint8)
            key = f"ref/{model}__{name}"
            for suffix, arr in ((".input.bin", x), (".output.bin", y), (".classmap.bin", cmap)):
                with open(os.path.join(args.out, key + suffix), "wb") as f:
                    f.write(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())
            cases[name] = {"input": key + ".input.bin", "output": key + ".output.bin",
                           "classMap": key + ".classmap.bin", "validHeight": rh, "validWidth": rw,
                           "imageHeight": rgb.shape[0], "imageWidth": rgb.shape[1]}
        models[model] = {"inputDtype": str(x.dtype), "outputDtype": str(y.dtype), "frames": cases}
        print(f"reference: {model} on {len(cases)} frames (ai-edge-litert, {THREADS} threads)")
    from importlib.metadata import version

    manifest = {"format": "bisenetv2-tf/desktop-frames", "version": 1, "threads": THREADS,
                "aiEdgeLitert": version("ai-edge-litert"), "frames": frames, "models": models}
    with open(os.path.join(args.out, "frames.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(frames)} frames from {len(args.images)} images -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
