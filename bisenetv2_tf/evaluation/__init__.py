"""Evaluation: confusion matrix and IoU (TF and numpy), and what the evaluate and predict
commands run (their command lines are ``training.evaluate`` and ``training.predict``).

Imports the model, data and runtime layers only."""
