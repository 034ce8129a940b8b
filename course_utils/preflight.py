"""A check to run on the data right before ``trainer.train()``.

The Trainer's own errors about bad inputs surface deep inside the training loop (a
``KeyError`` in the collator, a loss of ``None``, a CUDA "device-side assert"). The mistakes
behind them are few, and this check catches them up front with a message that says what is
wrong and what to do. Needs only ``datasets`` and numpy (both environments).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np


class PreflightError(ValueError):
    """The data is not ready for training; the message says what to fix. Used in notebooks/01_trainer_weighted_loss.ipynb."""


def check_before_training(dataset: Any, num_labels: int, class_weights: Any = None) -> list[str]:
    """Raise :class:`PreflightError` if ``dataset`` is not ready for a classification Trainer.

    ``dataset`` is a ``datasets.Dataset`` or a ``DatasetDict`` (every split is checked;
    classes must all be present in the ``train`` split, or in the dataset itself). In order, it
    catches: a dataset that is not tokenized (no ``input_ids``), no label column at all, label
    ids outside ``0 .. num_labels - 1``, a class with no training example, and
    ``class_weights`` whose length is not ``num_labels``.

    Returns notes about what works but deserves a look (an empty list when there are none): a
    ``label`` column that was not renamed to ``labels`` is one, since ``DataCollatorWithPadding``
    renames it on the fly but other collators and hand-written loops do not. Used in
    notebooks/01_trainer_weighted_loss.ipynb.
    """
    if isinstance(num_labels, bool) or not isinstance(num_labels, (int, np.integer)) or num_labels < 2:
        raise PreflightError(f"num_labels must be an integer of at least 2, got {num_labels!r}.")
    splits = _splits(dataset)
    unrenamed = [split_name for split_name, split in splits.items() if not _check_split(split_name, split, num_labels)]
    notes = [_unrenamed_note(unrenamed)] if unrenamed else []
    coverage_name = "train" if "train" in splits else next(iter(splits))
    _check_every_class_present(coverage_name, splits[coverage_name], num_labels)
    if class_weights is not None:
        _check_weights(class_weights, num_labels)
    return notes


def _splits(dataset: Any) -> dict[str | None, Any]:
    from datasets import Dataset, DatasetDict

    if isinstance(dataset, DatasetDict):
        if not dataset:
            raise PreflightError("The DatasetDict has no splits; load the data first.")
        return dict(dataset)
    if isinstance(dataset, Dataset):
        return {None: dataset}
    raise PreflightError(
        f"Expected a datasets.Dataset or DatasetDict, got {type(dataset).__name__}. "
        "Convert your data with Dataset.from_pandas or load_dataset first."
    )


def _where(split_name: str | None) -> str:
    return "The dataset" if split_name is None else f"Split {split_name!r}"


def _unrenamed_note(split_names: list[str | None]) -> str:
    if split_names == [None]:
        where = "the dataset has"
    elif len(split_names) == 1:
        where = f"split {split_names[0]!r} has"
    else:
        where = "splits " + ", ".join(repr(name) for name in split_names) + " have"
    return (
        f"Note: {where} 'label' rather than 'labels'. DataCollatorWithPadding renames it for the model, so "
        "the Trainer works; other collators and your own training loop do not. "
        "dataset.rename_column('label', 'labels') makes it explicit."
    )


def _check_split(split_name: str | None, split: Any, num_labels: int) -> bool:
    """Raise for what cannot train; return whether the label column is called ``labels``."""
    columns = set(split.column_names)
    where = _where(split_name)
    if "input_ids" not in columns:
        raise PreflightError(
            f"{where} has no 'input_ids' column: it is not tokenized yet. "
            "Run dataset.map(tokenize, batched=True) with the checkpoint's tokenizer before training."
        )
    if "labels" not in columns and "label" not in columns:
        raise PreflightError(
            f"{where} has no 'labels' column, so there is nothing to learn from. "
            f"Add the class ids as a 'labels' column (columns now: {', '.join(sorted(columns))})."
        )
    ids = _label_ids(split)
    if ids.size and not np.issubdtype(ids.dtype, np.integer):
        raise PreflightError(
            f"{where} holds labels of type {ids.dtype}, not integer class ids. "
            "Map class names to ids first (ClassLabel.str2int, or cast the column to ClassLabel)."
        )
    outside = np.unique(ids[(ids < 0) | (ids >= num_labels)]) if ids.size else ids
    if outside.size:
        shown = ", ".join(str(int(v)) for v in outside[:10]) + (", ..." if outside.size > 10 else "")
        raise PreflightError(
            f"{where} has label ids {shown}, outside 0..{num_labels - 1} (num_labels={num_labels}). "
            "Make num_labels match the dataset's ClassLabel, or fix the label ids."
        )
    return "labels" in columns


def _check_every_class_present(split_name: str | None, split: Any, num_labels: int) -> None:
    ids = _label_ids(split)
    counts = np.bincount(ids.astype(np.int64), minlength=num_labels)
    empty = [int(c) for c in np.flatnonzero(counts == 0)]
    if empty:
        names = _class_names(split, num_labels)
        described = ", ".join(f"{names[c]!r} (id {c})" if names else f"id {c}" for c in empty)
        subject = f"class {described} has" if len(empty) == 1 else f"classes {described} have"
        raise PreflightError(
            f"In {_where(split_name).lower()}, {subject} no examples, so the model can never learn "
            "to predict it. Use more data or a stratified split, or drop the class and lower num_labels."
        )


def _check_weights(class_weights: Any, num_labels: int) -> None:
    if hasattr(class_weights, "detach"):
        class_weights = class_weights.detach().cpu().numpy()
    weights = np.asarray(class_weights, dtype=float)
    if weights.ndim != 1 or weights.size != num_labels:
        raise PreflightError(
            f"class_weights has {weights.size} value(s) but num_labels is {num_labels}. "
            "Compute one weight per class, in label-id order, from the training labels."
        )


def _label_column(split: Any) -> str:
    return "labels" if "labels" in split.column_names else "label"


def _label_ids(split: Any) -> np.ndarray:
    return np.asarray(split.with_format("numpy")[_label_column(split)]).reshape(-1)


def _class_names(split: Any, num_labels: int) -> Sequence[str] | None:
    feature = split.features.get(_label_column(split))
    names = getattr(feature, "names", None)
    return names if names is not None and len(names) == num_labels else None


#: The label column's spellings that ``to_tf_dataset`` treats as one: with a collator that renames
#: ``label`` and ``label_ids`` to ``labels`` (``DataCollatorWithPadding`` does), any of them asks for it.
LABEL_SPELLINGS: tuple[str, ...] = ("label", "labels", "label_ids")


def check_columns(
    dataset: Any, columns: str | Sequence[str] | None, label_cols: str | Sequence[str] | None = None
) -> None:
    """Raise :class:`PreflightError` unless ``dataset`` has every column ``to_tf_dataset`` is asked for.

    ``to_tf_dataset`` itself stops at a missing column with "Column ... not found in dataset!",
    which says neither why nor what to do. This check does: tokenize first (no ``input_ids``), ask
    only for the columns the tokenizer made (listing the columns there are), or name the label
    column the dataset has. ``columns`` and ``label_cols`` are what ``to_tf_dataset`` takes: a
    column name or a list of them (``columns=None``: every column). As there, ``label``,
    ``labels`` and ``label_ids`` name the same column (the talk's ``label_cols="labels"`` on a
    dataset with ``label``, whose collator renames it). ``dataset`` is a ``datasets.Dataset``.
    Used in notebooks/02_keras_to_tf_dataset.ipynb.
    """
    present = list(getattr(dataset, "column_names", []))
    have = ", ".join(present) or "none"
    if "input_ids" not in present:
        raise PreflightError(
            f"The dataset has no 'input_ids' column (columns: {have}): it is not tokenized yet. "
            "Run dataset.map(tokenize, batched=True) with the checkpoint's tokenizer first."
        )
    if _names(label_cols) and not _names(columns):
        raise PreflightError(
            "label_cols is given without columns, which to_tf_dataset refuses: pass the model's inputs as columns too, "
            "[c for c in tokenizer.model_input_names if c in dataset.column_names]."
        )
    missing = [name for name in _names(columns) if not _has_column(name, present)]
    if missing:
        raise PreflightError(
            f"The dataset has no column {', '.join(repr(m) for m in missing)} (columns: {have}). Ask to_tf_dataset "
            "only for the columns the tokenizer made: [c for c in tokenizer.model_input_names if c in dataset.column_names]."
        )
    missing_labels = [name for name in _names(label_cols) if not _has_column(name, present)]
    if missing_labels:
        raise PreflightError(
            f"The dataset has no label column {', '.join(repr(m) for m in missing_labels)} (columns: {have}). "
            "Pass the name of the column that holds the class ids as label_cols."
        )


def _names(columns: str | Sequence[str] | None) -> list[str]:
    """``to_tf_dataset``'s reading of ``columns`` or ``label_cols``: one name, a list of names, or none."""
    if columns is None:
        return []
    return [columns] if isinstance(columns, str) else list(columns)


def _has_column(name: str, present: Sequence[str]) -> bool:
    if name in present:
        return True
    return name in LABEL_SPELLINGS and any(spelling in present for spelling in LABEL_SPELLINGS)


def checked_text_batches(batches: Any) -> Any:
    """Pass on the batches of a tokenizer's training corpus, checking each holds text.

    ``train_new_from_iterator`` and ``train_from_iterator`` read whatever they are given: texts one
    at a time or lists of texts (the talk's batches) train alike. Three mistakes do not: a corpus
    that is itself one string is read one character at a time; whole rows (dicts) or other objects
    fail with a message about Rust types; an empty corpus trains nothing. This generator raises
    :class:`PreflightError` for each, saying what to yield instead. Used in
    notebooks/04_training_tokenizers.ipynb.
    """
    if isinstance(batches, (str, bytes)):
        raise PreflightError(
            "The corpus is a single string, which would be read one character at a time: pass an iterator "
            "of batches, each a list of texts (batch_iterator(dataset))."
        )
    texts = 0
    for number, batch in enumerate(batches, start=1):
        if isinstance(batch, str):
            texts += bool(batch.strip())
            yield batch
            continue
        if isinstance(batch, Mapping):
            raise PreflightError(
                f"Batch {number} of the corpus is a dict (whole rows of the dataset, keys {sorted(batch)}): "
                "yield its text column, dataset[start:start + batch_size]['text']."
            )
        if not isinstance(batch, Sequence) or isinstance(batch, bytes):
            raise PreflightError(f"Batch {number} of the corpus is a {type(batch).__name__}: yield lists of texts.")
        wrong = next((text for text in batch if not isinstance(text, str)), None)
        if wrong is not None:
            raise PreflightError(
                f"Batch {number} of the corpus holds a {type(wrong).__name__} ({wrong!r:.40}) among its texts: "
                "every item must be a string; pick the text column."
            )
        texts += sum(1 for text in batch if text.strip())
        yield list(batch)
    if texts == 0:
        raise PreflightError(
            "The corpus gave no text at all: check the split and the column the batch iterator reads "
            "(an empty dataset, or only empty lines)."
        )
