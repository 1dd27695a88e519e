"""BiSeNet V2 (and V1) semantic segmentation in tf_keras, built for INT8 TFLite.

  from bisenetv2_tf import Segmenter
  seg = Segmenter("models/camvid/bisenetv2_int8_qat.tflite")
  ids = seg.predict(rgb)                 # (H,W) uint8 class ids at the image's size

Importing this package imports no TensorFlow and reads no command line: it only sets
``TF_USE_LEGACY_KERAS=1`` (so that ``tf.keras``, used by tensorflow-model-optimization,
resolves to ``tf_keras``, Keras 2) and, unless ``BISENETV2_VERBOSE=1``, defaults
``TF_CPP_MIN_LOG_LEVEL`` to 3. Import it before TensorFlow. The names below load their
modules (and TensorFlow) on first use.

TensorFlow's absl lines at import ("Could not find cuda drivers", oneDNN notes) come
before it reads any setting: ``import_tensorflow_quietly()`` imports it with file
descriptor 2 on /dev/null, restored right after, also on error, and
``quiet_tensorflow_import()`` does the same for whatever imports it first. The
command-line packages (``training``, ``tflite``, ``benchmarks``) call ``quiet_cli()`` on
import, honouring their ``--verbose``, and load TensorFlow only when a command needs it
(never for ``--help``); Python exceptions and the CLIs' own ``error: ...`` lines are
unaffected. ``BISENETV2_VERBOSE=1`` leaves TensorFlow's logging as it is by default.
"""
import contextlib
import os
import sys
import types

os.environ["TF_USE_LEGACY_KERAS"] = "1"
_OWN_LOG_LEVEL = False  # TF_CPP_MIN_LOG_LEVEL was set here, not by the user


def verbose():
    """True when TensorFlow's own log lines are wanted: ``BISENETV2_VERBOSE=1`` (the CLIs'
    ``--verbose`` sets it)."""
    return os.environ.get("BISENETV2_VERBOSE", "").strip().lower() not in ("", "0", "false", "no")


def set_verbose_from_argv(argv):
    """A CLI's ``--verbose`` -> ``BISENETV2_VERBOSE=1``, before TensorFlow loads."""
    if "--verbose" in argv:
        os.environ["BISENETV2_VERBOSE"] = "1"
        if _OWN_LOG_LEVEL:
            os.environ.pop("TF_CPP_MIN_LOG_LEVEL", None)


def quiet_cli(argv=None):
    """What every command-line package does on import: ``--verbose`` in its arguments
    (default ``sys.argv[1:]``) switches TensorFlow's own logging back on, and TensorFlow,
    whenever something first imports it, is imported quietly (``quiet_tensorflow_import``).
    Nothing is imported now, so ``--help`` answers without loading TensorFlow."""
    set_verbose_from_argv(sys.argv[1:] if argv is None else argv)
    quiet_tensorflow_import()


@contextlib.contextmanager
def quiet_native_logs():
    """Inside: file descriptor 2 points at /dev/null, so C++ log lines (TensorFlow's absl
    lines at import, the TFLite converter's "fully_quantize: ..." line, LiteRT's "Created
    TensorFlow Lite XNNPACK delegate") stay off the terminal; restored however the block
    ends. Python exceptions still carry their messages. Does nothing under --verbose /
    BISENETV2_VERBOSE=1, or when there is no usable fd 2."""
    if verbose():
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
        finally:
            os.close(devnull)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_tensorflow_quietly():
    """Import TensorFlow with fd 2 on /dev/null (unless verbose); restore fd 2 however the
    import ends. Does nothing when TensorFlow is loaded already."""
    if "tensorflow" in sys.modules:
        return
    with quiet_native_logs():
        import tensorflow  # noqa: F401


class _QuietLoader:
    """A module loader that runs the wrapped loader's module code inside
    ``quiet_native_logs`` and then hands the module back to that loader."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        try:
            with quiet_native_logs():
                self.loader.exec_module(module)
        finally:
            module.__loader__ = module.__spec__.loader = self.loader


class _QuietTensorFlowFinder:
    """On a sys.meta_path: the first ``import tensorflow`` finds the real package, loaded
    by ``_QuietLoader``; then the finder removes itself."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(_QuietTensorFlowFinder)
        import importlib.machinery

        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


def quiet_tensorflow_import():
    """Make the first ``import tensorflow`` from here on quiet (fd 2 on /dev/null while its
    package code runs), wherever it happens; no-op when TensorFlow is loaded already."""
    if "tensorflow" not in sys.modules and _QuietTensorFlowFinder not in sys.meta_path:
        sys.meta_path.insert(0, _QuietTensorFlowFinder)


if not verbose() and "TF_CPP_MIN_LOG_LEVEL" not in os.environ:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    _OWN_LOG_LEVEL = True

if "tensorflow" in sys.modules and "keras" in sys.modules and "tf_keras" not in sys.modules:
    import warnings

    warnings.warn(
        "bisenetv2_tf was imported after TensorFlow/Keras 3; tf.keras may already point to "
        "Keras 3 and quantization-aware training will fail. Import bisenetv2_tf first.",
        stacklevel=2,
    )

# name -> module that defines it, loaded (with TensorFlow, quietly) on first use
_LAZY = {
    "Segmenter": "bisenetv2_tf.runtime.segmenter",
    "bisenetv1": "bisenetv2_tf.bisenetv1",
    "bisenetv2": "bisenetv2_tf.model",
    "VARIANTS": "bisenetv2_tf.model",
    "to_inference": "bisenetv2_tf.model",
    "with_output_head": "bisenetv2_tf.model",
    "ClassMap": "bisenetv2_tf.output_layers",
}


class _Package(types.ModuleType):
    """``from bisenetv2_tf import bisenetv1`` is the V1 builder, whatever was imported
    before: importing the submodule ``bisenetv2_tf.bisenetv1`` would otherwise bind the
    package attribute to the module (the builder is then loaded lazily, like the others)."""

    def __setattr__(self, name, value):
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name):
    if name == "VERBOSE":  # old spelling
        return verbose()
    if name not in _LAZY:
        raise AttributeError(f"module 'bisenetv2_tf' has no attribute {name!r}")
    import importlib

    import_tensorflow_quietly()
    return getattr(importlib.import_module(_LAZY[name]), name)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = ["Segmenter", "VARIANTS", "bisenetv1", "bisenetv2", "to_inference", "with_output_head", "ClassMap",
           "import_tensorflow_quietly", "quiet_cli", "quiet_native_logs", "verbose"]
__version__ = "0.2.0"
