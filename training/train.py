"""Train a segmentation model with ``model.fit``: OHEM CE on the main and aux heads,
SGD momentum + weight decay, warmup-poly LR, checkpoints and crash-safe resume.

Example (CamVid on a 2-core CPU):
  python -m training.train --dataset camvid --data-dir ../shared/data/camvid \
      --out-dir runs/camvid --batch-size 8 --crop 256 320 --epochs 60 --mixed-precision

Re-running the same command resumes from ``OUT_DIR/backup`` (BackupAndRestore) after
a crash or kill -9, losing at most the current epoch.
"""
import argparse
import json
import os
import sys
import time

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS first)
import tensorflow as tf
import tf_keras as keras

from bisenetv2_tf.builders import MODEL_NAMES, build_model
from training import datasets, pipeline
from training.callbacks import BestCheckpoint, NanGuard, NaNLossError, StepLogger
from training.losses import OhemCrossEntropy
from training.metrics import StreamingMeanIoU
from training.schedule import WarmupPoly


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m training.train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    d = p.add_argument_group("data")
    d.add_argument("--dataset", default="camvid", choices=("camvid", "cityscapes", "folder"),
                   help="folder layout (default: camvid)")
    d.add_argument("--data-dir", required=True, help="dataset root")
    d.add_argument("--train-split", default="train")
    d.add_argument("--val-split", default="val", help="'' to skip validation")
    d.add_argument("--class-file", help="classes.json (names, colors, ignore_index)")
    d.add_argument("--crop", type=int, nargs=2, default=(256, 320), metavar=("H", "W"),
                   help="training crop, multiples of 32 (default 256 320)")
    d.add_argument("--scale-range", type=float, nargs=2, default=(0.75, 2.0), metavar=("MIN", "MAX"))
    d.add_argument("--cache", action="store_true", help="cache decoded images in memory")
    d.add_argument("--skip-bad", action="store_true", help="skip (and count) unusable image/label pairs")
    d.add_argument("--no-data-check", action="store_true", help="skip the up-front file check")
    m = p.add_argument_group("model")
    m.add_argument("--model", default="bisenetv2", choices=MODEL_NAMES)
    m.add_argument("--init-weights", help="start from a .keras model or a CoinCheung .pth/.npz")
    m.add_argument("--qat", action="store_true",
                   help="quantization-aware fine-tuning of --init-weights (main head only; ranges "
                        "calibrated on --qat-calibration training images first)")
    m.add_argument("--qat-calibration", type=int, default=32, help="images for the QAT range calibration")
    o = p.add_argument_group("optimization")
    o.add_argument("--batch-size", type=int, default=8, help="global batch size (default 8)")
    o.add_argument("--epochs", type=int, default=100)
    o.add_argument("--steps-per-epoch", type=int, help="default: one pass over the training set")
    o.add_argument("--lr", type=float, help="base LR (default 0.05 * batch/16)")
    o.add_argument("--warmup-steps", type=int, default=1000)
    o.add_argument("--weight-decay", type=float, default=5e-4)
    o.add_argument("--momentum", type=float, default=0.9)
    o.add_argument("--ohem-thresh", type=float, default=0.7)
    o.add_argument("--aux-weight", type=float, default=1.0, help="weight of each aux loss (0 disables)")
    o.add_argument("--mixed-precision", action="store_true", help="mixed_bfloat16 compute")
    o.add_argument("--seed", type=int, help="seed TF, shuffling and augmentation")
    r = p.add_argument_group("run")
    r.add_argument("--out-dir", required=True, help="checkpoints, logs, final model")
    r.add_argument("--val-every", type=int, default=1, help="validate every N epochs")
    r.add_argument("--val-batch-size", type=int, default=1)
    r.add_argument("--strategy", default="default", choices=("default", "mirrored", "multiworker"),
                   help="tf.distribute strategy; multiworker reads TF_CONFIG")
    r.add_argument("--log-every", type=int, default=10, help="steps between log lines")
    args = p.parse_args(argv)
    for side in args.crop:
        if side % 32:
            p.error(f"--crop sides must be multiples of 32, got {args.crop}")
    if args.batch_size < 1 or args.epochs < 1:
        p.error("--batch-size and --epochs must be >= 1")
    if args.qat and not args.init_weights:
        p.error("--qat fine-tunes a trained model: pass --init-weights MODEL.keras")
    return args


def make_strategy(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def with_targets(ds, output_names):
    """(image, label) -> (image, {output: label}) so every head gets the same label."""
    return ds.map(lambda x, y: (x, {n: y for n in output_names}), num_parallel_calls=tf.data.AUTOTUNE)


def _shard_by_data(ds):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def init_weights(model, path):
    """Load a .keras model's weights by layer name, or a CoinCheung state_dict."""
    from bisenetv2_tf import checkpoint

    if path.endswith(".keras") or path.endswith(".h5"):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"--init-weights not found: {path}")
        source = keras.models.load_model(path, compile=False)
        by_name = {layer.name: layer for layer in source.layers}
        loaded = 0
        for layer in model.layers:
            src = by_name.get(layer.name)
            if src is None or not layer.weights:
                continue
            shapes = [tuple(w.shape) for w in layer.weights], [tuple(w.shape) for w in src.weights]
            if shapes[0] != shapes[1]:
                raise checkpoint.CheckpointMismatchError(
                    f"{path}: layer {layer.name} has shapes {shapes[1]}, model needs {shapes[0]}")
            layer.set_weights(src.get_weights())
            loaded += 1
        print(f"initialised {loaded} layers from {path}")
    else:
        ignored = checkpoint.load_state_dict(model, checkpoint.read_checkpoint(path))
        print(f"initialised from {path}" + (f" ({len(ignored)} aux keys ignored)" if ignored else ""))


def build_compiled(args, num_classes, ignore_index, total_steps, calibration=None):
    model = build_model(args.model, num_classes, aux_heads=args.aux_weight > 0 and not args.qat)
    if args.init_weights:
        init_weights(model, args.init_weights)
    if args.qat:
        from tflite.qat import calibrate, quantize

        model, report = quantize(model)
        print(f"QAT: {len(report['default'])} layers with the default 8-bit scheme, output-only "
              f"configs for {report['output_only']}")
        if calibration is not None:
            batches = calibrate(model, calibration)
            print(f"QAT: activation ranges calibrated on {batches} images")
    lr = args.lr if args.lr is not None else 0.05 * args.batch_size / 16
    schedule = WarmupPoly(lr, total_steps, 0.9, args.warmup_steps)
    optimizer = keras.optimizers.SGD(schedule, momentum=args.momentum, weight_decay=args.weight_decay)
    # Decay conv kernels only, as upstream (no decay on BN scale/shift and biases).
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    loss = OhemCrossEntropy(ignore_index, args.ohem_thresh)
    names = model.output_names
    model.compile(
        optimizer=optimizer,
        loss={n: loss for n in names},
        loss_weights={n: (1.0 if n == names[0] else args.aux_weight) for n in names},
        metrics={names[0]: [StreamingMeanIoU(num_classes, ignore_index)]},
    )
    return model


def load_data(args):
    """(train spec, val spec or None), checked up front unless --no-data-check."""
    train_spec = datasets.load_spec(args.dataset, args.data_dir, args.train_split, args.class_file)
    val_spec = (datasets.load_spec(args.dataset, args.data_dir, args.val_split, args.class_file)
                if args.val_split else None)
    if not args.no_data_check:
        t0 = time.time()
        train_spec = datasets.check_files(train_spec, args.skip_bad)
        val_spec = val_spec and datasets.check_files(val_spec, args.skip_bad)
        print(f"checked {len(train_spec)} train + {len(val_spec) if val_spec else 0} val pairs "
              f"in {time.time() - t0:.1f}s")
    return train_spec, val_spec


def main(argv=None):
    args = parse_args(argv)
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    strategy = make_strategy(args.strategy)
    os.makedirs(args.out_dir, exist_ok=True)

    try:
        train_spec, val_spec = load_data(args)
    except datasets.DatasetError as err:
        raise SystemExit(f"error: {err}") from None
    num_classes, ignore = train_spec.num_classes, train_spec.ignore_index
    if args.batch_size % strategy.num_replicas_in_sync:
        raise SystemExit(f"error: --batch-size {args.batch_size} is not divisible by "
                         f"{strategy.num_replicas_in_sync} replicas")
    steps_per_epoch = args.steps_per_epoch or max(len(train_spec) // args.batch_size, 1)
    total_steps = steps_per_epoch * args.epochs

    calibration = None
    if args.qat and not os.path.isdir(os.path.join(args.out_dir, "backup")):
        from tflite.convert import calibration_images

        first = pipeline.eval_parser(*pipeline.decode_pair(train_spec.image_paths[0], train_spec.label_paths[0],
                                                           train_spec), ignore)[0]
        calibration = calibration_images(train_spec, tuple(first.shape[:2]), args.qat_calibration, args.seed or 0)
    with strategy.scope():
        model = build_compiled(args, num_classes, ignore, total_steps, calibration)
    names = model.output_names
    aug = pipeline.AugmentConfig(crop_size=tuple(args.crop), scale_range=tuple(args.scale_range))
    train_ds = with_targets(
        pipeline.train_dataset(train_spec, args.batch_size, aug, args.seed, args.cache), names)
    val_ds = (with_targets(pipeline.eval_dataset(val_spec, args.val_batch_size, cache=args.cache), names)
              if val_spec else None)
    if args.strategy != "default":
        train_ds, val_ds = _shard_by_data(train_ds), val_ds and _shard_by_data(val_ds)

    ckpt_dir = os.path.join(args.out_dir, "checkpoints")
    monitor = f"val_{names[0]}_miou" if len(names) > 1 else "val_miou"
    ext = checkpoint_ext(args)
    callbacks = [
        NanGuard(),
        keras.callbacks.BackupAndRestore(os.path.join(args.out_dir, "backup")),
        keras.callbacks.ModelCheckpoint(os.path.join(ckpt_dir, "last" + ext)),
        keras.callbacks.CSVLogger(os.path.join(args.out_dir, "log.csv"), append=True),
        keras.callbacks.TensorBoard(os.path.join(args.out_dir, "tensorboard"), profile_batch=0),
    ]
    if val_ds is not None:
        callbacks.append(BestCheckpoint(os.path.join(ckpt_dir, "best" + ext), monitor))
    interactive = sys.stdout.isatty()
    if not interactive:
        callbacks.append(StepLogger(args.log_every, args.batch_size))
    with open(os.path.join(args.out_dir, "train_args.json"), "w") as f:
        json.dump({**vars(args), "num_classes": num_classes, "ignore_index": ignore,
                   "class_names": list(train_spec.class_names), "colors": [list(c) for c in train_spec.colors],
                   "steps_per_epoch": steps_per_epoch, "total_steps": total_steps}, f, indent=1)
    print(f"training {args.model}: {len(train_spec)} images, {num_classes} classes, "
          f"{args.epochs} epochs x {steps_per_epoch} steps, batch {args.batch_size}, crop {tuple(args.crop)}, "
          f"{strategy.num_replicas_in_sync} replica(s)", flush=True)
    t0 = time.time()
    try:
        model.fit(
            train_ds, epochs=args.epochs, steps_per_epoch=steps_per_epoch,
            validation_data=val_ds, validation_freq=args.val_every, callbacks=callbacks,
            verbose=1 if interactive else 0,
        )
    except NaNLossError as err:
        raise SystemExit(f"error: {err}; stopped. Last good checkpoint: {os.path.join(ckpt_dir, 'last' + ext)} "
                         f"(re-run resumes from {os.path.join(args.out_dir, 'backup')})") from None
    hours = (time.time() - t0) / 3600
    final = export_final(model, args, num_classes, ckpt_dir, val_ds is not None)
    print(f"done in {hours:.2f} h this run; inference model: {final}")
    return model


def checkpoint_ext(args):
    """QAT models are saved as HDF5: TFMOT's QuantizeLayer variables do not survive a
    reload from the .keras format in tf_keras 2.21 ("expected 5 variables, received 3")."""
    return ".h5" if args.qat else ".keras"


def export_final(model, args, num_classes, ckpt_dir, have_best):
    """Write OUT_DIR/model.keras: the float32 inference model (no aux heads), with the
    best-validation weights when there are any (OUT_DIR/model.h5 for a QAT model)."""
    from bisenetv2_tf.model import to_inference

    best = os.path.join(ckpt_dir, "best" + checkpoint_ext(args))
    path = os.path.join(args.out_dir, "model" + checkpoint_ext(args))
    if args.qat:
        from tflite.qat import quantize_scope

        with quantize_scope():
            if have_best and os.path.isfile(best):
                model = keras.models.load_model(best, compile=False)
            model.save(path)
        return path
    if have_best and os.path.isfile(best):
        model = keras.models.load_model(best, compile=False)
    keras.mixed_precision.set_global_policy("float32")
    fp32 = build_model(args.model, num_classes, aux_heads=len(model.outputs) > 1)
    fp32.set_weights(model.get_weights())
    to_inference(fp32).save(path)
    return path


if __name__ == "__main__":
    main()
