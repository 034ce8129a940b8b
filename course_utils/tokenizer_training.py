"""Training tokenizers: the batch iterator, a BERT-style WordPiece design, and two measures.

Notebook 04 defines :func:`batch_iterator`, :data:`SPECIAL_TOKENS`, :func:`new_wordpiece_tokenizer`,
:func:`add_bert_template`, :func:`fertility` and :func:`unknown_rate` in its own cells
(``#| bind: course_utils.tokenizer_training``); this module keeps identical copies for
benchmarks/tokenizer_training.py and the unit tests. :func:`peak_python_memory` is a measuring
helper. Main environment (tokenizers 0.23, transformers 5); imports ``tokenizers`` at import time.
"""

from __future__ import annotations

import tracemalloc
from typing import Callable, TypeVar

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

T = TypeVar("T")


def batch_iterator(dataset, batch_size=1000):
    """Yield the dataset's texts in lists of ``batch_size``: one list in memory at a time.

    Used in notebooks/04_training_tokenizers.ipynb (defined there) and benchmarks/tokenizer_training.py.
    """
    for start in range(0, len(dataset), batch_size):
        yield dataset[start:start + batch_size]["text"]


SPECIAL_TOKENS = ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]


def new_wordpiece_tokenizer():
    """An untrained BERT-style tokenizer: WordPiece model, BERT normalizer and pre-tokenizer.

    Used in notebooks/04_training_tokenizers.ipynb (defined there) and the unit tests.
    """
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    return tokenizer


def add_bert_template(tokenizer):
    """Add ``[CLS]`` and ``[SEP]`` around every encoding, with type ids 0 and 1 for a pair.

    The tokenizer must be trained with ``[CLS]`` and ``[SEP]`` among its special tokens. Used in
    notebooks/04_training_tokenizers.ipynb (defined there) and the unit tests.
    """
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return tokenizer


def fertility(tokenizer, texts):
    """Tokens per word: how many pieces the tokenizer cuts an average (space-separated) word into.

    Used in notebooks/04_training_tokenizers.ipynb (defined there) and benchmarks/tokenizer_training.py.
    """
    words = sum(len(text.split()) for text in texts)
    tokens = sum(len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"])
    return tokens / words


def unknown_rate(tokenizer, texts):
    """The share of tokens that are the unknown token: text the tokenizer could not represent.

    Used in notebooks/04_training_tokenizers.ipynb (defined there) and the unit tests.
    """
    encoded = tokenizer(texts, add_special_tokens=False)["input_ids"]
    total = sum(len(ids) for ids in encoded)
    unknown = sum(token == tokenizer.unk_token_id for ids in encoded for token in ids)
    return unknown / total


def peak_python_memory(function: Callable[[], T]) -> tuple[T, int]:
    """Run ``function()``; return its result and the peak bytes of Python objects allocated meanwhile.

    Measured with ``tracemalloc``, which sees Python's allocations (lists and strings of text), not
    the Rust side of ``tokenizers``: the part a batch iterator changes. Used in
    notebooks/04_training_tokenizers.ipynb.
    """
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak
