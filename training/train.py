r"""Train a segmentation model with ``model.fit``: OHEM CE on the main and aux heads,
SGD momentum + weight decay, warmup-poly LR, checkpoints and crash-safe resume.

Example (CamVid on a 2-core CPU):
  python -m training.train --dataset camvid --data-dir ../shared/data/camvid \
      --out-dir runs/camvid --batch-size 8 --crop 256 320 --epochs 60
  python -m training.train ... --arch bisenetv1          # another architecture

Re-running the same command resumes the run from OUT_DIR/state (weights, optimizer,
step counter, LR schedule position; the augmentation stream is a function of seed and
step), losing at most the current epoch; a finished run is left alone. --extend
continues a run to a larger --epochs, --restart starts over. With
--commit-state-every H the state is committed to git every H hours and on SIGTERM, so
the same command resumes the run on a fresh clone on another machine.
"""
import csv
import json
import math
import os
import shutil
import sys
import time

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS first)
import tensorflow as tf
import tf_keras as keras

from bisenetv2_tf import checkpoint, cli
from bisenetv2_tf.builders import build_model
from bisenetv2_tf.data import datasets, pipeline, protocols
from bisenetv2_tf.data.class_frequency import class_pixel_counts, median_frequency_weights
from bisenetv2_tf.runtime import model_info
from bisenetv2_tf.runtime.calibration import calibration_images
from bisenetv2_tf.evaluation.metrics import StreamingMeanIoU
from bisenetv2_tf.fileio import atomic_write, check_writable_dir
from bisenetv2_tf.model import to_inference
from bisenetv2_tf.qat import calibrate, quantize, quantize_scope
from training import precision, run_state
from training.aux_resolution import own_resolution_aux
from training.callbacks import NanGuard, NaNLossError, RunawayGuard, StepLogger
from training.losses import OhemCrossEntropy
from training.schedule import WarmupPoly


# --class-weights: the power of the median-frequency weights.
CLASS_WEIGHT_POWERS = {"median-frequency": 1.0, "sqrt-median-frequency": 0.5}


def parse_args(argv=None):
    p = cli.parser("training.train", __doc__)
    d = p.add_argument_group("data")
    d.add_argument("--dataset", default="camvid", choices=cli.DATASETS, help=cli.DATASET_HELP + " (default: camvid)")
    d.add_argument("--data-dir", required=True, help="dataset root")
    d.add_argument("--train-split", default="train")
    d.add_argument("--val-split", default="val", help="'' to skip validation")
    d.add_argument("--protocol", choices=tuple(protocols.PROTOCOLS),
                   help="train and validate by a fixed protocol instead of --train-split/--val-split: "
                        + "; ".join(f"{p.name}: {p.summary}" for p in protocols.PROTOCOLS.values()))
    d.add_argument("--class-file", help="classes.json (names, colors, ignore_index)")
    d.add_argument("--crop", type=int, nargs=2, default=(256, 320), metavar=("H", "W"),
                   help="training crop, multiples of 32 (default 256 320)")
    d.add_argument("--scale-range", type=float, nargs=2, default=(0.75, 2.0), metavar=("MIN", "MAX"))
    d.add_argument("--color-jitter", type=float, default=pipeline.AugmentConfig.brightness, metavar="X",
                   help="photometric jitter: brightness, contrast and saturation each scaled by a factor "
                        f"drawn from [1-X, 1+X] (default {pipeline.AugmentConfig.brightness}; 0: none)")
    d.add_argument("--cache", action="store_true", help="keep the image and label files in memory (train: encoded; val: decoded)")
    d.add_argument("--skip-bad", action="store_true", help="skip (and count) unusable image/label pairs")
    d.add_argument("--no-data-check", action="store_true", help="skip the up-front file check")
    m = p.add_argument_group("model")
    cli.add_arch(m, dest="model")
    m.add_argument("--init-weights", help="start from a .keras model or a CoinCheung .pth/.npz")
    m.add_argument("--qat", action="store_true",
                   help="quantization-aware fine-tuning of --init-weights (main head only; ranges "
                        "calibrated on --num-calibration training images first)")
    cli.add_num_calibration(m, default=32, dest="qat_calibration", old=("--qat-calibration",),
                            help="training images for the QAT range calibration (default 32)")
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
    o.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep an exponential moving average of the weights (decay such as 0.999) and export "
                        "it at the end of the run (instead of --export's choice); validation during the run "
                        "scores the raw weights (default 0: off)")
    o.add_argument("--aux-resolution", choices=("full", "own"), default="full",
                   help="score each aux head at the input size (full, as upstream; default) or at its own "
                        "resolution, 1/2 to 1/16 of it, against nearest-resized labels (own: a faster step)")
    o.add_argument("--class-weights", default="none", choices=("none", *CLASS_WEIGHT_POWERS),
                   help="per-class weights of the OHEM CE, computed from the training labels at start: "
                        "median-frequency (SegNet's CamVid weighting) or its square root, a milder lift "
                        "of thin, rare classes such as Pole and SignSymbol (default none, as upstream; "
                        "on CamVid with OHEM, median-frequency cost 19 mIoU: see README)")
    o.add_argument("--precision", default="auto", choices=precision.PRECISIONS,
                   help="compute precision; auto: mixed_bfloat16 where the CPU has bf16 in hardware "
                        "(avx512_bf16/amx_bf16), else float32; QAT is always float32 (default auto)")
    o.add_argument("--mixed-precision", dest="precision", action="store_const", const="mixed_bfloat16",
                   help="same as --precision mixed_bfloat16")
    o.add_argument("--seed", type=int, help="seed of TF, shuffling and augmentation (default: drawn, and "
                   "kept in the run state)")
    r = p.add_argument_group("run")
    r.add_argument("--out-dir", required=True, help="checkpoints, logs, final model")
    r.add_argument("--val-every", type=int, default=1, help="validate every N epochs")
    r.add_argument("--val-batch-size", type=int, default=1)
    r.add_argument("--strategy", default="default", choices=("default", "mirrored", "multiworker"),
                   help="tf.distribute strategy; multiworker reads TF_CONFIG")
    r.add_argument("--log-every", type=int, default=10, help="steps between log lines")
    r.add_argument("--export", choices=("best", "last"), default="best",
                   help="weights of OUT_DIR/model.keras: the best validated epoch (default; the last "
                        "epoch without validation) or the last epoch")
    r.add_argument("--extend", action="store_true",
                   help="continue a run (finished or not) to a larger --epochs; the LR schedule is "
                        "rebuilt for the new total")
    r.add_argument("--restart", action="store_true", help="delete OUT_DIR's run state, logs and "
                   "checkpoints and start over")
    r.add_argument("--commit-state-every", type=float, default=0.0, metavar="HOURS",
                   help="git-commit OUT_DIR/state, log.csv and train_args.json every HOURS hours, "
                        "after the last epoch and on SIGTERM (which ends the run after the current "
                        "epoch); 0: never (default)")
    args = p.parse_args(argv)
    check_numbers(p, args)
    if args.qat and not args.init_weights:
        p.error("--qat fine-tunes a trained model: pass --init-weights MODEL.keras")
    if args.extend and args.restart:
        p.error("--extend and --restart exclude each other")
    if args.protocol and (args.train_split, args.val_split) != ("train", "val"):
        p.error(f"--protocol {args.protocol} sets the training and validation frames: drop --train-split "
                f"and --val-split")
    return args


def check_numbers(parser, args):
    """Every numeric flag checked before any work (exit 2 naming the flag)."""
    def need(ok, flag, what):
        if not ok:
            parser.error(f"{flag} must be {what}, got {getattr(args, flag[2:].replace('-', '_'))}")

    need(all(s > 0 and s % 32 == 0 for s in args.crop), "--crop", "positive multiples of 32")
    lo, hi = args.scale_range
    need(0 < lo <= hi and math.isfinite(hi), "--scale-range", "0 < MIN <= MAX")
    for flag in ("--batch-size", "--epochs", "--val-every", "--val-batch-size", "--log-every"):
        need(getattr(args, flag[2:].replace("-", "_")) >= 1, flag, ">= 1")
    if args.qat_calibration < 1:
        parser.error(f"--num-calibration must be >= 1, got {args.qat_calibration}")
    need(args.steps_per_epoch is None or args.steps_per_epoch >= 1, "--steps-per-epoch", ">= 1")
    need(args.lr is None or (args.lr > 0 and math.isfinite(args.lr)), "--lr", "a finite number > 0")
    need(args.warmup_steps >= 0, "--warmup-steps", ">= 0")
    need(0 <= args.weight_decay < 1, "--weight-decay", "in [0, 1)")
    need(0 <= args.momentum < 1, "--momentum", "in [0, 1)")
    need(0 < args.ohem_thresh <= 1, "--ohem-thresh", "in (0, 1]")
    need(0 <= args.aux_weight and math.isfinite(args.aux_weight), "--aux-weight", "a finite number >= 0")
    need(0 <= args.color_jitter < 1, "--color-jitter", "in [0, 1)")
    need(0 <= args.ema < 1, "--ema", "in [0, 1)")
    need(0 <= args.commit_state_every and math.isfinite(args.commit_state_every), "--commit-state-every",
         "a finite number >= 0")


def make_strategy(name):
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def worker_out_dir(out_dir, strategy):
    """OUT_DIR for the chief; OUT_DIR/worker-N for the other workers of a multi-worker
    run, so workers sharing one folder never write the same file (training is
    synchronous: every worker holds the same weights, and each resumes from its own state)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type, task_id = getattr(resolver, "task_type", None), getattr(resolver, "task_id", None)
    if task_type in (None, "chief") or (task_type == "worker" and not task_id):
        return out_dir
    path = os.path.join(out_dir, f"{task_type}-{task_id}")
    os.makedirs(path, exist_ok=True)
    return path


def with_targets(ds, output_names):
    """(image, label) -> (image, {output: label}) so every head gets the same label."""
    return ds.map(lambda x, y: (x, {n: y for n in output_names}), num_parallel_calls=tf.data.AUTOTUNE)


def _shard_by_data(ds):
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def init_weights(model, path, num_classes):
    """Load a .keras/.h5 model's weights by layer name, or a CoinCheung state_dict.

    A source with another class count gives every layer but the class-count ones (the
    main head's and the aux heads' last convolutions, whose shapes differ only in their
    last axis): those keep their fresh initialisation, and the message names them. Any
    other shape mismatch, or a source that matches none of the model's layers, is a
    ``CheckpointMismatchError`` naming the file.
    """
    if not (path.endswith(".keras") or path.endswith(".h5")):
        ignored = checkpoint.load_state_dict(model, checkpoint.read_checkpoint(path))
        print(f"initialised from {path}" + (f" ({len(ignored)} aux keys ignored)" if ignored else ""))
        return
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--init-weights not found: {path}")
    try:
        with quantize_scope():
            source = keras.models.load_model(path, compile=False)
    except Exception as err:  # Keras raises many types for a file that is not a model
        raise checkpoint.CheckpointMismatchError(f"--init-weights {path}: not a loadable Keras model "
                                                 f"({type(err).__name__}: {str(err)[:200]})") from None
    by_name = {layer.name: layer for layer in source.layers}
    layers = [layer for layer in model.layers if layer.weights]
    loaded, missing, reinit = 0, [], []
    for layer in layers:
        src = by_name.get(layer.name)
        if src is None or len(src.weights) != len(layer.weights):
            missing.append(layer.name)
            continue
        ours, theirs = [tuple(w.shape) for w in layer.weights], [tuple(w.shape) for w in src.weights]
        if ours != theirs:
            if all(a[:-1] == b[:-1] and a[-1] == num_classes for a, b in zip(ours, theirs)):
                reinit.append(layer.name)
                continue
            raise checkpoint.CheckpointMismatchError(
                f"{path}: layer {layer.name} has shapes {theirs}, model needs {ours}")
        layer.set_weights(src.get_weights())
        loaded += 1
    if not loaded:
        raise checkpoint.CheckpointMismatchError(
            f"--init-weights {path}: none of the model's {len(layers)} layers with weights match it by name and "
            f"shape ({source.name} vs {model.name}); is it a model of another architecture (--arch)?")
    print(f"initialised {loaded} of {len(layers)} layers from {path}"
          + (f"; {len(missing)} not in it ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}), "
             "freshly initialised" if missing else "")
          + (f"; re-initialised for {num_classes} classes: {', '.join(reinit)}" if reinit else ""))


def build_compiled(args, num_classes, ignore_index, total_steps, calibration=None, class_weights=None):
    aux = args.aux_weight > 0 and not args.qat
    model = build_model(args.model, num_classes, aux_heads=aux)
    if args.init_weights:
        init_weights(model, args.init_weights, num_classes)
    if args.qat:
        model, report = quantize(model)
        print(f"QAT: {len(report['default'])} layers with the default 8-bit scheme, output-only "
              f"configs for {report['output_only']}")
        if calibration is not None:
            batches = calibrate(model, calibration)
            print(f"QAT: activation ranges calibrated on {batches} images")
    if aux and args.aux_resolution == "own":
        model = own_resolution_aux(model)
    lr = args.lr if args.lr is not None else 0.05 * args.batch_size / 16
    schedule = WarmupPoly(lr, total_steps, 0.9, args.warmup_steps)
    optimizer = keras.optimizers.SGD(schedule, momentum=args.momentum, weight_decay=args.weight_decay,
                                     use_ema=args.ema > 0, ema_momentum=args.ema or 0.99)
    # Decay conv kernels only, as upstream (no decay on BN scale/shift and biases).
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    loss = OhemCrossEntropy(ignore_index, args.ohem_thresh, class_weights=class_weights)
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
    if args.protocol:
        train_spec, val_spec = protocols.protocol_specs(args.protocol, args.dataset, args.data_dir, args.class_file)
        print(f"--protocol {args.protocol}: training on " + ", ".join(
            f"{d} {n}" for d, n in protocols.drive_counts(train_spec).items())
            + f"; validating on held-out drive " + ", ".join(
            f"{d} {n}" for d, n in protocols.drive_counts(val_spec).items()))
    else:
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


# Flags that define a run: resuming with another value of any of them is refused.
RUN_FLAGS = ("model", "dataset", "train_split", "class_file", "crop", "scale_range", "batch_size", "epochs",
             "steps_per_epoch", "lr", "warmup_steps", "weight_decay", "momentum", "ohem_thresh", "aux_weight",
             "seed", "qat", "init_weights", "qat_calibration", "class_weights", "protocol", "aux_resolution", "color_jitter", "ema")

# What a run state written before a flag existed meant by it.
FLAG_DEFAULTS = {"class_weights": "none", "protocol": None, "aux_resolution": "full",
                 "color_jitter": pipeline.AugmentConfig.brightness, "ema": 0.0}


# Run-state keys whose command-line spelling is not the key with dashes.
FLAG_SPELLING = {"model": "arch", "qat_calibration": "num-calibration"}


def run_flags(args, steps_per_epoch, seed):
    flags = {k: getattr(args, k) for k in RUN_FLAGS}
    flags.update(steps_per_epoch=steps_per_epoch, seed=seed, crop=list(args.crop),
                 scale_range=list(args.scale_range))
    return flags


def resolve_state(args, steps_per_epoch):
    """The run state to continue, or a new one; None when the run is complete and
    its model exported (nothing to do). Exits with one line when flags differ."""
    state = run_state.read(args.out_dir)
    if state is None:
        seed = args.seed if args.seed is not None else pipeline.draw_seed()
        flags = run_flags(args, steps_per_epoch, seed)
        return {"epoch": 0, "step": 0, "epochs": args.epochs, "flags": flags, "best": None, "complete": False,
                "hours": 0.0}
    old = state["flags"]
    flags = run_flags(args, steps_per_epoch, args.seed if args.seed is not None else old["seed"])
    extending = args.extend and flags["epochs"] != old["epochs"]
    if extending and flags["epochs"] <= state["epoch"]:
        raise SystemExit(f"error: --epochs {args.epochs}: the run in {args.out_dir} has done {state['epoch']} "
                         f"epochs already; --extend needs more")
    old = FLAG_DEFAULTS | old
    differ = [k for k in RUN_FLAGS if flags[k] != old.get(k) and not (k == "epochs" and extending)]
    if differ:
        shown = ", ".join(f"--{FLAG_SPELLING.get(k, k.replace('_', '-'))} (run: {old.get(k)}, now: {flags[k]})"
                          for k in differ)
        raise SystemExit(f"error: {args.out_dir} holds a run made with other flags: {shown}; re-run with the "
                         f"run's flags (see {os.path.join(args.out_dir, 'train_args.json')}), or pass --restart "
                         f"to start over" + (", or --extend to train to more epochs" if "epochs" in differ else ""))
    if extending:
        state.update(epochs=flags["epochs"], flags=flags, complete=False)
        print(f"extending the run from {old['epochs']} to {flags['epochs']} epochs (LR schedule rebuilt)")
    if state["complete"] and os.path.isfile(final_path(args)):
        print(f"the run in {args.out_dir} is complete ({state['epoch']} epochs, {state['step']} steps, "
              f"{state['hours']:.2f} h); model: {final_path(args)}. Nothing to do (--extend with a larger "
              f"--epochs trains more, --restart starts over)")
        return None
    return state


def clear_run(out_dir):
    """--restart: remove what a run wrote (state, logs, checkpoints, exported model)."""
    for name in ("state", "checkpoints", "tensorboard", "backup"):
        shutil.rmtree(os.path.join(out_dir, name), ignore_errors=True)
    for name in ("log.csv", "model.keras", "model.h5"):
        if os.path.isfile(os.path.join(out_dir, name)):
            os.remove(os.path.join(out_dir, name))


def main(argv=None):
    args = parse_args(argv)
    try:
        policy, why = precision.choose(args.precision, args.qat)
        check_writable_dir(args.out_dir, "--out-dir")
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    strategy = make_strategy(args.strategy)
    args.out_dir = worker_out_dir(args.out_dir, strategy)
    try:
        held = run_state.lock(args.out_dir)  # noqa: F841  (held until the process ends)
    except run_state.RunBusyError as err:
        raise SystemExit(f"error: {err}") from None
    if args.restart:
        clear_run(args.out_dir)
    try:
        train_spec, val_spec = load_data(args)
    except datasets.DatasetError as err:
        raise SystemExit(f"error: {err}") from None
    num_classes, ignore = train_spec.num_classes, train_spec.ignore_index
    if args.batch_size % strategy.num_replicas_in_sync:
        raise SystemExit(f"error: --batch-size {args.batch_size} is not divisible by "
                         f"{strategy.num_replicas_in_sync} replicas")
    steps_per_epoch = args.steps_per_epoch or max(len(train_spec) // args.batch_size, 1)
    try:
        state = resolve_state(args, steps_per_epoch)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    if state is None:
        return None
    seed = state["flags"]["seed"]
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(policy)
    print(f"precision: {why}")
    total_steps = steps_per_epoch * state["epochs"]
    resuming = state["step"] > 0

    calibration = None
    if args.qat and not resuming:
        first = pipeline.eval_parser(*pipeline.decode_pair(train_spec.image_paths[0], train_spec.label_paths[0],
                                                           train_spec), ignore)[0]
        calibration = calibration_images(train_spec, tuple(first.shape[:2]), args.qat_calibration, seed)
    class_weights = None
    if args.class_weights != "none":
        class_weights = median_frequency_weights(*class_pixel_counts(train_spec),
                                                 power=CLASS_WEIGHT_POWERS[args.class_weights]).tolist()
        print(f"class weights ({args.class_weights}): " + ", ".join(
            f"{name} {w:.2f}" for name, w in zip(train_spec.class_names, class_weights)))
    with strategy.scope():
        try:
            model = build_compiled(args, num_classes, ignore, total_steps, calibration, class_weights)
        except (checkpoint.CheckpointMismatchError, FileNotFoundError) as err:
            raise SystemExit(f"error: {err}") from None
        if resuming:
            try:
                run_state.restore(state, args.out_dir, model)
            except ValueError as err:
                raise SystemExit(f"error: {err}") from None
    names = model.output_names
    aug = pipeline.AugmentConfig(crop_size=tuple(args.crop), scale_range=tuple(args.scale_range),
                                 brightness=args.color_jitter, contrast=args.color_jitter,
                                 saturation=args.color_jitter)
    train_ds = with_targets(pipeline.train_dataset(train_spec, args.batch_size, aug, seed, args.cache,
                                                   start_step=state["step"]), names)
    val_ds = (with_targets(pipeline.eval_dataset(val_spec, args.val_batch_size, cache=args.cache), names)
              if val_spec else None)
    if args.strategy != "default":
        train_ds, val_ds = _shard_by_data(train_ds), val_ds and _shard_by_data(val_ds)

    ckpt_dir = os.path.join(args.out_dir, "checkpoints")
    os.makedirs(ckpt_dir, exist_ok=True)
    log_csv = os.path.join(args.out_dir, "log.csv")
    keep_log_rows(log_csv, state["epoch"])
    monitor = f"val_{names[0]}_miou" if len(names) > 1 else "val_miou"
    ext = checkpoint_ext(args)
    paths = {"last": os.path.join(ckpt_dir, "last" + ext),
             "best": os.path.join(ckpt_dir, "best" + ext) if val_ds is not None else None}
    args_json = os.path.join(args.out_dir, "train_args.json")
    saver = run_state.RunStateCallback(state, args.out_dir, monitor, paths, args.commit_state_every,
                                       commit_paths=(log_csv, args_json), stream=sys.stdout)
    callbacks = [
        NanGuard(),
        *([RunawayGuard()] if args.qat else []),
        keras.callbacks.CSVLogger(log_csv, append=True),
        saver,
        keras.callbacks.TensorBoard(os.path.join(args.out_dir, "tensorboard"), profile_batch=0),
    ]
    interactive = sys.stdout.isatty()
    if not interactive:
        callbacks.append(StepLogger(args.log_every, args.batch_size))
    atomic_write(args_json, json.dumps(
        {**vars(args), "seed": seed, "num_classes": num_classes, "ignore_index": ignore,
         "class_names": list(train_spec.class_names), "colors": [list(c) for c in train_spec.colors],
         "steps_per_epoch": steps_per_epoch, "total_steps": total_steps}, indent=1) + "\n")
    print(f"training {args.model}: {len(train_spec)} images, {num_classes} classes, "
          f"{state['epochs']} epochs x {steps_per_epoch} steps, batch {args.batch_size}, crop {tuple(args.crop)}, "
          f"{strategy.num_replicas_in_sync} replica(s)"
          + (f"; resuming after epoch {state['epoch']} (step {state['step']})" if resuming else ""), flush=True)
    hours_before = state["hours"]
    try:
        model.fit(
            train_ds, epochs=state["epochs"], initial_epoch=state["epoch"], steps_per_epoch=steps_per_epoch,
            validation_data=val_ds, validation_freq=args.val_every, callbacks=callbacks,
            verbose=1 if interactive else 0,
        )
    except (NaNLossError, run_state.NonFiniteError) as err:
        where = (f"the run state holds the last good epoch ({state['epoch']})" if state["epoch"]
                 else "nothing was saved")
        raise SystemExit(f"error: {err}; stopped, {where}") from None
    except KeyboardInterrupt:
        raise SystemExit(f"interrupted: the run state in {args.out_dir} holds epoch {state['epoch']} of "
                         f"{state['epochs']} (step {state['step']}); re-run the same command to resume") from None
    hours = state["hours"] - hours_before
    if not state["complete"]:
        print(f"stopped after epoch {state['epoch']} of {state['epochs']} (SIGTERM) after {hours:.2f} h of "
              f"training; run "
              f"state saved{' and committed' if args.commit_state_every else ''}; re-run the same command "
              f"to resume")
        return model
    final = export_final(model, args, num_classes, paths, state)
    model_info.embed(final, model_info.ModelInfo(train_spec.class_names, train_spec.colors, ignore,
                                                 model=args.model, source="embedded"))
    print(f"done: {hours:.2f} h of training this run, {state['hours']:.2f} h in all; inference model: {final}")
    return model


def keep_log_rows(path, epochs_done):
    """Drop log.csv rows of epochs the run state has not saved (they are trained again)."""
    if not os.path.isfile(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    kept = rows[:1] + [r for r in rows[1:] if r and r[0].isdigit() and int(r[0]) < epochs_done]
    if epochs_done == 0:
        kept = []
    if kept != rows:
        atomic_write(path, "".join(",".join(r) + "\n" for r in kept))


def checkpoint_ext(args):
    """QAT models are saved as HDF5: TFMOT's QuantizeLayer variables do not survive a
    reload from the .keras format in tf_keras 2.21 ("expected 5 variables, received 3")."""
    return ".h5" if args.qat else ".keras"


def final_path(args):
    return os.path.join(args.out_dir, "model" + checkpoint_ext(args))


def export_final(model, args, num_classes, paths, state):
    """Write OUT_DIR/model.keras: the float32 inference model (no aux heads), with the
    best-validation weights under ``--export best`` when there are any, else the last
    (OUT_DIR/model.h5 for a QAT model). Non-finite weights are never exported."""
    best = paths.get("best")
    use_best = args.export == "best" and state.get("best") is not None
    if use_best and args.ema:
        print("note: --ema exports the moving average of the weights; the best epoch was chosen on the raw "
              "weights, so it is not exported", flush=True)
        use_best = False
    if use_best and not (best and os.path.isfile(best)):
        print(f"warning: the best model ({best}) was written on another machine and is not here; "
              f"exporting the last epoch's weights", flush=True)
        use_best = False
    path = final_path(args)
    if args.qat:
        with quantize_scope():
            if use_best:
                model = keras.models.load_model(best, compile=False)
            run_state.check_finite(model)
            run_state.save_model(model, path, include_optimizer=False)
        return path
    if use_best:
        model = keras.models.load_model(best, compile=False)
    run_state.check_finite(model)
    keras.mixed_precision.set_global_policy("float32")
    fp32 = build_model(args.model, num_classes, aux_heads=False)
    for layer in fp32.layers:  # by name: the training model may hold more heads, or rewired ones
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    run_state.save_model(to_inference(fp32), path, include_optimizer=False)
    return path


def cli_main(argv=None):
    """``main`` with Ctrl-C outside the training loop (data check, graph build, export)
    as one line instead of a traceback."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        raise SystemExit("interrupted before the next epoch was saved; re-run the same command to resume") from None


if __name__ == "__main__":
    cli_main()
