"""Notebook 04's exercise checkers: right answers pass, typical mistakes get their sentence."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.main_env


@pytest.fixture(scope="module")
def ex():
    from course_utils.exercises import training_tokenizers

    return training_tokenizers


@pytest.fixture(autouse=True)
def uncapped(monkeypatch):
    """check_unigram is lenient in a capped run ($COURSE_MAX_EXAMPLES): these tests run uncapped unless they say so."""
    from course_utils.machinery.profiles import MAX_EXAMPLES_ENV_VAR

    monkeypatch.delenv(MAX_EXAMPLES_ENV_VAR, raising=False)


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


def solution_unigram(train):  # notebooks/solutions/04_training_tokenizers.ipynb, on the stand-in corpus
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    from course_utils.tokenizer_training import batch_iterator

    unigram = Tokenizer(models.Unigram())
    unigram.pre_tokenizer = pre_tokenizers.Metaspace()
    unigram.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(vocab_size=2000, special_tokens=["[UNK]"], unk_token="[UNK]", show_progress=False)
    unigram.train_from_iterator(batch_iterator(train.select(range(min(5000, len(train))))), trainer=trainer)
    return unigram


def test_unigram_accepts_the_solution_with_its_stored_output(ex) -> None:
    from course_utils.machinery.standin import make_corpus

    feedback = ex.check_unigram(solution_unigram(make_corpus(seed=0, n_train_lines=5000)["train"]))  # its first 5,000 rows
    assert repr(feedback) == (
        "Correct: a Unigram vocabulary of 2000; the sample becomes ['▁The', '▁river', '▁', 'rise', 's', '▁in', '▁we', "
        "'t', '▁grass', 'land', '▁near', '▁the', '▁old', '▁mill'], and in the unseen text 'Привет 😍', 2 of 4 tokens "
        "are the unknown token: no failure, but no meaning either."
    )


def test_unigram_in_a_capped_run_needs_no_full_vocabulary(ex, monkeypatch) -> None:
    """With MAX_EXAMPLES, `train` may hold 64 rows: the solution learns 758 pieces there, and passes; by hand still fails."""
    from course_utils.machinery.profiles import MAX_EXAMPLES_ENV_VAR, notebook_assets
    from course_utils.machinery.standin import make_corpus

    small = solution_unigram(make_corpus(seed=0, n_train_lines=64)["train"])
    uncapped = ex.check_unigram(small)
    assert not uncapped.passed and "far from the 2000 asked" in uncapped.message
    assets = notebook_assets("04_training_tokenizers", "smoke").capped(64)  # the notebook's `assets`, found by the checker
    assert ex.check_unigram(small).passed
    assert "only 18 entries" in ex.check_unigram(hand_written_vocabulary()).message
    del assets
    monkeypatch.setenv(MAX_EXAMPLES_ENV_VAR, "64")  # the solutions notebook takes its cap from the environment
    assert ex.check_unigram(small).passed


def metaspace_unigram(vocab=None, batches=None, vocab_size=2000):
    """A Unigram tokenizer with Metaspace and [UNK]: from a vocabulary written by hand, or trained on ``batches``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=0) if vocab else models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    if batches is not None:
        trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=["[UNK]"], unk_token="[UNK]", show_progress=False)
        tokenizer.train_from_iterator(batches, trainer=trainer)
    return tokenizer


def hand_written_vocabulary():
    """18 pieces that cover the checker's sample: the learner's shortcut around training."""
    words = "The river rises in wet grassland near the old mill".split()
    pieces = [("[UNK]", 0.0)] + [(f"▁{word}", -2.0) for word in words] + [(piece, -5.0) for piece in ("▁", "s", "e", "t", "▁a", "of", "▁of")]
    assert len(pieces) == 18
    return metaspace_unigram(vocab=pieces)


def syllable_text(seed, lines=3000):
    """Made-up words of consonant-vowel syllables: every letter of the sample, but no 'the', 'of' or 'in' as a word."""
    import random

    rng = random.Random(seed)
    syllables = [c + v for c in "Tvsnwtgldmrhkp" for v in "aeiou"]
    return [" ".join("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(12)) for _ in range(lines)]


def test_unigram_rejects_vocabularies_it_did_not_learn_from_the_corpus(ex) -> None:
    cyrillic = [["Привет мир, как дела? 12345"] * 200]
    cases = [
        (hand_written_vocabulary(), "the vocabulary has only 18 entries, far from the 2000 asked: let the UnigramTrainer learn it"),
        (metaspace_unigram(batches=cyrillic), "of the sample 'The river rises in wet grassland near the old mill' are unknown to it"),
        (metaspace_unigram(batches=[syllable_text(0)]), "the vocabulary has no piece for 'the', 'of', 'in', among the corpus's most frequent words"),
    ]
    for answer, expected in cases:
        feedback = ex.check_unigram(answer)
        assert not feedback.passed and expected in feedback.message, (expected, feedback)
        assert "\n" not in feedback.message


def test_unigram_names_the_unknown_letters(ex) -> None:
    feedback = ex.check_unigram(metaspace_unigram(batches=[["The river rises in the old mill near the dam"] * 50]))
    assert not feedback.passed
    assert feedback.message.startswith("the letters 'w', 'g' of the sample")


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


@pytest.fixture(scope="module")
def retrained(gpt2_folder, corpus_batches):
    """GPT-2's tokenizer retrained on the stand-in corpus, as notebook 04's `new_tokenizer` (its <|endoftext|> is id 0)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gpt2_folder).train_new_from_iterator(corpus_batches[:1], vocab_size=500)


@pytest.fixture
def new_tokenizer(retrained):
    """A fresh `new_tokenizer` for each test: some tests change it in place, as a learner might."""
    import copy

    return copy.deepcopy(retrained)


def end_of_text_template(tokenizer):
    from tokenizers import processors

    tokenizer.backend_tokenizer.post_processor = processors.TemplateProcessing(
        single="$A <|endoftext|>", special_tokens=[("<|endoftext|>", tokenizer.eos_token_id)]
    )
    return tokenizer


def test_end_of_text_accepts_the_solution_with_its_stored_output(ex, new_tokenizer) -> None:
    import copy

    with_end_of_text = end_of_text_template(copy.deepcopy(new_tokenizer))  # the solutions notebook's answer
    stored = (
        "Correct: each text now ends with <|endoftext|> (id 0); joined end to end, texts stay apart for a model that "
        "learns to predict the next token."
    )
    assert repr(ex.check_end_of_text(with_end_of_text, original=new_tokenizer)) == stored
    assert repr(ex.check_end_of_text(with_end_of_text)) == stored  # finds `new_tokenizer` here, as in the notebook


def test_end_of_text_finds_new_tokenizer_where_it_is_called(ex, new_tokenizer) -> None:
    with_end_of_text = end_of_text_template(new_tokenizer)  # no copy: the original changes
    feedback = ex.check_end_of_text(with_end_of_text)
    assert not feedback.passed
    assert "`with_end_of_text` is `new_tokenizer` itself" in feedback.message


def shallow_copy(tokenizer):
    import copy

    return end_of_text_template(copy.copy(tokenizer))


def changed_then_copied(tokenizer):
    import copy

    end_of_text_template(tokenizer)
    return copy.deepcopy(tokenizer)


@pytest.mark.parametrize(
    "make, expected",
    [
        (end_of_text_template, "`with_end_of_text` is `new_tokenizer` itself, so the template changes the original too: make a copy (copy.deepcopy(new_tokenizer)) first"),
        (shallow_copy, "shares its backend_tokenizer with `new_tokenizer` (copy.copy copies only the wrapper)"),
        (changed_then_copied, "`new_tokenizer` now adds <|endoftext|> too, so the template was set on the original: rerun the cell"),
    ],
    ids=["no copy", "copy.copy", "template set before copying"],
)
def test_end_of_text_rejects_a_changed_original(ex, new_tokenizer, make, expected: str) -> None:
    feedback = ex.check_end_of_text(make(new_tokenizer), original=new_tokenizer)
    assert not feedback.passed and expected in feedback.message


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
