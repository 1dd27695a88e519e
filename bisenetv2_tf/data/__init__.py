"""Data: dataset specs and class tables, tf.data pipelines, synthetic data.

Imports the model layer (preprocessing) only."""
