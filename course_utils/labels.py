"""Label names and ids: the two dictionaries a classification model wants.

Imports nothing heavy, so it works in both the main and the keras environment.
"""

from __future__ import annotations

from typing import Any, Sequence


def label_names(class_label: Any) -> list[str]:
    """The class names of a ``datasets.ClassLabel`` (or of a plain sequence of names), in id order.

    Raises ``ValueError`` when there are no names or a name repeats. Used in
    notebooks/01_trainer_weighted_loss.ipynb.
    """
    names = getattr(class_label, "names", class_label)
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise ValueError(
            f"Expected a datasets.ClassLabel or a sequence of class names, got {type(class_label).__name__}."
        )
    names = [str(name) for name in names]
    if not names:
        raise ValueError("The label feature has no class names.")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"Class names must be unique; repeated: {', '.join(repeated)}.")
    return names


def label_mappings(class_label: Any) -> tuple[dict[int, str], dict[str, int]]:
    """``(id2label, label2id)`` for a ``datasets.ClassLabel`` (or a sequence of names).

    Pass both to ``AutoModelForSequenceClassification.from_pretrained(..., id2label=...,
    label2id=...)`` so that the model's config, and every pipeline built on it, speaks in
    class names instead of ``LABEL_0``, ``LABEL_1``... Used in
    notebooks/01_trainer_weighted_loss.ipynb.
    """
    names = label_names(class_label)
    id2label = dict(enumerate(names))
    label2id = {name: index for index, name in id2label.items()}
    return id2label, label2id
