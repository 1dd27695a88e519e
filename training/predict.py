"""``python -m training.predict``, the documented entry point; the code is
``bisenetv2_tf.evaluation.predict`` (see its help)."""
from bisenetv2_tf.evaluation.predict import main

if __name__ == "__main__":
    main()
