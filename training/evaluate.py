"""``python -m training.evaluate``, the documented entry point; the code is
``bisenetv2_tf.evaluation.evaluate`` (see its help)."""
from bisenetv2_tf.evaluation.evaluate import main

if __name__ == "__main__":
    main()
