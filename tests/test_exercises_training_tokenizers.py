"""Notebook 04's exercise checkers: right answers pass, typical mistakes get their sentence."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.main_env


@pytest.fixture(scope="module")
def ex():
    from course_utils.exercises import training_tokenizers

    return training_tokenizers


@pytest.fixture(scope="module")
def corpus_batches():
    from course_utils.machinery.standin import make_corpus

    train = make_corpus(seed=0, n_train_lines=3000)["train"]
    return [train[i:i + 1000]["text"] for i in range(0, len(train), 1000)]


def unigram(corpus_batches, vocab_size=2000, unk=True, decoder=True, model="Unigram", pre_tokenizer=True):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    if model == "BPE":
        tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"], show_progress=False)
    else:
        tokenizer = Tokenizer(models.Unigram())
        options = {"unk_token": "[UNK]", "special_tokens": ["[UNK]"]} if unk else {}
        trainer = trainers.UnigramTrainer(vocab_size=vocab_size, show_progress=False, **options)
    if pre_tokenizer:
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    if decoder:
        tokenizer.decoder = decoders.Metaspace()
    tokenizer.train_from_iterator(corpus_batches, trainer=trainer)
    return tokenizer


def test_unigram_accepts_a_right_answer(ex, corpus_batches) -> None:
    feedback = ex.check_unigram(unigram(corpus_batches))
    assert feedback.passed, feedback
    assert "a Unigram vocabulary of" in feedback.message


def test_unigram_rejects_typical_mistakes(ex, corpus_batches) -> None:
    from tokenizers import Tokenizer, models

    cases = [
        (None, "is None"),
        ("a string", "build a tokenizers.Tokenizer"),
        (Tokenizer(models.Unigram()), "the vocabulary is empty"),
        (unigram(corpus_batches, model="BPE"), "its model is BPE, not Unigram"),
        (unigram(corpus_batches, vocab_size=3000), "pass vocab_size=2000"),
        (unigram(corpus_batches, unk=False), "pass unk_token='[UNK]'"),
        (unigram(corpus_batches, decoder=False), "pre_tokenizers.Metaspace() and decoders.Metaspace()"),
        (unigram(corpus_batches, decoder=False, pre_tokenizer=False), "not the text back"),
    ]
    for answer, expected in cases:
        feedback = ex.check_unigram(answer)
        assert not feedback.passed and expected in feedback.message, (expected, feedback)


@pytest.fixture(scope="module")
def gpt2_folder(tmp_path_factory: pytest.TempPathFactory):
    """GPT-2's genuine tokenizer files, as the local Hub serves them under openai-community/gpt2."""
    from course_utils.machinery.gpt2_tokenizer import write_gpt2_tokenizer

    folder = tmp_path_factory.mktemp("gpt2-tokenizer")
    write_gpt2_tokenizer(folder)
    return folder


@pytest.fixture
def gpt2_like(gpt2_folder):
    """A fresh tokenizer for each test: with_template changes its post-processor in place."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gpt2_folder)


def with_template(tokenizer, single, token_id=None):
    from tokenizers import processors

    token_id = tokenizer.eos_token_id if token_id is None else token_id
    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single=single, special_tokens=[("<|endoftext|>", token_id)]
    )
    return tokenizer


def test_end_of_text_accepts_a_right_answer(ex, gpt2_like) -> None:
    feedback = ex.check_end_of_text(with_template(gpt2_like, "$A <|endoftext|>"))
    assert feedback.passed, feedback


@pytest.mark.parametrize(
    "single, token_id, expected",
    [
        (None, None, "nothing is added"),
        ("<|endoftext|> $A", None, "comes first"),
        ("$A <|endoftext|>", 5, "use tokenizer.eos_token_id"),
        ("$A <|endoftext|> <|endoftext|>", None, "expected the text's ids followed by"),
    ],
    ids=["no template", "prepended", "wrong id", "twice"],
)
def test_end_of_text_rejects_typical_mistakes(ex, gpt2_like, single, token_id, expected: str) -> None:
    tokenizer = gpt2_like if single is None else with_template(gpt2_like, single, token_id)
    feedback = ex.check_end_of_text(tokenizer)
    assert not feedback.passed and expected in feedback.message


def test_end_of_text_needs_the_end_of_text_token(ex) -> None:
    from transformers import AutoTokenizer

    from course_utils.machinery.assets import offline_minilm_path

    assert "no <|endoftext|>" in ex.check_end_of_text(AutoTokenizer.from_pretrained(offline_minilm_path())).message
    assert "is None" in ex.check_end_of_text(None).message


def nonempty_batches(dataset, batch_size=1000):
    batch = []
    for text in dataset["text"]:
        if text.strip():
            batch.append(text)
            if len(batch) == batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


def test_nonempty_batches_accepts_right_answers(ex) -> None:
    from course_utils.tokenizer_training import batch_iterator

    def through_a_filter(dataset, batch_size=1000):  # returns a generator instead of being one
        return batch_iterator(dataset.filter(lambda row: bool(row["text"].strip())), batch_size)

    for answer in (nonempty_batches, through_a_filter):
        feedback = ex.check_nonempty_batches(answer)
        assert feedback.passed, feedback


def unfiltered(dataset, batch_size=1000):
    for start in range(0, len(dataset), batch_size):
        yield dataset[start:start + batch_size]["text"]


def filtered_per_slice(dataset, batch_size=1000):  # filters, but batches shrink
    for start in range(0, len(dataset), batch_size):
        yield [text for text in dataset[start:start + batch_size]["text"] if text.strip()]


def drops_the_last(dataset, batch_size=1000):
    texts = [text for text in dataset["text"] if text.strip()]
    for start in range(0, len(texts) - batch_size + 1, batch_size):
        yield texts[start:start + batch_size]


def one_at_a_time(dataset, batch_size=1000):
    for text in dataset["text"]:
        if text.strip():
            yield text


def as_a_list(dataset, batch_size=1000):
    texts = [text for text in dataset["text"] if text.strip()]
    return [texts[i:i + batch_size] for i in range(0, len(texts), batch_size)]


def broken(dataset, batch_size=1000):
    yield dataset["missing"]


@pytest.mark.parametrize(
    "answer, expected",
    [
        (unfiltered, "empty rows are still there"),
        (filtered_per_slice, "fill each batch with"),
        (drops_the_last, "mind the last batch"),
        (one_at_a_time, "it yields single strings"),
        (as_a_list, "returned a list, every batch at once"),
        (broken, "calling broken() raised ValueError: Column 'missing' doesn't exist. (line: yield dataset[\"missing\"])"),
    ],
    ids=["unfiltered", "shrinking batches", "last batch dropped", "strings", "list", "error"],
)
def test_nonempty_batches_rejects_typical_mistakes(ex, answer, expected: str) -> None:
    feedback = ex.check_nonempty_batches(answer)
    assert not feedback.passed and expected in feedback.message
