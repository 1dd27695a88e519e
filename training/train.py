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
import bisenetv2_tf  # noqa: F401  (sets TF_USE_LEGACY_KERAS first)
from bisenetv2_tf import cli
from bisenetv2_tf.data import protocols
from training import config, precision

def parse_args(argv=None):
    p = cli.parser("training.train", __doc__)
    d = p.add_argument_group("data")
    d.add_argument("--dataset", choices=cli.DATASETS, help=cli.DATASET_HELP + " (default: %(default)s)")
    d.add_argument("--data-dir", required=True, help="dataset root")
    d.add_argument("--train-split")
    d.add_argument("--val-split", help="'' to skip validation")
    d.add_argument("--protocol", choices=tuple(protocols.PROTOCOLS),
                   help="train and validate by a fixed protocol instead of --train-split/--val-split: "
                        + "; ".join(f"{p.name}: {p.summary}" for p in protocols.PROTOCOLS.values()))
    d.add_argument("--class-file", help="classes.json (names, colors, ignore_index)")
    d.add_argument("--crop", type=int, nargs=2, metavar=("H", "W"),
                   help="training crop, multiples of 32 (default {} {})".format(*config.default("crop")))
    d.add_argument("--scale-range", type=float, nargs=2, metavar=("MIN", "MAX"),
                   help="random rescale range (default {} {})".format(*config.default("scale_range")))
    d.add_argument("--color-jitter", type=float, metavar="X",
                   help="photometric jitter: brightness, contrast and saturation each scaled by a factor "
                        "drawn from [1-X, 1+X] (default %(default)s; 0: none)")
    d.add_argument("--cache", action="store_true", help="keep the image and label files in memory (train: encoded; val: decoded)")
    d.add_argument("--skip-bad", action="store_true", help="skip (and count) unusable image/label pairs")
    d.add_argument("--no-data-check", action="store_true", help="skip the up-front file check")
    m = p.add_argument_group("model")
    cli.add_arch(m, dest="model")
    m.add_argument("--init-weights", help="start from a .keras model or a CoinCheung .pth/.npz")
    m.add_argument("--qat", action="store_true",
                   help="quantization-aware fine-tuning of --init-weights (main head only; ranges "
                        "calibrated on --num-calibration training images first)")
    cli.add_num_calibration(m, default=config.default("qat_calibration"), dest="qat_calibration",
                            old=("--qat-calibration",),
                            help="training images for the QAT range calibration (default %(default)s)")
    o = p.add_argument_group("optimization")
    o.add_argument("--batch-size", type=int, help="global batch size (default %(default)s)")
    o.add_argument("--epochs", type=int, help="(default %(default)s)")
    o.add_argument("--steps-per-epoch", type=int, help="default: one pass over the training set")
    o.add_argument("--lr", type=float, help="base LR (default 0.05 * batch/16)")
    o.add_argument("--warmup-steps", type=int)
    o.add_argument("--weight-decay", type=float)
    o.add_argument("--momentum", type=float)
    o.add_argument("--ohem-thresh", type=float)
    o.add_argument("--aux-weight", type=float, help="weight of each aux loss (0 disables)")
    o.add_argument("--ema", type=float, metavar="DECAY",
                   help="keep an exponential moving average of the weights (decay such as 0.999) and export "
                        "it at the end of the run (instead of --export's choice); validation during the run "
                        "scores the raw weights. The average starts from the initial weights, which still weigh "
                        "DECAY**steps at the end: a decay leaving more than 1%% of them is refused. Batch-norm "
                        "statistics are the raw weights' (default 0: off)")
    o.add_argument("--aux-resolution", choices=("full", "own"),
                   help="score each aux head at the input size (full, as upstream; default) or at its own "
                        "resolution, 1/2 to 1/16 of it, against nearest-resized labels (own: a faster step)")
    o.add_argument("--class-weights", choices=("none", *config.CLASS_WEIGHT_POWERS),
                   help="per-class weights of the OHEM CE, computed from the training labels at start: "
                        "median-frequency (SegNet's CamVid weighting) or its square root, a milder lift "
                        "of thin, rare classes such as Pole and SignSymbol (default none, as upstream; "
                        "on CamVid with OHEM, median-frequency cost 19 mIoU: see README)")
    o.add_argument("--precision", choices=precision.PRECISIONS,
                   help="compute precision; auto: mixed_bfloat16 where the CPU has bf16 in hardware "
                        "(avx512_bf16/amx_bf16), else float32; QAT is always float32 (default auto)")
    o.add_argument("--mixed-precision", dest="precision", action="store_const", const="mixed_bfloat16",
                   help="same as --precision mixed_bfloat16")
    o.add_argument("--seed", type=int, help="seed of TF, shuffling and augmentation (default: drawn, and "
                   "kept in the run state)")
    r = p.add_argument_group("run")
    r.add_argument("--out-dir", required=True, help="checkpoints, logs, final model")
    r.add_argument("--val-every", type=int, help="validate every N epochs")
    r.add_argument("--val-batch-size", type=int)
    r.add_argument("--strategy", choices=("default", "mirrored", "multiworker"),
                   help="tf.distribute strategy; multiworker reads TF_CONFIG")
    r.add_argument("--log-every", type=int, help="steps between log lines")
    r.add_argument("--export", choices=("best", "last"),
                   help="weights of OUT_DIR/model.keras: the best validated epoch (default; the last "
                        "epoch without validation) or the last epoch")
    r.add_argument("--extend", action="store_true",
                   help="continue a run (finished or not) to a larger --epochs; the LR schedule is "
                        "rebuilt for the new total")
    r.add_argument("--restart", action="store_true", help="delete OUT_DIR's run state, logs and "
                   "checkpoints and start over")
    r.add_argument("--commit-state-every", type=float, metavar="HOURS",
                   help="git-commit OUT_DIR/state, log.csv and train_args.json every HOURS hours, "
                        "after the last epoch and on SIGTERM (which ends the run after the current "
                        "epoch); 0: never (default)")
    p.set_defaults(**config.defaults())
    try:
        return config.TrainConfig.from_namespace(p.parse_args(argv))
    except ValueError as err:
        p.error(str(err))


def main(argv=None):
    """Parse and check the flags (no TensorFlow yet), then train."""
    train_config = parse_args(argv)
    from training import trainer

    return trainer.train(train_config)


def cli_main(argv=None):
    """``main`` with Ctrl-C outside the training loop (data check, graph build, export)
    as one line instead of a traceback."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        raise SystemExit("interrupted before the next epoch was saved; re-run the same command to resume") from None


if __name__ == "__main__":
    cli_main()
