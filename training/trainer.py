"""The training run behind ``training.train``: data, model, ``model.fit`` with the run
state's callbacks, and the export of the inference model. Takes a checked
``TrainConfig`` (training/config.py); the command line lives in training/train.py.
"""
import csv
import dataclasses
import json
import math
import os
import shutil
import sys
import time

import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS first)
import tensorflow as tf
import tf_keras as keras

from bisenetv2_tf import checkpoint
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
from training.config import CLASS_WEIGHT_POWERS, OLD_RUN_DEFAULTS, differing_flags, spelling
from training.aux_resolution import own_resolution_aux
from training.callbacks import NanGuard, NaNLossError, RunawayGuard, StepLogger
from training.losses import OhemCrossEntropy
from training.schedule import WarmupPoly


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


def build_compiled(config, num_classes, ignore_index, total_steps, calibration=None, class_weights=None):
    aux = config.aux_weight > 0 and not config.qat
    model = build_model(config.model, num_classes, aux_heads=aux)
    if config.init_weights:
        init_weights(model, config.init_weights, num_classes)
    if config.qat:
        model, report = quantize(model)
        print(f"QAT: {len(report['default'])} layers with the default 8-bit scheme, output-only "
              f"configs for {report['output_only']}")
        if calibration is not None:
            batches = calibrate(model, calibration)
            print(f"QAT: activation ranges calibrated on {batches} images")
    if aux and config.aux_resolution == "own":
        model = own_resolution_aux(model)
    lr = config.lr if config.lr is not None else 0.05 * config.batch_size / 16
    schedule = WarmupPoly(lr, total_steps, 0.9, config.warmup_steps)
    optimizer = keras.optimizers.SGD(schedule, momentum=config.momentum, weight_decay=config.weight_decay,
                                     use_ema=config.ema > 0, ema_momentum=config.ema or 0.99)
    # Decay conv kernels only, as upstream (no decay on BN scale/shift and biases).
    optimizer.exclude_from_weight_decay(var_names=["gamma", "beta", "bias"])
    loss = OhemCrossEntropy(ignore_index, config.ohem_thresh, class_weights=class_weights)
    names = model.output_names
    model.compile(
        optimizer=optimizer,
        loss={n: loss for n in names},
        loss_weights={n: (1.0 if n == names[0] else config.aux_weight) for n in names},
        metrics={names[0]: [StreamingMeanIoU(num_classes, ignore_index)]},
    )
    return model


def load_data(config):
    """(train spec, val spec or None), checked up front unless --no-data-check."""
    if config.protocol:
        train_spec, val_spec = protocols.protocol_specs(config.protocol, config.dataset, config.data_dir, config.class_file)
        print(f"--protocol {config.protocol}: training on " + ", ".join(
            f"{d} {n}" for d, n in protocols.drive_counts(train_spec).items())
            + f"; validating on held-out drive " + ", ".join(
            f"{d} {n}" for d, n in protocols.drive_counts(val_spec).items()))
    else:
        train_spec = datasets.load_spec(config.dataset, config.data_dir, config.train_split, config.class_file)
        val_spec = (datasets.load_spec(config.dataset, config.data_dir, config.val_split, config.class_file)
                    if config.val_split else None)
    if not config.no_data_check:
        t0 = time.time()
        train_spec = datasets.check_files(train_spec, config.skip_bad)
        val_spec = val_spec and datasets.check_files(val_spec, config.skip_bad)
        print(f"checked {len(train_spec)} train + {len(val_spec) if val_spec else 0} val pairs "
              f"in {time.time() - t0:.1f}s")
    return train_spec, val_spec


def resolve_state(config, steps_per_epoch):
    """The ``RunState`` to continue, or a new one; None when the run is complete and its
    model exported (nothing to do). Exits with one line when flags differ."""
    state = run_state.read(config.out_dir)
    if state is None:
        seed = config.seed if config.seed is not None else pipeline.draw_seed()
        return run_state.RunState(epoch=0, step=0, epochs=config.epochs,
                                  flags=config.run_flags(steps_per_epoch, seed))
    old = state.flags
    flags = config.run_flags(steps_per_epoch, config.seed if config.seed is not None else old["seed"])
    extending = config.extend and flags["epochs"] != old["epochs"]
    if extending and flags["epochs"] <= state.epoch:
        raise SystemExit(f"error: --epochs {config.epochs}: the run in {config.out_dir} has done {state.epoch} "
                         f"epochs already; --extend needs more")
    differ = differing_flags(flags, old, extending)
    if differ:
        old = OLD_RUN_DEFAULTS | old
        shown = ", ".join(f"{spelling(k)} (run: {old.get(k)}, now: {flags[k]})" for k in differ)
        raise SystemExit(f"error: {config.out_dir} holds a run made with other flags: {shown}; re-run with the "
                         f"run's flags (see {os.path.join(config.out_dir, 'train_args.json')}), or pass --restart "
                         f"to start over" + (", or --extend to train to more epochs" if "epochs" in differ else ""))
    if extending:
        state = dataclasses.replace(state, epochs=flags["epochs"], flags=flags, complete=False)
        print(f"extending the run from {old['epochs']} to {flags['epochs']} epochs (LR schedule rebuilt)")
    if state.complete and os.path.isfile(final_path(config)):
        print(f"the run in {config.out_dir} is complete ({state.epoch} epochs, {state.step} steps, "
              f"{state.hours:.2f} h); model: {final_path(config)}. Nothing to do (--extend with a larger "
              f"--epochs trains more, --restart starts over)")
        return None
    return state


EMA_INITIAL_SHARE_LIMIT = 0.01


def check_ema(decay, total_steps, limit=EMA_INITIAL_SHARE_LIMIT):
    """Refuse an ``--ema`` decay whose exported average would still hold more than ``limit``
    of the initial weights: Keras' moving average starts from them and has no bias
    correction, so after T steps they weigh ``decay ** T`` (0.999 over 1,350 steps: 26%)."""
    if decay and decay ** total_steps > limit:
        most = math.floor(limit ** (1 / total_steps) * 1e4) / 1e4  # rounded down: it passes
        raise ValueError(f"--ema {decay}: after this run's {total_steps} steps the exported average would still "
                         f"hold {decay ** total_steps:.0%} of the initial weights (the moving average starts "
                         f"from them); use a decay of at most {most}, or train longer")


def clear_run(out_dir):
    """--restart: remove what a run wrote (state, logs, checkpoints, exported model)."""
    for name in ("state", "checkpoints", "tensorboard", "backup"):
        shutil.rmtree(os.path.join(out_dir, name), ignore_errors=True)
    for name in ("log.csv", "model.keras", "model.h5"):
        if os.path.isfile(os.path.join(out_dir, name)):
            os.remove(os.path.join(out_dir, name))


def train(config):
    """Train as ``config`` (a checked ``TrainConfig``) says; the model, or None when the run was complete."""
    try:
        policy, why = precision.choose(config.precision, config.qat)
        check_writable_dir(config.out_dir, "--out-dir")
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    strategy = make_strategy(config.strategy)
    config = dataclasses.replace(config, out_dir=worker_out_dir(config.out_dir, strategy))
    try:
        held = run_state.lock(config.out_dir)
    except run_state.RunBusyError as err:
        raise SystemExit(f"error: {err}") from None
    with held:  # the folder is this run's until it returns or fails, in-process callers included
        return _train_locked(config, strategy, policy, why)


def _train_locked(config, strategy, policy, why):
    """``train`` once the run folder is locked."""
    if config.restart:
        clear_run(config.out_dir)
    try:
        train_spec, val_spec = load_data(config)
    except datasets.DatasetError as err:
        raise SystemExit(f"error: {err}") from None
    num_classes, ignore = train_spec.num_classes, train_spec.ignore_index
    if config.batch_size % strategy.num_replicas_in_sync:
        raise SystemExit(f"error: --batch-size {config.batch_size} is not divisible by "
                         f"{strategy.num_replicas_in_sync} replicas")
    steps_per_epoch = config.steps_per_epoch or max(len(train_spec) // config.batch_size, 1)
    try:
        state = resolve_state(config, steps_per_epoch)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    if state is None:
        return None
    total_steps = steps_per_epoch * state.epochs
    try:
        check_ema(config.ema, total_steps)
    except ValueError as err:
        raise SystemExit(f"error: {err}") from None
    seed = state.flags["seed"]
    keras.utils.set_random_seed(seed)
    keras.mixed_precision.set_global_policy(policy)
    print(f"precision: {why}")
    resuming = state.step > 0

    calibration = None
    if config.qat and not resuming:
        first = pipeline.eval_parser(*pipeline.decode_pair(train_spec.image_paths[0], train_spec.label_paths[0],
                                                           train_spec), ignore)[0]
        calibration = calibration_images(train_spec, tuple(first.shape[:2]), config.qat_calibration, seed)
    class_weights = None
    if config.class_weights != "none":
        class_weights = median_frequency_weights(*class_pixel_counts(train_spec),
                                                 power=CLASS_WEIGHT_POWERS[config.class_weights]).tolist()
        print(f"class weights ({config.class_weights}): " + ", ".join(
            f"{name} {w:.2f}" for name, w in zip(train_spec.class_names, class_weights)))
    with strategy.scope():
        try:
            model = build_compiled(config, num_classes, ignore, total_steps, calibration, class_weights)
        except (checkpoint.CheckpointMismatchError, FileNotFoundError) as err:
            raise SystemExit(f"error: {err}") from None
        if resuming:
            try:
                run_state.restore(state, config.out_dir, model)
            except ValueError as err:
                raise SystemExit(f"error: {err}") from None
    names = model.output_names
    aug = pipeline.AugmentConfig(crop_size=tuple(config.crop), scale_range=tuple(config.scale_range),
                                 brightness=config.color_jitter, contrast=config.color_jitter,
                                 saturation=config.color_jitter)
    train_ds = with_targets(pipeline.train_dataset(train_spec, config.batch_size, aug, seed, config.cache,
                                                   start_step=state.step), names)
    val_ds = (with_targets(pipeline.eval_dataset(val_spec, config.val_batch_size, cache=config.cache), names)
              if val_spec else None)
    if config.strategy != "default":
        train_ds, val_ds = _shard_by_data(train_ds), val_ds and _shard_by_data(val_ds)

    ckpt_dir = os.path.join(config.out_dir, "checkpoints")
    os.makedirs(ckpt_dir, exist_ok=True)
    log_csv = os.path.join(config.out_dir, "log.csv")
    keep_log_rows(log_csv, state.epoch)
    monitor = f"val_{names[0]}_miou" if len(names) > 1 else "val_miou"
    ext = checkpoint_ext(config)
    paths = {"last": os.path.join(ckpt_dir, "last" + ext),
             "best": os.path.join(ckpt_dir, "best" + ext) if val_ds is not None else None}
    args_json = os.path.join(config.out_dir, "train_args.json")
    saver = run_state.RunStateCallback(state, config.out_dir, monitor, paths, config.commit_state_every,
                                       commit_paths=(log_csv, args_json), stream=sys.stdout)
    callbacks = [
        NanGuard(),
        *([RunawayGuard()] if config.qat else []),
        keras.callbacks.CSVLogger(log_csv, append=True),
        saver,
        keras.callbacks.TensorBoard(os.path.join(config.out_dir, "tensorboard"), profile_batch=0),
    ]
    interactive = sys.stdout.isatty()
    if not interactive:
        callbacks.append(StepLogger(config.log_every, config.batch_size))
    atomic_write(args_json, json.dumps(
        {**config.to_json(), "seed": seed, "num_classes": num_classes, "ignore_index": ignore,
         "class_names": list(train_spec.class_names), "colors": [list(c) for c in train_spec.colors],
         "steps_per_epoch": steps_per_epoch, "total_steps": total_steps,
         "compute_precision": policy, "compute_precision_reason": why}, indent=1) + "\n")
    print(f"training {config.model}: {len(train_spec)} images, {num_classes} classes, "
          f"{state.epochs} epochs x {steps_per_epoch} steps, batch {config.batch_size}, crop {tuple(config.crop)}, "
          f"{strategy.num_replicas_in_sync} replica(s)"
          + (f"; resuming after epoch {state.epoch} (step {state.step})" if resuming else ""), flush=True)
    hours_before = state.hours
    try:
        model.fit(
            train_ds, epochs=state.epochs, initial_epoch=state.epoch, steps_per_epoch=steps_per_epoch,
            validation_data=val_ds, validation_freq=config.val_every, callbacks=callbacks,
            verbose=1 if interactive else 0,
        )
    except (NaNLossError, run_state.NonFiniteError) as err:
        state = saver.state
        where = (f"the run state holds the last good epoch ({state.epoch})" if state.epoch
                 else "nothing was saved")
        raise SystemExit(f"error: {err}; stopped, {where}") from None
    except KeyboardInterrupt:
        state = saver.state
        raise SystemExit(f"interrupted: the run state in {config.out_dir} holds epoch {state.epoch} of "
                         f"{state.epochs} (step {state.step}); re-run the same command to resume") from None
    state = saver.state
    hours = state.hours - hours_before
    if not state.complete:
        print(f"stopped after epoch {state.epoch} of {state.epochs} (SIGTERM) after {hours:.2f} h of "
              f"training; run "
              f"state saved{' and committed' if config.commit_state_every else ''}; re-run the same command "
              f"to resume")
        return model
    final = export_final(model, config, num_classes, paths, state)
    model_info.embed(final, model_info.ModelInfo(train_spec.class_names, train_spec.colors, ignore,
                                                 model=config.model, source="embedded"))
    print(f"done: {hours:.2f} h of training this run, {state.hours:.2f} h in all; inference model: {final}")
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


def checkpoint_ext(config):
    """QAT models are saved as HDF5: TFMOT's QuantizeLayer variables do not survive a
    reload from the .keras format in tf_keras 2.21 ("expected 5 variables, received 3")."""
    return ".h5" if config.qat else ".keras"


def final_path(config):
    return os.path.join(config.out_dir, "model" + checkpoint_ext(config))


def export_final(model, config, num_classes, paths, state):
    """Write OUT_DIR/model.keras: the float32 inference model (no aux heads), with the
    best-validation weights under ``--export best`` when there are any, else the last
    (OUT_DIR/model.h5 for a QAT model). Non-finite weights are never exported."""
    best = paths.get("best")
    use_best = config.export == "best" and state.best is not None
    if use_best and config.ema:
        print("note: --ema exports the moving average of the weights; the best epoch was chosen on the raw "
              "weights, so it is not exported", flush=True)
        use_best = False
    if use_best and not (best and os.path.isfile(best)):
        print(f"warning: the best model ({best}) was written on another machine and is not here; "
              f"exporting the last epoch's weights", flush=True)
        use_best = False
    path = final_path(config)
    if config.qat:
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
    fp32 = build_model(config.model, num_classes, aux_heads=False)
    for layer in fp32.layers:  # by name: the training model may hold more heads, or rewired ones
        if layer.weights:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    run_state.save_model(to_inference(fp32), path, include_optimizer=False)
    return path
