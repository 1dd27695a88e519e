"""Runtime: the app metadata contract (``metadata.py``) and the one LiteRT helper
(``litert.py``), both importable without TensorFlow (the device tools of the Android and
web demos import them); the class information every artifact carries (``model_info.py``);
Keras/TFLite/ONNX predictors and the ``Segmenter`` API; calibration images preprocessed as
apps preprocess; the CPU line; the one timing loop. Imports the model and data layers only."""
