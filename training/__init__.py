"""Training: the fit CLI, its losses, schedule, run state and model card; the
``training.evaluate`` / ``training.predict`` entry points.

A command-line package: importing it sets TF_USE_LEGACY_KERAS and makes TensorFlow load
quietly when first imported (``--verbose`` in the command line keeps its own log lines)."""
import bisenetv2_tf

bisenetv2_tf.quiet_cli()
