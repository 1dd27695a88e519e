#!/usr/bin/env python3
"""Latency of a .tflite model on this CPU with Python's LiteRT (ai-edge-litert, XNNPACK).

Used by core/bench.sh to print the model's time next to the Java pre/post-processing times
measured on the same machine. Random input of the model's shape and type; a few warm-up
invocations, then the median (and the 10th percentile) of the timed ones, in milliseconds.

    python android_demo/tools/model_latency.py MODEL.tflite [--threads 1 2] [--runs 50]

Prints one line per thread count: ``model_ms.threads<N>=<median> p10=<p10>``.
"""
import argparse
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, nargs="+", default=[1])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    from ai_edge_litert.interpreter import Interpreter

    for threads in args.threads:
        it = Interpreter(model_path=args.model, num_threads=threads)
        it.allocate_tensors()
        inp = it.get_input_details()[0]
        rng = np.random.default_rng(0)
        if np.issubdtype(inp["dtype"], np.integer):
            info = np.iinfo(inp["dtype"])
            x = rng.integers(info.min, info.max + 1, inp["shape"]).astype(inp["dtype"])
        else:
            x = rng.standard_normal(inp["shape"]).astype(inp["dtype"])
        it.set_tensor(inp["index"], x)
        for _ in range(args.warmup):
            it.invoke()
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            it.invoke()
            times.append((time.perf_counter() - t) * 1e3)
        print(f"model_ms.threads{threads}={np.median(times):.2f} p10={np.percentile(times, 10):.2f}", flush=True)


if __name__ == "__main__":
    main()
