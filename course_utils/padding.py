"""Padding, measured: how many tokens each way of batching makes a model process, and length buckets.

Notebook 02 defines :func:`bucketed_order` and :func:`epoch_batches` in its own cell
(``#| bind: course_utils.padding``); this module keeps the identical copies that
benchmarks/padding.py and the unit tests use. :func:`token_counts` measures a ``tf.data``
pipeline the way a model sees it. Imports numpy and transformers' ``DataCollatorWithPadding`` at
import time; :func:`epoch_batches` needs the keras environment (``return_tensors="tf"``), the rest
works in both.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import numpy as np
from transformers import DataCollatorWithPadding


def bucketed_order(lengths, batch_size, seed, bucket_batches=32):
    """An order of the examples in which consecutive ``batch_size`` examples have similar lengths.

    Shuffle every example, cut the shuffled list into buckets of ``bucket_batches`` batches, sort
    each bucket by length, cut it into batches, and shuffle the order of the full batches (a
    last, shorter batch stays at the end, so that batch boundaries fall every ``batch_size``
    examples). Every example appears exactly once; another ``seed`` (one per epoch) gives other
    batches in another order. Feed it to ``dataset.select(order).to_tf_dataset(shuffle=False,
    batch_size=batch_size, ...)``.

    Used in notebooks/02_keras_to_tf_dataset.ipynb (defined there) and benchmarks/padding.py.
    """
    lengths = np.asarray(lengths)
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(lengths))
    bucket_size = batch_size * bucket_batches
    batches = []
    for start in range(0, len(shuffled), bucket_size):
        bucket = shuffled[start:start + bucket_size]
        bucket = bucket[np.argsort(lengths[bucket], kind="stable")]
        batches += [bucket[i:i + batch_size] for i in range(0, len(bucket), batch_size)]
    full = [batch for batch in batches if len(batch) == batch_size]
    rest = [batch for batch in batches if len(batch) < batch_size]
    rng.shuffle(full)
    return np.concatenate(full + rest).tolist()


def epoch_batches(dataset, columns, tokenizer, way, batch_size, seed):
    """One epoch of ``dataset`` as ``(inputs, labels)`` batches, padded one of three ways.

    ``"pad to longest"``: every example padded to the longest of the whole dataset, in a shuffled
    order. ``"per batch"``: the talk's way, each shuffled batch padded to its own longest example.
    ``"buckets"``: each batch padded to its own longest example, in the order of
    :func:`bucketed_order` for ``seed``.

    Used in notebooks/02_keras_to_tf_dataset.ipynb (defined there) and benchmarks/padding.py.
    """
    if way == "pad to longest":
        longest = max(len(ids) for ids in dataset["input_ids"])
        collator = DataCollatorWithPadding(tokenizer, padding="max_length", max_length=longest, return_tensors="tf")
        return dataset.to_tf_dataset(columns=columns, label_cols="labels", shuffle=True, batch_size=batch_size, collate_fn=collator)
    collator = DataCollatorWithPadding(tokenizer, return_tensors="tf")
    if way == "per batch":
        return dataset.to_tf_dataset(columns=columns, label_cols="labels", shuffle=True, batch_size=batch_size, collate_fn=collator)
    if way == "buckets":
        order = bucketed_order([len(ids) for ids in dataset["input_ids"]], batch_size, seed)
        return dataset.select(order).to_tf_dataset(
            columns=columns, label_cols="labels", shuffle=False, batch_size=batch_size, collate_fn=collator
        )
    raise ValueError(f"Unknown way {way!r}: use 'pad to longest', 'per batch' or 'buckets'.")


def batches_of(order: Iterable[int], batch_size: int) -> list[tuple[int, ...]]:
    """``order`` cut into consecutive batches of ``batch_size`` (the last may be shorter).

    Used in notebooks/02_keras_to_tf_dataset.ipynb (to compare two epochs' batches).
    """
    order = list(order)
    return [tuple(order[i:i + batch_size]) for i in range(0, len(order), batch_size)]


def padded_tokens(lengths: Any, order: Iterable[int], batch_size: int, pad_to: int | None = None) -> int:
    """Tokens a model processes when ``order`` is batched by ``batch_size`` and padded per batch.

    Each batch costs ``len(batch) * longest length in it`` (or ``* pad_to`` for padding every
    example to one length). Computed from the lengths alone, for tests and benchmarks.
    Used in benchmarks/padding.py.
    """
    lengths = np.asarray(lengths)
    total = 0
    for batch in batches_of(order, batch_size):
        longest = pad_to if pad_to is not None else int(lengths[list(batch)].max())
        total += len(batch) * longest
    return total


def token_counts(batches: Iterable[Any]) -> dict[str, float]:
    """What a model processes over one pass through ``batches``: examples, batches, tokens.

    ``batches`` yields ``(inputs, labels)`` pairs (as ``to_tf_dataset`` does) or input dicts, each
    with ``input_ids`` and ``attention_mask``. ``processed`` counts every position of every
    ``input_ids`` tensor, padding included; ``real`` counts the ones of the attention masks. Also
    returns ``ratio`` (processed / real) and ``padding_fraction`` (1 - real / processed).

    Used in notebooks/02_keras_to_tf_dataset.ipynb and benchmarks/padding.py.
    """
    examples = count = processed = real = 0
    for batch in batches:
        inputs: Mapping[str, Any] = batch[0] if isinstance(batch, tuple) else batch
        ids, mask = inputs["input_ids"], inputs["attention_mask"]
        rows, columns = (int(size) for size in ids.shape)
        examples += rows
        count += 1
        processed += rows * columns
        real += int(np.asarray(mask).sum())
    if not real:
        raise ValueError("The batches hold no real token: is the dataset empty, or the attention mask all zeros?")
    return {
        "examples": examples,
        "batches": count,
        "processed": processed,
        "real": real,
        "ratio": processed / real,
        "padding_fraction": 1 - real / processed,
    }
