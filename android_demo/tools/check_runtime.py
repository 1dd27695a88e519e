"""Do the models the APK carries load, and give the project's class maps, on the LiteRT
release series the APK ships? Used by ``build_apk.sh --check`` in two steps:

1. ``reference`` (the project's LiteRT, ``ai_edge_litert`` as pinned in requirements.txt):
   preprocesses each test image for each model exactly like
   ``bisenetv2_tf.runtime.metadata.preprocess_rgb`` (the contract the app's Java core
   reproduces bit for bit), runs the interpreter with its default kernels and, for INT8
   models, with the reference kernels, and saves inputs and outputs to an ``.npz``.
2. ``compare`` (the Python build of the APK's LiteRT series, ``--expect-version``): loads each
   model, runs the saved inputs the same two ways and compares class maps (on the letterbox's
   valid region, which is what the app shows) and raw reference-kernel outputs.

The APK's Android library (libLiteRt.so, bionic) cannot run on this machine; PyPI's
ai-edge-litert of the same release series is the closest runtime that can. When both steps
run the same ai-edge-litert version (today: the APK ships 2.3.2, PyPI's newest 2.3 build is
2.3.0, the project's pin), equality is expected everywhere; the check still proves that every
shipped model loads and runs on that series.

Pass criteria (any failure exits 1): every model loads and runs; FP16 class maps are
identical; INT8 raw outputs from the reference kernels are bit-identical; INT8 class maps from
the default (optimized) kernels agree on at least ``--min-int8-agreement`` of the pixels
(optimized integer kernels round halfway cases differently across versions, so identity is not
expected there in general; the figure is printed).
"""
import argparse
import glob
import importlib.util
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def load_metadata_module():
    # by file path: importing the bisenetv2_tf package would load TensorFlow
    spec = importlib.util.spec_from_file_location("bisenet_metadata", os.path.join(REPO, "bisenetv2_tf", "runtime", "metadata.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_interpreter(path, reference_kernels):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kwargs = {"model_path": path, "num_threads": 2}
    if reference_kernels:
        kwargs["experimental_op_resolver_type"] = OpResolverType.BUILTIN_REF
    it = Interpreter(**kwargs)
    it.allocate_tensors()
    return it


def run(it, x):
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it.get_tensor(it.get_output_details()[0]["index"]).copy()


def models_in(assets):
    models = sorted(os.path.basename(p) for p in glob.glob(os.path.join(assets, "*.tflite")))
    if not models:
        raise SystemExit(f"check_runtime: no .tflite in {assets}")
    return models


def reference(args):
    meta_mod = load_metadata_module()
    from PIL import Image

    images = []
    for path in args.images:
        images.append((os.path.splitext(os.path.basename(path))[0], np.asarray(Image.open(path).convert("RGB"))))
    out = {}
    for model in models_in(args.assets):
        with open(os.path.join(args.assets, model[: -len(".tflite")] + ".json")) as f:
            meta = json.load(f)
        path = os.path.join(args.assets, model)
        it = make_interpreter(path, False)
        ref_it = make_interpreter(path, True) if meta["input"]["dtype"] in ("uint8", "int8") else None
        for i, (name, rgb) in enumerate(images):
            key = f"{model}__{name}"
            x = meta_mod.preprocess_rgb(rgb, meta)
            _, (rh, rw) = meta_mod.letterbox_geometry(rgb.shape[:2], meta["input"]["shape"][1:3])
            out[f"input::{key}"] = x
            out[f"valid::{key}"] = np.array([rh, rw], np.int32)
            out[f"default::{key}"] = run(it, x)
            if ref_it is not None and (args.reference_images is None or i < args.reference_images):
                out[f"ref::{key}"] = run(ref_it, x)
        print(f"reference: {model} on {len(images)} images")
    np.savez_compressed(args.out, **out)


def compare(args):
    from importlib.metadata import version as package_version

    version = package_version("ai-edge-litert")
    if args.expect_version and version != args.expect_version:
        print(f"FAIL ai-edge-litert is {version}, expected {args.expect_version}")
        return 1
    data = np.load(args.reference)
    keys = sorted(k.split("::", 1)[1] for k in data.files if k.startswith("input::"))
    failures = 0
    for model in models_in(args.assets):
        with open(os.path.join(args.assets, model[: -len(".tflite")] + ".json")) as f:
            meta = json.load(f)
        path = os.path.join(args.assets, model)
        mkeys = [k for k in keys if k.startswith(model + "__")]
        try:
            it = make_interpreter(path, False)
        except Exception as err:  # noqa: BLE001  (report any load failure)
            print(f"FAIL {model}: does not load on ai-edge-litert {version}: {err}")
            failures += 1
            continue
        quantized = meta["input"]["dtype"] in ("uint8", "int8")
        same = total = 0
        worst = 1.0
        for key in mkeys:
            rh, rw = data[f"valid::{key}"]
            a = np.argmax(data[f"default::{key}"][0], axis=-1)[:rh, :rw]
            b = np.argmax(run(it, data[f"input::{key}"])[0], axis=-1)[:rh, :rw]
            eq = int((a == b).sum())
            same += eq
            total += a.size
            worst = min(worst, eq / a.size)
        agreement = same / total
        line = (f"{model}: loads on ai-edge-litert {version}; class maps vs the reference step on "
                f"{len(mkeys)} images: {100 * agreement:.3f}% of {total} pixels equal "
                f"(worst image {100 * worst:.3f}%)")
        if quantized:
            ref_keys = [k for k in mkeys if f"ref::{k}" in data.files]
            ref_it = make_interpreter(path, True)
            identical = sum(np.array_equal(run(ref_it, data[f"input::{k}"]), data[f"ref::{k}"]) for k in ref_keys)
            line += f"; reference kernels: raw output bit-identical on {identical}/{len(ref_keys)} images"
            ok = identical == len(ref_keys) and len(ref_keys) > 0 and agreement >= args.min_int8_agreement
        else:
            ok = same == total
        print(("ok   " if ok else "FAIL ") + line)
        failures += 0 if ok else 1
    return 1 if failures else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("reference", help="the project's LiteRT: inputs + outputs to an .npz")
    r.add_argument("--assets", required=True)
    r.add_argument("--images", nargs="+", required=True)
    r.add_argument("--reference-images", type=int, default=None,
                   help="how many images per INT8 model also run with the (slower) reference kernels "
                        "(default: all)")
    r.add_argument("--out", required=True)
    c = sub.add_parser("compare", help="the APK's LiteRT series: run the saved inputs and compare")
    c.add_argument("--assets", required=True)
    c.add_argument("--reference", required=True)
    c.add_argument("--expect-version", default=None)
    c.add_argument("--min-int8-agreement", type=float, default=0.95)
    args = p.parse_args(argv)
    if args.cmd == "reference":
        reference(args)
        return 0
    return compare(args)


if __name__ == "__main__":
    sys.exit(main())
