r"""Is the input pipeline fast enough? Images/s of the tf.data training pipeline alone
(decode + augment + batch) next to the training step rate, in one run.

  python -m benchmarks.pipeline_benchmark --data-dir ../shared/data/camvid \
      --batch-size 8 --crop 256 320 --steps 30
"""
import time

import bisenetv2_tf  # noqa: F401

from bisenetv2_tf import cli
from bisenetv2_tf.builders import build_model
from bisenetv2_tf.data import datasets, pipeline
from training.losses import OhemCrossEntropy
from training.trainer import with_targets


def main(argv=None):
    p = cli.parser("benchmarks.pipeline_benchmark", __doc__)
    cli.add_data(p, split="train", split_help="split the pipeline reads (default train)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--crop", type=int, nargs=2, default=(256, 320))
    p.add_argument("--batches", type=int, default=40, help="pipeline batches timed")
    p.add_argument("--steps", type=int, default=10, help="training steps timed")
    a = p.parse_args(argv)
    try:
        spec = datasets.load_spec(a.dataset, a.data_dir, a.split)
    except datasets.DatasetError as err:
        raise SystemExit(f"error: {err}") from None
    cfg = pipeline.AugmentConfig(crop_size=tuple(a.crop))
    rows = []
    for cache in (False, True):
        ds = pipeline.train_dataset(spec, a.batch_size, cfg, seed=0, cache=cache)
        it = iter(ds)
        if cache:  # fill the cache first: one pass over the data
            for _ in range(len(spec) // a.batch_size + 1):
                next(it)
        next(it)
        t0 = time.perf_counter()
        for _ in range(a.batches):
            next(it)
        rate = a.batches * a.batch_size / (time.perf_counter() - t0)
        rows.append((f"tf.data pipeline alone ({'files cached in memory' if cache else 'files read from disk'})", rate))
    import tf_keras as keras

    model = build_model("bisenetv2", spec.num_classes)
    model.compile(keras.optimizers.SGD(0.01, momentum=0.9),
                  loss={n: OhemCrossEntropy(spec.ignore_index) for n in model.output_names})
    batch = next(iter(with_targets(pipeline.train_dataset(spec, a.batch_size, cfg, seed=0), model.output_names)))
    model.train_on_batch(*batch)
    t0 = time.perf_counter()
    for _ in range(a.steps):
        model.train_on_batch(*batch)
    rows.append(("training step (float32, main + 4 aux losses)", a.steps * a.batch_size / (time.perf_counter() - t0)))
    step_rate = rows[-1][1]
    print(f"\n| stage (batch {a.batch_size}, crop {a.crop[0]}x{a.crop[1]}) | images/s | x training rate |")
    print("|---|---:|---:|")
    for label, rate in rows:
        print(f"| {label} | {rate:.1f} | {rate / step_rate:.1f} |")


if __name__ == "__main__":
    main()
