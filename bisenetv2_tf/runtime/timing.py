"""The one latency loop: benchmarks, quant_report, quickstart and cpu_check time with it."""
import time

import numpy as np


def interleaved_stats(runners, runs, warmup=3):
    """[(median ms, p90 ms)] per runner, timed in rounds that call every runner once.

    Interleaving spreads the machine's slow phases (other VMs, throttling) over all rows
    alike, so ratios between rows stay meaningful on a noisy machine."""
    for _ in range(warmup):
        for fn in runners:
            fn()
    times = [[] for _ in runners]
    for _ in range(runs):
        for fn, bucket in zip(runners, times):
            t0 = time.perf_counter()
            fn()
            bucket.append(1000 * (time.perf_counter() - t0))
    return [(float(np.median(t)), float(np.percentile(t, 90))) for t in times]
