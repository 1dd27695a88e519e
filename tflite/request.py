"""One conversion request: the model(s), the formats and everything they are made with,
checked once when built, before any conversion work: each bad value raises its one-line
``ConversionError`` (an unusable --out-dir: ``OutputPathError``); from the flags, those
that need no model are checked before a model is loaded. ``from_args`` builds it
from the ``python -m tflite.convert`` flags; tflite/exporters.py carries it out.
"""
import dataclasses

from bisenetv2_tf import cli
from bisenetv2_tf.data import datasets, protocols
from bisenetv2_tf.fileio import check_writable_dir
from bisenetv2_tf.runtime.model_info import ModelInfo
from tflite import source
from tflite.exporters import EXPORTERS
from tflite.formats import ConversionError, check_input_size, check_name

IO_DTYPES = ("uint8", "int8")


@dataclasses.dataclass(frozen=True)
class ConversionRequest:
    model: object                 # float Keras model with its one output head
    formats: tuple                # names in the exporter table, in the order they are made
    input_size: tuple             # static (H, W) of every artifact
    out_dir: str
    name: str                     # file name stem of every artifact (NAME_fp32.tflite, NAME.onnx)
    info: ModelInfo               # labels, colours, ignore id, normalization, architecture: the metadata
    calibration: object = None    # DatasetSpec: INT8 calibration and verification images
    qat_model: object = None      # the QAT model int8-qat converts
    io_dtype: str = "uint8"       # INT8 artifacts' input (and logits output) type
    output_kind: str = "logits"   # what the model's head returns: logits, probs or argmax
    num_calibration: int = 100
    num_verify: int = 8
    threads: int = 2
    model_file: str = None        # the files it was read from: named in errors, never overwritten
    qat_model_file: str = None
    class_file: str = None

    def __post_init__(self):
        self._check_values()
        self._check_models()
        cli.check_outputs(self.outputs(), [("the --model", self.model_file), ("the --qat-model", self.qat_model_file),
                                           ("the --class-file", self.class_file)], f"--out-dir {self.out_dir}")

    def entries(self):
        return [EXPORTERS[fmt] for fmt in self.formats]

    def outputs(self):
        """Every path the request writes."""
        return [path for entry in self.entries() for path in entry.files(self.out_dir, self.name)]

    def _check_values(self):
        check_values(self.formats, self.input_size, self.num_calibration, self.num_verify, self.threads,
                     self.io_dtype, self.name, self.out_dir)
        if any(entry.calibrated for entry in self.entries()) and self.calibration is None:
            raise ConversionError("INT8 conversion needs a representative dataset: pass --data-dir")
        if any(entry.source == "qat_model" for entry in self.entries()) and self.qat_model is None:
            raise ConversionError("int8-qat needs a QAT model (--qat-model, made by python -m training.train --qat)")

    def _check_models(self):
        """Each model converted is a segmentation model at ``input_size`` with one output
        per class of ``info``."""
        for model, path in ((self.model, self.model_file or "the model"),
                            (self.qat_model, self.qat_model_file or "the QAT model")):
            if model is not None:
                source.check_segmentation_model(model, path, self.input_size)
        classes = self.model.outputs[0].shape[-1]
        if self.output_kind != "argmax" and classes != self.info.num_classes:
            raise ConversionError(f"model has {classes} output classes but the dataset has {self.info.num_classes}")


def check_values(formats, input_size, num_calibration, num_verify, threads, io_dtype, name, out_dir):
    """The checks of a request that need no model: formats known and in an order they can
    be made in, the size, the counts, the I/O type, NAME (None: the model's own name, not
    checked here) and --out-dir. ``ConversionError`` (``OutputPathError``) on the first bad one."""
    entries = []
    for fmt in formats:
        if fmt not in EXPORTERS:
            raise ConversionError(f"unknown format {fmt!r}; choose from {', '.join(EXPORTERS)}")
        entries.append(EXPORTERS[fmt])
    for i, (fmt, entry) in enumerate(zip(formats, entries)):
        if entry.derives_from and not set(entry.derives_from) & set(formats[:i]):
            raise ConversionError(f"{fmt} derives from {' or '.join(entry.derives_from)}: request one before it")
    check_input_size(input_size)
    if num_calibration < 0 or (any(entry.calibrated for entry in entries) and num_calibration < 1):
        raise ConversionError(f"--num-calibration {num_calibration}: INT8 calibration needs at least 1 image")
    for flag, value in (("--num-verify", num_verify), ("--threads", threads)):
        if value < 1:
            raise ConversionError(f"{flag} {value}: must be at least 1")
    if io_dtype not in IO_DTYPES:
        raise ConversionError(f"--io-dtype {io_dtype!r}: choose from {', '.join(IO_DTYPES)}")
    if name is not None:
        check_name(name)
    check_writable_dir(out_dir, "--out-dir", create=False)


def dataset_info(spec, model_name):
    """The metadata's class information from a dataset (normalization: Cityscapes')."""
    return ModelInfo(tuple(spec.class_names), tuple(map(tuple, spec.colors)), spec.ignore_index, model=model_name)


def formats_of(args):
    """The formats the convert flags ask for: each --precision in order, then --onnx, --edgetpu."""
    return tuple(args.precision) + ("onnx",) * args.onnx + ("edgetpu",) * args.edgetpu


def from_args(args):
    """The request ``python -m tflite.convert`` flags ask for: models loaded with their
    ``--output`` head, calibration from ``--data-dir`` (or a protocol's training frames),
    classes from the dataset or ``--class-file``, NAME defaulting to the model's name. The
    flags are checked before any model is loaded."""
    check_values(formats_of(args), tuple(args.input_size), args.num_calibration, args.num_verify, args.threads,
                 args.io_dtype, args.name, args.out_dir)
    model = source.single_output(source.load_keras_model(args.model), args.model, args.output)
    qat = (source.single_output(source.load_keras_model(args.qat_model), args.qat_model, args.output)
           if args.qat_model else None)
    if args.protocol and not args.data_dir:
        raise ConversionError(f"--protocol {args.protocol} needs --data-dir")
    if args.protocol:  # calibrate on the protocol's training frames, never on its held-out drive
        spec = protocols.protocol_specs(args.protocol, args.dataset, args.data_dir)[0]
    else:
        spec = datasets.load_spec(args.dataset, args.data_dir, args.split) if args.data_dir else None
    if spec is not None:
        info = dataset_info(spec, source.model_name_of(model))
    elif args.class_file:
        names, colors, ignore, _ = datasets.read_class_file(args.class_file)
        info = ModelInfo(tuple(names), tuple(map(tuple, colors)), ignore, model=source.model_name_of(model))
    else:
        raise ConversionError("need --data-dir (dataset) or --class-file to name the classes")
    return ConversionRequest(model, formats_of(args), tuple(args.input_size), args.out_dir, args.name or model.name,
                             info, calibration=spec, qat_model=qat, io_dtype=args.io_dtype, output_kind=args.output,
                             num_calibration=args.num_calibration, num_verify=args.num_verify, threads=args.threads,
                             model_file=args.model, qat_model_file=args.qat_model, class_file=args.class_file)
