"""Evaluation: real attacks, quality metrics, the measured evaluation of steg eval, and the demo."""
