"""Notebook 02's exercise checkers: right answers pass, typical mistakes get their sentence (keras environment)."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.keras_env

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


TOKENIZER: list = []  # the module's tokenizer, for answers written as lambdas


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from course_utils.machinery.assets import offline_minilm_path

    TOKENIZER[:] = [AutoTokenizer.from_pretrained(offline_minilm_path())]
    return TOKENIZER[0]


@pytest.fixture(scope="module")
def ex():
    from course_utils.exercises import keras_to_tf_dataset

    return keras_to_tf_dataset


def make_pad_batch(pad_id=0, side="right", dtype="int64", mask_value=0, width=None, as_numpy=False):
    def pad_batch(features):
        import numpy as np
        import tensorflow as tf

        longest = width or max(len(f["input_ids"]) for f in features)
        out = {}
        for key, value in (("input_ids", pad_id), ("attention_mask", mask_value)):
            rows = []
            for f in features:
                padding = [value] * (longest - len(f[key]))
                rows.append(list(f[key]) + padding if side == "right" else padding + list(f[key]))
            out[key] = np.array(rows) if as_numpy else tf.constant(rows, dtype=dtype)
        return out

    return pad_batch


def test_pad_batch_accepts_a_right_answer(ex, tokenizer) -> None:
    feedback = ex.check_pad_batch(make_pad_batch(), tokenizer)
    assert feedback.passed, feedback
    assert "equals DataCollatorWithPadding's" in feedback.message


@pytest.mark.parametrize(
    "answer, expected",
    [
        (lambda features: None, "returned None"),
        (make_pad_batch(as_numpy=True), "make it a TensorFlow tensor"),
        (make_pad_batch(dtype="float32"), "ids and masks are integers"),
        (make_pad_batch(width=64), "pad to the batch's own longest example"),
        (lambda features: __import__("transformers").DataCollatorWithPadding(TOKENIZER[0], return_tensors="tf")(features), "write the padding yourself"),
        (make_pad_batch(side="left"), "the padding is at the start"),
        (make_pad_batch(pad_id=102), "pad them with tokenizer.pad_token_id (0)"),
        (make_pad_batch(mask_value=1), "the attention mask is off"),
        (lambda features: {"input_ids": make_pad_batch()(features)["input_ids"]}, "the batch has no 'attention_mask'"),
    ],
    ids=["none", "numpy", "floats", "fixed width", "collator", "left padding", "wrong pad id", "mask of ones", "no mask"],
)
def test_pad_batch_rejects_typical_mistakes(ex, tokenizer, answer, expected: str) -> None:
    feedback = ex.check_pad_batch(answer, tokenizer)
    assert not feedback.passed and expected in feedback.message


@pytest.fixture(scope="module")
def validation(tokenizer):
    from datasets import Dataset

    sentences = [f"sentence number {i} " + "word " * (i % 13) for i in range(40)]
    data = Dataset.from_dict({"sentence": sentences, "label": [i % 2 for i in range(40)]})
    return data.map(lambda batch: tokenizer(batch["sentence"], truncation=True), batched=True)


def pipeline(validation, tokenizer, **options):
    from transformers import DataCollatorWithPadding

    collator_options = {key: options.pop(key) for key in ("pad_to_multiple_of", "padding", "max_length") if key in options}
    collator = DataCollatorWithPadding(tokenizer, return_tensors="tf", **collator_options)
    settings = {"columns": ["input_ids", "attention_mask"], "label_cols": "label", "shuffle": False, "batch_size": 16, **options}
    return validation.to_tf_dataset(collate_fn=collator, **settings)


def test_multiple_of_8_accepts_a_right_answer(ex, tokenizer, validation) -> None:
    feedback = ex.check_multiple_of_8(pipeline(validation, tokenizer, pad_to_multiple_of=8), validation)
    assert feedback.passed, feedback
    assert "more than plain per-batch padding" in feedback.message


@pytest.mark.parametrize(
    "options, expected",
    [
        ({}, "not a multiple of 8"),
        ({"pad_to_multiple_of": 8, "shuffle": True}, "shuffle=False"),
        ({"pad_to_multiple_of": 8, "batch_size": 8}, "use batch_size=16"),
        ({"pad_to_multiple_of": 8, "drop_remainder": True}, "keep every example"),
        ({"padding": "max_length", "max_length": 64}, "pad per batch"),
        ({"pad_to_multiple_of": 8, "label_cols": None}, "(inputs, labels) pair"),
    ],
    ids=["no multiple", "shuffled", "batches of 8", "dropped remainder", "max_length", "no labels"],
)
def test_multiple_of_8_rejects_typical_mistakes(ex, tokenizer, validation, options, expected: str) -> None:
    feedback = ex.check_multiple_of_8(pipeline(validation, tokenizer, **options), validation)
    assert not feedback.passed and expected in feedback.message


def test_multiple_of_8_without_a_dataset(ex, validation) -> None:
    assert "is None" in ex.check_multiple_of_8(None, validation).message
    assert "build a tf.data.Dataset" in ex.check_multiple_of_8([1, 2], validation).message


def test_real_tokens_accepts_right_answers(ex, tokenizer) -> None:
    import tensorflow as tf

    for answer in (
        lambda inputs: tf.reduce_sum(inputs["attention_mask"], axis=1).numpy().tolist(),
        lambda inputs: [int(row.sum()) for row in inputs["attention_mask"].numpy()],
        lambda inputs: tf.reduce_sum(inputs["attention_mask"], axis=-1),
    ):
        feedback = ex.check_real_tokens(answer, tokenizer)
        assert feedback.passed, feedback


@pytest.mark.parametrize(
    "answer, expected",
    [
        (lambda inputs: None, "returned None"),
        (lambda inputs: int(inputs["attention_mask"].numpy().sum()), "returned one number"),
        (lambda inputs: [inputs["input_ids"].shape[1]] * inputs["input_ids"].shape[0], "counts the padding too"),
        (lambda inputs: inputs["attention_mask"].numpy().sum(axis=0).tolist(), "counts for a batch of 4"),
        (lambda inputs: (inputs["attention_mask"].numpy().sum(axis=1) - 2).tolist(), "the attention mask says"),
        (lambda inputs: __import__("tensorflow").math.count_nonzero(inputs["input_ids"], axis=1), "counts the padding too"),
    ],
    ids=["none", "summed", "width", "per position", "minus specials", "non-zero ids"],
)
def test_real_tokens_rejects_typical_mistakes(ex, tokenizer, answer, expected: str) -> None:
    feedback = ex.check_real_tokens(answer, tokenizer)
    assert not feedback.passed and expected in feedback.message
