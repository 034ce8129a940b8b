"""Padding statistics on hand-computed examples, and the bucketed order's guarantees."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest

from course_utils.padding import batches_of, bucketed_order, padded_tokens, token_counts

LENGTHS = [5, 9, 3, 12, 7, 7, 4, 30, 6, 8, 11, 5, 3, 9, 10, 6, 14, 5, 8, 7, 21, 4, 6, 13, 9]


def test_padded_tokens_by_hand() -> None:
    lengths = [2, 5, 3, 4]
    assert padded_tokens(lengths, [0, 1, 2, 3], batch_size=2) == 2 * 5 + 2 * 4
    assert padded_tokens(lengths, [0, 2, 1, 3], batch_size=2) == 2 * 3 + 2 * 5
    assert padded_tokens(lengths, [0, 1, 2], batch_size=2) == 2 * 5 + 1 * 3  # a shorter last batch
    assert padded_tokens(lengths, range(4), batch_size=2, pad_to=5) == 4 * 5


def test_token_counts_by_hand() -> None:
    batches = [
        ({"input_ids": np.zeros((2, 4)), "attention_mask": np.array([[1, 1, 1, 0], [1, 1, 1, 1]])}, np.array([0, 1])),
        {"input_ids": np.zeros((1, 3)), "attention_mask": np.array([[1, 1, 0]])},
    ]
    counts = token_counts(batches)
    assert counts == {
        "examples": 3, "batches": 2, "processed": 11, "real": 9, "ratio": 11 / 9, "padding_fraction": 1 - 9 / 11,
    }
    with pytest.raises(ValueError, match="no real token"):
        token_counts([])


@pytest.mark.parametrize("batch_size, bucket_batches", [(4, 2), (4, 32), (3, 1), (25, 1), (7, 3)])
def test_every_example_exactly_once(batch_size: int, bucket_batches: int) -> None:
    order = bucketed_order(LENGTHS, batch_size, seed=0, bucket_batches=bucket_batches)
    assert sorted(order) == list(range(len(LENGTHS)))


def test_orders_differ_between_epochs_and_seeds_and_repeat_with_a_seed() -> None:
    first, again, second = (bucketed_order(LENGTHS, 4, seed=s, bucket_batches=2) for s in (1, 1, 2))
    assert first == again
    assert first != second
    assert set(batches_of(first, 4)) != set(batches_of(second, 4))


def test_only_the_last_batch_may_be_short() -> None:
    for seed in range(20):
        batches = batches_of(bucketed_order(LENGTHS, 4, seed=seed, bucket_batches=2), 4)
        assert [len(b) for b in batches[:-1]] == [4] * (len(batches) - 1)
        assert len(batches[-1]) == len(LENGTHS) % 4 or len(batches[-1]) == 4


def test_buckets_cut_padding_towards_the_sorted_limit() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(4, 48, size=1200)
    real = lengths.sum()
    shuffled = padded_tokens(lengths, rng.permutation(1200), 16)
    bucketed = padded_tokens(lengths, bucketed_order(lengths, 16, seed=0), 16)
    everything_sorted = padded_tokens(lengths, np.argsort(lengths, kind="stable"), 16)
    assert everything_sorted <= bucketed < shuffled
    assert bucketed / real < 1.1 < shuffled / real


def test_each_batch_comes_from_one_bucket() -> None:
    """Batches hold examples sorted by length within their bucket, so a batch spans a narrow range."""
    lengths = np.arange(64)[::-1]
    batches = batches_of(bucketed_order(lengths, 4, seed=3, bucket_batches=16), 4)  # one bucket: fully sorted
    assert all(max(lengths[list(b)]) - min(lengths[list(b)]) == 3 for b in batches)
    assert Counter(len(b) for b in batches) == {4: 16}


@pytest.mark.keras_env
def test_epoch_batches_three_ways_count_the_tokens_by_hand() -> None:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    from datasets import Dataset
    from transformers import AutoTokenizer

    from course_utils.machinery.assets import offline_minilm_path
    from course_utils.padding import epoch_batches

    tokenizer = AutoTokenizer.from_pretrained(offline_minilm_path())
    sentences = ["word " * n for n in (1, 2, 8, 3, 1, 9, 2, 2)]
    data = Dataset.from_dict({"sentence": sentences, "label": [0, 1] * 4}).map(
        lambda batch: tokenizer(batch["sentence"], truncation=True), batched=True
    )
    lengths = [len(ids) for ids in data["input_ids"]]  # words + [CLS] and [SEP]
    columns = ["input_ids", "attention_mask"]
    counts = {way: token_counts(epoch_batches(data, columns, tokenizer, way, 4, seed=0)) for way in ("pad to longest", "per batch", "buckets")}
    assert all(c["examples"] == 8 and c["real"] == sum(lengths) for c in counts.values())
    assert counts["pad to longest"]["processed"] == 8 * max(lengths)
    order = bucketed_order(lengths, 4, seed=0)
    assert counts["buckets"]["processed"] == padded_tokens(lengths, order, 4)
    assert counts["buckets"]["processed"] <= counts["per batch"]["processed"] <= counts["pad to longest"]["processed"]
    with pytest.raises(ValueError, match="Unknown way 'sorted'"):
        epoch_batches(data, columns, tokenizer, "sorted", 4, seed=0)
