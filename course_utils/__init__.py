"""Companion package of the course notebooks.

Importing ``course_utils`` imports nothing heavy: each module imports torch, TensorFlow,
``datasets`` or ``huggingface_hub`` where it needs them, so the package works in both the
main and the keras environment.
"""

__version__ = "0.1.0"
