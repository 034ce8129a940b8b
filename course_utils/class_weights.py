"""Per-class loss weights for an imbalanced classification dataset.

Two schemes, both computed from how often each class appears among the training labels
(its frequency ``f_c``, the share of examples with label ``c``):

* ``"one_minus_frequency"`` (the talk's choice): ``w_c = 1 - f_c``. Every weight lies in
  [0, 1]; a rare class gets a weight close to 1, a frequent one a little less. The tilt is
  gentle: with classes at 33 % and 4 %, the rare class weighs about 1.4 times the frequent one.
* ``"inverse_frequency"``: ``w_c`` proportional to ``1 / f_c``, normalised so that the weights
  average 1 over the classes. The tilt is strong: the same 4 % class weighs about 8 times the
  33 % one, so that every class contributes about equally to the loss.

With ``torch.nn.CrossEntropyLoss(weight=w)`` and its default ``"mean"`` reduction, the loss
is ``sum_i w[y_i] * loss_i / sum_i w[y_i]``: multiplying every weight by the same number
changes nothing, only the ratios between weights matter. The normalisation of the inverse
frequency is therefore only there to make the numbers easy to read.

The module imports numpy at import time and torch inside :func:`class_weights` (main
environment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import torch

SCHEMES: tuple[str, ...] = ("one_minus_frequency", "inverse_frequency")


def class_counts(labels: Any, num_labels: int, names: Sequence[str] | None = None) -> np.ndarray:
    """Number of examples of each class id ``0 .. num_labels - 1`` in ``labels``.

    ``labels`` is any 1-D sequence of integer class ids (a list, a NumPy array, a CPU torch
    tensor, a ``datasets`` column). Raises ``ValueError``, with a message that says what to do,
    for an empty input, non-integer labels, ids outside ``[0, num_labels)`` or a class with no
    example (named with ``names`` when given). Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    if isinstance(num_labels, bool) or not isinstance(num_labels, (int, np.integer)) or num_labels < 2:
        raise ValueError(
            f"num_labels must be an integer of at least 2 (a classifier needs two classes), got {num_labels!r}."
        )
    if names is not None and len(names) != num_labels:
        raise ValueError(f"Got {len(names)} class names for num_labels={num_labels}; give one name per class.")
    ids = _as_label_array(labels)
    if ids.size == 0:
        raise ValueError(
            "No labels were given, so there are no class frequencies to compute weights from. "
            "Pass the label column of the training split, e.g. dataset['train']['label']."
        )
    outside = np.unique(ids[(ids < 0) | (ids >= num_labels)])
    if outside.size:
        shown = ", ".join(str(int(v)) for v in outside[:10]) + (", ..." if outside.size > 10 else "")
        raise ValueError(
            f"Label ids {shown} are outside 0..{num_labels - 1} (num_labels={num_labels}). "
            "Check that num_labels matches the dataset's number of classes and that labels are class ids."
        )
    counts = np.bincount(ids, minlength=num_labels)
    empty = [int(c) for c in np.flatnonzero(counts == 0)]
    if empty:
        described = ", ".join(_class_name(c, names) for c in empty)
        subject = f"Class {described} has" if len(empty) == 1 else f"Classes {described} have"
        raise ValueError(
            f"{subject} no examples among the {ids.size} labels, so no weight can be computed. "
            "Use a split that contains every class (more examples, or a stratified split), "
            "or remove that class from the label set."
        )
    return counts


def class_weights(
    labels: Any,
    num_labels: int,
    scheme: str = "one_minus_frequency",
    names: Sequence[str] | None = None,
) -> "torch.Tensor":
    """Loss weights, one per class, as a float32 torch tensor of length ``num_labels``.

    ``scheme="one_minus_frequency"`` (the talk's) gives ``1 - f_c``; ``"inverse_frequency"``
    gives ``1 / f_c`` scaled so that the weights average 1 over the classes (see the module
    docstring for why the scale does not matter). ``labels`` are the training labels; the
    errors of :func:`class_counts` apply, and an unknown ``scheme`` is a ``ValueError`` that
    lists the valid ones. Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    import torch

    if scheme not in SCHEMES:
        raise ValueError(f"Unknown weighting scheme {scheme!r}; choose one of: {', '.join(SCHEMES)}.")
    counts = class_counts(labels, num_labels, names)
    frequency = counts / counts.sum()
    if scheme == "one_minus_frequency":
        weights = 1.0 - frequency
    else:
        inverse = 1.0 / frequency
        weights = inverse / inverse.mean()
    return torch.tensor(weights, dtype=torch.float32)


def _as_label_array(labels: Any) -> np.ndarray:
    if hasattr(labels, "detach"):  # a torch tensor, possibly on an accelerator
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim != 1:
        raise ValueError(
            f"Expected a 1-D sequence of class ids, got an array of shape {array.shape}. "
            "Pass one integer label per example."
        )
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"Labels must be integer class ids, got values of type {array.dtype}. "
            "Convert names to ids first, e.g. with ClassLabel.str2int."
        )
    return array.astype(np.int64, copy=False)


def _class_name(class_id: int, names: Sequence[str] | None) -> str:
    return f"{names[class_id]!r} (id {class_id})" if names is not None else f"id {class_id}"
