"""Classification metrics with scikit-learn: what the Trainer reports, baselines, per-class tables.

``evaluate.load("f1")`` would download its script from the Hub, so the course computes the
same numbers with scikit-learn. Two F1 averages appear everywhere: the **macro** F1 (every
class counts the same, so the rare ones matter) and the F1 **averaged by support** (scikit-learn's
``average="weighted"``: each class in proportion to its number of examples). The course calls
the second ``f1_by_support``, so that "weighted" only ever means the weighted *loss*.

:func:`compute_metrics` is the talk's function, defined in notebook 01
(``#| bind: course_utils.metrics``); this module keeps an identical copy. Imports numpy and
scikit-learn at import time, pandas inside the functions; works in both environments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def compute_metrics(eval_pred):
    """The ``compute_metrics`` to give a ``Trainer``: accuracy, macro F1 and F1 averaged by support.

    ``eval_pred`` is the Trainer's ``EvalPrediction`` (or a ``(logits, label_ids)`` pair); the
    prediction is the class with the largest logit. A class never predicted counts with F1 0,
    without a warning. The Trainer prefixes the keys with ``eval_`` (``eval_f1_macro``). Used in
    notebooks/01_trainer_weighted_loss.ipynb (defined there) and benchmarks/seed_spread.py.
    """
    logits, labels = eval_pred
    predictions = np.argmax(logits, axis=-1)
    return {
        "accuracy": accuracy_score(labels, predictions),
        "f1_macro": f1_score(labels, predictions, average="macro", zero_division=0),
        "f1_by_support": f1_score(labels, predictions, average="weighted", zero_division=0),
    }


def scores(y_true: Any, y_pred: Any, num_labels: int | None = None) -> dict[str, float]:
    """Accuracy, macro F1 and F1 averaged by support of predicted class ids against true ones.

    Macro F1 averages the F1 of every class ``0 .. num_labels - 1`` equally, so a rare class
    counts as much as a frequent one; ``f1_by_support`` averages them in proportion to each
    class's support (scikit-learn's ``average="weighted"``). Without ``num_labels`` the classes
    are those that occur in either array. A class never predicted has precision 0 (no warning).
    Used in notebooks/01_trainer_weighted_loss.ipynb and benchmarks/seed_spread.py.
    """
    y_true = np.asarray(y_true).reshape(-1)
    y_pred = np.asarray(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"Got {y_true.size} true labels but {y_pred.size} predictions; they must match one to one.")
    if y_true.size == 0:
        raise ValueError("No labels to score: the evaluation split is empty.")
    labels = list(range(num_labels)) if num_labels is not None else sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_macro": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "f1_by_support": float(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)),
    }


def majority_baseline(train_labels: Any, eval_labels: Any = None, num_labels: int | None = None) -> dict[str, float]:
    """The scores of always predicting the most frequent class of ``train_labels``.

    Scored on ``eval_labels`` (default: ``train_labels`` themselves), with the keys of
    :func:`scores` plus ``majority_class`` (its id; ties go to the smallest id). Any model
    worth training must beat this. Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    train = np.asarray(train_labels).reshape(-1)
    if train.size == 0:
        raise ValueError("No training labels: the majority class is undefined.")
    values, counts = np.unique(train, return_counts=True)
    majority = int(values[np.argmax(counts)])
    target = train if eval_labels is None else np.asarray(eval_labels).reshape(-1)
    result: dict[str, Any] = scores(target, np.full(target.shape, majority), num_labels=num_labels)
    result["majority_class"] = majority
    return result


def per_class_report(y_true: Any, y_pred: Any, label_names: Sequence[str]) -> "pd.DataFrame":
    """Precision, recall, F1 and support of each class, one row per class name, in id order.

    ``label_names[i]`` names class id ``i``. Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support

    names = list(label_names)
    precision, recall, f1, support = precision_recall_fscore_support(
        np.asarray(y_true).reshape(-1),
        np.asarray(y_pred).reshape(-1),
        labels=list(range(len(names))),
        zero_division=0,
    )
    return pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(int)},
        index=pd.Index(names, name="class"),
    )
