"""Synthetic sequence tasks used by the chapters, one module per task.

Each module exposes a generator that returns NumPy arrays ``(x, y)`` for a seed, so
that a chapter's training and held-out sequences are reproducible.
"""
