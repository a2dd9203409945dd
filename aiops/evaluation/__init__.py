"""Evaluation: run diagnoses over bundles with a known answer (truth.toml) and score them.

This is the only package that reads truth.toml.
"""
