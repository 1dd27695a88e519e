"""Evaluation: confusion matrix and IoU (TF and numpy), the evaluate and predict CLIs.

Imports the model, data and runtime layers only."""
