"""Checkers for the exercises of notebook 02 (Keras and ``to_tf_dataset``).

1. :func:`check_pad_batch`: a collate function written by hand, against ``DataCollatorWithPadding``.
2. :func:`check_multiple_of_8`: a validation pipeline padded per batch to multiples of 8.
3. :func:`check_real_tokens`: real tokens per example, from the attention mask.

Keras environment (TensorFlow, transformers 4.57). Used in notebooks/02_keras_to_tf_dataset.ipynb
and its solutions notebook.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from course_utils.exercises import Feedback, LearnerCodeError, call_learner_code, correct, not_yet

#: Sentences of different lengths the checkers tokenize.
SENTENCES = (
    "The cat slept.",
    "Emma believed that the farmers had tried to complain at the market.",
    "Books.",
    "Which of the two letters did the students say the teacher had read aloud?",
)
_KEYS = ("input_ids", "attention_mask")


def _features(tokenizer: Any) -> list[dict[str, list[int]]]:
    encoded = tokenizer(list(SENTENCES), truncation=True)
    return [{key: encoded[key][i] for key in _KEYS} for i in range(len(SENTENCES))]


def check_pad_batch(pad_batch: Callable[[list[dict[str, list[int]]]], Any], tokenizer: Any) -> Feedback:
    """Exercise 1: ``pad_batch(features)`` pads ``input_ids`` and ``attention_mask`` like ``DataCollatorWithPadding``.

    Checked on four sentences of different lengths tokenized with ``tokenizer``. Used in
    notebooks/02_keras_to_tf_dataset.ipynb.
    """
    import tensorflow as tf
    from transformers import DataCollatorWithPadding

    features = _features(tokenizer)
    expected = DataCollatorWithPadding(tokenizer, return_tensors="tf")([dict(f) for f in features])
    try:
        batch = call_learner_code(pad_batch, [dict(f) for f in features])
    except LearnerCodeError as error:
        return error.feedback
    if batch is None:
        return not_yet("pad_batch() returned None: return a dict with 'input_ids' and 'attention_mask'.")
    if type(batch) is not dict:
        return not_yet(
            f"pad_batch() returned a {type(batch).__name__}: write the padding yourself (not with tokenizer.pad or a "
            "collator) and return a plain dict with 'input_ids' and 'attention_mask'."
        )
    missing = [key for key in _KEYS if key not in batch]
    if missing:
        return not_yet(f"the batch has no {' or '.join(repr(key) for key in missing)}: return both tensors.")
    longest = max(len(f["input_ids"]) for f in features)
    for key in _KEYS:
        value = batch[key]
        if not isinstance(value, tf.Tensor):
            return not_yet(f"batch[{key!r}] is a {type(value).__name__}: make it a TensorFlow tensor with tf.constant(...).")
        if not value.dtype.is_integer:
            return not_yet(f"batch[{key!r}] holds {value.dtype.name} values: ids and masks are integers (tf.int32 or tf.int64).")
        if tuple(value.shape) != (len(features), longest):
            return not_yet(
                f"batch[{key!r}] has shape {tuple(value.shape)}, but {len(features)} examples padded to the longest one "
                f"({longest} tokens) make ({len(features)}, {longest}): pad to the batch's own longest example."
            )
    ids, mask = batch["input_ids"].numpy(), batch["attention_mask"].numpy()
    want_ids, want_mask = expected["input_ids"].numpy(), expected["attention_mask"].numpy()
    if not np.array_equal(mask, want_mask):
        if np.array_equal(mask, want_mask[:, ::-1]) or np.array_equal(ids, _left_padded(features, longest, tokenizer.pad_token_id)):
            return not_yet("the padding is at the start: pad on the right, after each example's tokens, as the tokenizer expects.")
        return not_yet("the attention mask is off: 1 for each real token, 0 for each padding position.")
    if not np.array_equal(ids, want_ids):
        return not_yet(f"the input ids are off where there is padding: pad them with tokenizer.pad_token_id ({tokenizer.pad_token_id}).")
    padding = int(mask.size - mask.sum())
    return correct(
        f"your batch equals DataCollatorWithPadding's: {padding} of its {mask.size} positions are padding, "
        "the least any batch of these four sentences can have."
    )


def check_multiple_of_8(tf_dataset: Any, dataset: Any) -> Feedback:
    """Exercise 2: ``tf_dataset`` is ``dataset`` in order, batches of 16, each padded to the smallest multiple of 8.

    ``dataset`` is the tokenized split it was built from. Used in notebooks/02_keras_to_tf_dataset.ipynb.
    """
    import tensorflow as tf

    if tf_dataset is None:
        return not_yet("`multiple_of_8` is None: build it with to_tf_dataset and a DataCollatorWithPadding.")
    if not isinstance(tf_dataset, tf.data.Dataset):
        return not_yet(f"`multiple_of_8` is a {type(tf_dataset).__name__}: build a tf.data.Dataset with to_tf_dataset.")
    lengths = [len(ids) for ids in dataset["input_ids"]]
    labels = list(dataset["label"])
    seen_labels: list[int] = []
    sizes, widths, processed, real = [], [], 0, 0
    for element in tf_dataset:
        if not (isinstance(element, tuple) and len(element) == 2 and isinstance(element[0], dict)):
            return not_yet("each element should be an (inputs, labels) pair: pass label_cols='labels' to to_tf_dataset.")
        inputs, batch_labels = element
        if "attention_mask" not in inputs or "input_ids" not in inputs:
            return not_yet("the inputs lack input_ids or attention_mask: pass the tokenizer's columns as `columns`.")
        rows, width = (int(size) for size in inputs["input_ids"].shape)
        mask = inputs["attention_mask"].numpy()
        longest = int(mask.sum(axis=1).max())
        sizes.append(rows)
        widths.append((width, longest))
        processed += rows * width
        real += int(mask.sum())
        seen_labels += np.asarray(batch_labels).reshape(-1).tolist()
    if sum(sizes) != len(lengths):
        return not_yet(f"one pass gives {sum(sizes)} examples, the split has {len(lengths)}: keep every example (no drop_remainder).")
    if any(size != 16 for size in sizes[:-1]):
        return not_yet(f"the batches hold {sorted(set(sizes[:-1]))} examples: use batch_size=16.")
    if seen_labels != labels:
        return not_yet("the examples come in another order than the split's: pass shuffle=False for evaluation.")
    for width, longest in widths:
        if width % 8:
            return not_yet(f"a batch is {width} tokens wide, not a multiple of 8: pass pad_to_multiple_of=8 to DataCollatorWithPadding.")
        if width != 8 * math.ceil(longest / 8):
            return not_yet(
                f"a batch whose longest sentence has {longest} tokens is padded to {width}; {8 * math.ceil(longest / 8)} would do: "
                "pad per batch (no padding='max_length')."
            )
    per_batch = sum(
        len(chunk) * max(chunk) for chunk in (lengths[i:i + 16] for i in range(0, len(lengths), 16))
    )
    return correct(
        f"every batch is a multiple of 8 wide: {processed} positions for {real} real tokens, {processed - per_batch} "
        f"({(processed - per_batch) / per_batch:.0%}) more than plain per-batch padding; the tensor cores of recent GPUs "
        "(fp16/bf16) run faster on such shapes, on a CPU they only cost tokens."
    )


def check_real_tokens(real_tokens: Callable[[dict[str, Any]], Any], tokenizer: Any) -> Feedback:
    """Exercise 3: ``real_tokens(inputs)`` counts each example's real tokens from the attention mask.

    ``inputs`` is a padded batch of four sentences, as ``to_tf_dataset`` yields it. Used in
    notebooks/02_keras_to_tf_dataset.ipynb.
    """
    from transformers import DataCollatorWithPadding

    import tensorflow as tf

    features = _features(tokenizer)
    inputs = dict(DataCollatorWithPadding(tokenizer, return_tensors="tf")(features))
    # Padding ids are not always 0 (GPT-2's pad token, say): only the attention mask tells.
    mask = inputs["attention_mask"]
    inputs["input_ids"] = tf.where(mask == 1, inputs["input_ids"], tf.ones_like(inputs["input_ids"]) * 7)
    expected = [len(f["input_ids"]) for f in features]
    try:
        result = call_learner_code(real_tokens, inputs)
    except LearnerCodeError as error:
        return error.feedback
    if result is None:
        return not_yet("real_tokens() returned None: return one count per example, e.g. a list of integers.")
    counts = np.asarray(result.numpy() if hasattr(result, "numpy") else result).reshape(-1)
    width = int(inputs["input_ids"].shape[1])
    if counts.size == 1 and len(expected) > 1:
        return not_yet(f"real_tokens() returned one number ({counts[0]}): return one count per example (sum over each row).")
    if counts.size != len(expected):
        return not_yet(f"real_tokens() returned {counts.size} counts for a batch of {len(expected)} examples.")
    if np.all(counts == width):
        return not_yet("every count equals the batch's width: that counts the padding too; sum the attention mask of each row.")
    if counts.tolist() != expected:
        return not_yet(f"the counts are {counts.tolist()}, the attention mask says {expected}: sum its ones per example.")
    return correct(
        f"{expected} real tokens in a batch {width} wide: {sum(width - e for e in expected)} of its "
        f"{width * len(expected)} positions are padding, which the attention mask tells the model to ignore."
    )


def _left_padded(features: list[dict[str, list[int]]], longest: int, pad_id: int) -> np.ndarray:
    return np.array([[pad_id] * (longest - len(f["input_ids"])) + list(f["input_ids"]) for f in features])
