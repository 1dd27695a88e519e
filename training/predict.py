r"""Segment image(s) with a .keras, .h5, .tflite or .onnx model; write colored masks and overlays.

  python -m training.predict --model models/camvid/bisenetv2_int8_qat.tflite \
      --out-dir preds/ IMAGE_OR_FOLDER [...]

Writes NAME_mask.png (class colors) and NAME_overlay.png (mask blended over the
image) for each input, each file complete or absent (temp file + rename). A folder
stands for its images (.png, .jpg, .jpeg, .bmp; not its subfolders). Photos are
turned upright by their EXIF orientation, so the mask matches what viewers show.

Nothing is overwritten by surprise: before any prediction, an output that is one of
the inputs (d/street_mask.png among the images with --out-dir d) is refused, and so
is an output file that already exists, unless --overwrite (which still never
replaces an input). An image that cannot be read (corrupt, or a header claiming more
pixels than PIL's decompression-bomb limit) is reported in one line and the others
are still predicted; the exit status is then 1 ("2 of 5 images failed"). Inputs that
share a file name (a/frame.png and b/frame.png, or frame.png and frame.jpg) never
overwrite each other: they are named after their folders (a_frame_mask.png,
b_frame_mask.png), with a numeric suffix when the folders do not tell them apart
(a_frame_1_mask.png); all names are fixed before any prediction, and each renamed
input is listed. Inputs with a unique name keep NAME_mask.png.

Colors come from --class-file, else from the class information the model file
carries, read as ``bisenetv2_tf.Segmenter`` reads it (bisenetv2_tf/runtime/model_info.py):
a .tflite model's metadata JSON (MODEL.json), the classes embedded in a .keras, .h5 or
.onnx file, else the train_args.json that training.train wrote beside the model (or
above OUT_DIR/checkpoints/), used only when its class count matches the model's; else a
default palette (said on stderr). Class information in the model file that lists
another class count than the model predicts is refused, and so is a --class-file with
fewer classes than the model predicts (those classes would be painted black).

Images whose longer side exceeds --max-side (default 2048) are predicted at that size
and the mask scaled back to the image, so very large photos do not exhaust memory.
"""
from bisenetv2_tf import cli
from bisenetv2_tf.runtime.working_size import DEFAULT_MAX_SIDE


def parser():
    """The command line of ``python -m training.predict`` (built without TensorFlow)."""
    p = cli.parser("training.predict", __doc__)
    p.add_argument("images", nargs="+", metavar="IMAGE_OR_FOLDER",
                   help="image files, or folders standing for their images (not recursive)")
    p.add_argument("--model", required=True, help=".keras, .h5, .tflite or .onnx model")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing output files (an output that is one of the inputs is always refused)")
    p.add_argument("--class-file", help="classes.json for the colors (at least the model's class count)")
    p.add_argument("--alpha", type=float, default=0.5, help="mask opacity in the overlay")
    p.add_argument("--flip", action="store_true", help="average with the flipped image (logits models)")
    p.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE,
                   help=f"predict larger images at this longer side, mask scaled back (0: never; default "
                        f"{DEFAULT_MAX_SIDE})")
    cli.add_threads(p)
    return p


def main(argv=None):
    """Parse ``argv``, then load TensorFlow and run ``bisenetv2_tf.evaluation.predict.run``."""
    args = parser().parse_args(argv)
    from bisenetv2_tf.evaluation.predict import run

    run(args)


if __name__ == "__main__":
    main()
