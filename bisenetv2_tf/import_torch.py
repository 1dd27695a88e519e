r"""Import a CoinCheung/BiSeNet checkpoint (.pth or .npz) as a Keras model.

  python -m bisenetv2_tf.import_torch CHECKPOINT --num-classes N --out MODEL.keras
      [--arch bisenetv2|bisenetv2-l|bisenetv1 | --variant v2|v2-l|v1] [--with-aux]
      [--input-size H W]

Writes an inference model (or, with --with-aux, the training model with the auxiliary
heads) that ``tf_keras.models.load_model`` opens after ``import bisenetv2_tf``. Its
input is NHWC float32 RGB normalized as upstream: (x/255 - mean) / std with the
Cityscapes mean (0.3257, 0.3690, 0.3223) and std (0.2112, 0.2148, 0.2115).
Every key must match: a mismatched or unreadable checkpoint exits non-zero with a
one-line error and no output file; --out is checked before anything is built and
written atomically (complete or absent).
"""
import sys

import bisenetv2_tf

bisenetv2_tf.quiet_cli()  # a command-line script: TensorFlow loads quietly unless --verbose

from bisenetv2_tf import cli
from bisenetv2_tf.fileio import OutputPathError, atomic_path, check_writable_file
from bisenetv2_tf.names import BISENETV2, VARIANT_TO_MODEL, variants_help


def parser():
    """The command line (built without TensorFlow)."""
    p = cli.parser("bisenetv2_tf.import_torch", __doc__)
    p.add_argument("checkpoint", help="CoinCheung state_dict: .pth (needs torch) or .npz with the same keys")
    p.add_argument("--num-classes", type=int, required=True)
    p.add_argument("--out", required=True, help="output .keras file")
    cli.add_arch(p, default=BISENETV2.name)
    p.add_argument("--variant", choices=sorted(VARIANT_TO_MODEL), help=f"shorthand for --arch: {variants_help()}")
    p.add_argument("--with-aux", action="store_true", help="keep the training-only auxiliary heads")
    p.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"),
                   help="static input size (default: any size, multiples of 32)")
    return p


def main(argv=None):
    """Parse ``argv``, check --out, then (TensorFlow loads here) import the checkpoint
    (``checkpoint.import_model``) and save the model to --out atomically."""
    p = parser()
    args = p.parse_args(argv)
    if args.variant:
        args.arch = VARIANT_TO_MODEL[args.variant]
    if not args.out.endswith(".keras"):
        p.error("--out must end with .keras")
    from bisenetv2_tf import checkpoint

    try:
        checkpoint.check_import_values(args.num_classes, args.input_size)  # before --out's folder is made
        check_writable_file(args.out, "--out", create_parent=True)
        model, ignored = checkpoint.import_model(args.checkpoint, args.num_classes, args.arch,
                                                 args.with_aux, args.input_size)
    except (checkpoint.CheckpointMismatchError, FileNotFoundError, ImportError, OutputPathError, ValueError) as err:
        sys.exit(f"error: {err}")
    try:
        with atomic_path(args.out) as tmp:
            model.save(tmp)
    except OSError as err:
        sys.exit(f"error: --out {args.out}: {err}")
    extra = f"; ignored {len(ignored)} auxiliary-head keys" if ignored else ""
    print(f"wrote {args.out}: {args.arch}, {args.num_classes} classes, "
          f"{'training (with aux heads)' if args.with_aux else 'inference'} model{extra}")


if __name__ == "__main__":
    main()
