"""The Python reference for the web demo's tests and benchmark.

    python web_demo/tools/reference_classmap.py --model M.tflite --image I.png --out-dir D
        [--threads 2] [--bench N]

Reads the metadata JSON beside the model, preprocesses the image with
``bisenetv2_tf.runtime.metadata.preprocess_rgb`` and runs the LiteRT interpreter
(``ai_edge_litert``). Writes to --out-dir:
  image.bin     the decoded RGB image, h*w*3
  input.bin     the input tensor bytes (what the page must produce bit for bit)
  output.bin    the raw output tensor bytes
  classmap.bin  ``class_map_from_output`` as uint8, H*W
  result.json   shapes, dtypes, letterbox geometry, class counts and, with --bench N,
                the latency of N runs (set_tensor + invoke + get_tensor, as the page
                measures tensor in + run + tensor out)

  python web_demo/tools/reference_classmap.py --meta M.json --preprocess-cases D
writes random images of several sizes with their PIL-resized pixels and
``preprocess_rgb`` tensors (for the JS port's unit test; no model needed).
"""
import argparse
import json
import os
import time

import numpy as np

import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)  # the repository's bisenetv2_tf (an installed one works too)

from bisenetv2_tf.runtime import metadata  # noqa: E402  (numpy only: no TensorFlow)
from bisenetv2_tf.runtime.litert import interpreter, run_prepared  # noqa: E402

# (h, w) of the preprocessing cases for a 384 x 480 input: no resize, up, down,
# odd sizes, a half-pixel rounding case, extreme aspect ratios.
CASES = [(360, 480), (384, 480), (180, 240), (720, 960), (97, 131), (1000, 333), (333, 1000),
         (3, 5), (2000, 1), (1, 2000), (768, 1920), (641, 853), (1200, 500)]


def run_reference(model_path, image_path, out_dir, threads=2, bench=0, meta_path=None):
    from PIL import Image

    meta = metadata.read(meta_path or os.path.splitext(model_path)[0] + ".json")
    image = np.asarray(Image.open(image_path).convert("RGB"))
    x = metadata.preprocess_rgb(image, meta)
    it = interpreter(path=model_path, threads=threads)
    try:
        y = run_prepared(it, x)
    except ValueError as err:
        raise SystemExit(f"{model_path}: {err} (from the metadata)") from None
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    class_map = metadata.class_map_from_output(y, meta)
    big_h, big_w = meta["input"]["shape"][1:3]
    _, (new_h, new_w) = metadata.letterbox_geometry(image.shape[:2], (big_h, big_w))
    os.makedirs(out_dir, exist_ok=True)
    image.tofile(os.path.join(out_dir, "image.bin"))
    x.tofile(os.path.join(out_dir, "input.bin"))
    y.tofile(os.path.join(out_dir, "output.bin"))
    class_map.astype(np.uint8).tofile(os.path.join(out_dir, "classmap.bin"))
    valid = class_map[:new_h, :new_w]
    result = {
        "model": os.path.abspath(model_path), "image": os.path.abspath(image_path),
        "image_hw": list(image.shape[:2]), "input_hw": [big_h, big_w], "resized_hw": [new_h, new_w],
        "input_dtype": x.dtype.name, "output_dtype": y.dtype.name, "output_shape": list(y.shape),
        "counts": np.bincount(valid.ravel(), minlength=meta["num_classes"]).tolist(),
        "threads": threads,
    }
    if bench:
        times = []
        for _ in range(bench):
            t0 = time.perf_counter()
            it.set_tensor(inp["index"], x)
            it.invoke()
            it.get_tensor(out["index"])
            times.append(1000 * (time.perf_counter() - t0))
        result["bench_ms"] = times
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    return result


def preprocess_cases(meta_path, out_dir, seed=0):
    """Random RGB images -> PIL bilinear resize and preprocess_rgb, for the JS unit test."""
    from PIL import Image

    meta = metadata.read(meta_path)
    big_h, big_w = meta["input"]["shape"][1:3]
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    cases = []
    for i, (h, w) in enumerate(CASES):
        # Smooth gradients plus noise: resizing averages real structure, not just noise.
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)),
                         ((xx + yy) * 7) % 256], -1)
        image = np.clip(base + rng.integers(-40, 41, (h, w, 3)), 0, 255).astype(np.uint8)
        _, (new_h, new_w) = metadata.letterbox_geometry((h, w), (big_h, big_w))
        resized = image if (new_h, new_w) == (h, w) else np.asarray(
            Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))
        x = metadata.preprocess_rgb(image, meta)
        image.tofile(os.path.join(out_dir, f"case{i}.rgb"))
        resized.tofile(os.path.join(out_dir, f"case{i}.resized"))
        x.tofile(os.path.join(out_dir, f"case{i}.tensor"))
        cases.append({"h": h, "w": w, "new_h": new_h, "new_w": new_w, "dtype": x.dtype.name,
                      "prefix": f"case{i}"})
    import PIL

    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump({"meta": os.path.abspath(meta_path), "pillow": PIL.__version__, "cases": cases}, f, indent=1)
    return cases


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help=".tflite model (metadata .json beside it)")
    p.add_argument("--meta", help="metadata .json (default: beside --model)")
    p.add_argument("--image", help="RGB image file")
    p.add_argument("--out-dir", help="where the reference files go")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bench", type=int, default=0, help="also time N runs")
    p.add_argument("--preprocess-cases", metavar="DIR", help="write preprocessing cases for --meta to DIR")
    args = p.parse_args(argv)
    if args.preprocess_cases:
        if not args.meta:
            p.error("--preprocess-cases needs --meta")
        cases = preprocess_cases(args.meta, args.preprocess_cases)
        print(json.dumps({"cases": len(cases)}))
        return
    if not (args.model and args.image and args.out_dir):
        p.error("--model, --image and --out-dir are required")
    for path in (args.model, args.image):
        if not os.path.isfile(path):
            raise SystemExit(f"missing: {path}")
    result = run_reference(args.model, args.image, args.out_dir, args.threads, args.bench, args.meta)
    summary = {k: v for k, v in result.items() if k != "bench_ms"}
    if "bench_ms" in result:
        summary["bench_median_ms"] = float(np.median(result["bench_ms"]))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
