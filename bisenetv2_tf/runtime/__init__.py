"""Runtime: the app metadata contract (numpy only: apps and device-side tools load
``metadata.py`` by path), one LiteRT helper, Keras/TFLite/ONNX predictors, calibration
images preprocessed as apps preprocess, the one timing loop. Imports the model and data
layers only."""
