"""Print parameters (training and inference), MACs per block and output shapes.

  python -m bisenetv2_tf.summary --variant v2 --num-classes 19 --input-size 512 1024
  python -m bisenetv2_tf.summary --arch bisenetv1 --num-classes 11 --input-size 384 480
"""
import bisenetv2_tf

bisenetv2_tf.quiet_cli()  # a command-line script: TensorFlow loads quietly unless --verbose

from bisenetv2_tf import cli
from bisenetv2_tf.names import BISENETV2, VARIANT_TO_MODEL, variants_help


def parser():
    """The command line (built without TensorFlow)."""
    p = cli.parser("bisenetv2_tf.summary", __doc__)
    group = p.add_mutually_exclusive_group()
    group.add_argument("--variant", choices=sorted(VARIANT_TO_MODEL),
                       help=f"shorthand for --arch: {variants_help()} (default {BISENETV2.variant})")
    cli.add_arch(group, default=None)
    p.add_argument("--num-classes", type=int, default=19)
    cli.add_input_size(p, default=(512, 1024), help="input height and width, multiples of 32 (default 512 1024)")
    p.add_argument("--depth", type=int, default=2, help="block name depth for the MACs table (1 or 2)")
    return p


def main(argv=None):
    """Parse ``argv``, then build the training and inference models (TensorFlow loads here)
    and print their tables (markdown)."""
    p = parser()
    args = p.parse_args(argv)
    h, w = args.input_size
    if h % 32 or w % 32:
        p.error(f"--input-size must be multiples of 32, got {args.input_size}")
    name, k = args.arch or VARIANT_TO_MODEL[args.variant or BISENETV2.variant], args.num_classes
    from bisenetv2_tf.builders import build_model
    from bisenetv2_tf.complexity import summary_lines

    train = build_model(name, k, (h, w, 3), aux_heads=True, batch_size=1)
    infer = build_model(name, k, (h, w, 3), aux_heads=False, batch_size=1)
    lines = [f"# {name}, {k} classes, input 1x{h}x{w}x3", "", *summary_lines(train, infer, args.depth)]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
