"""Checkers for the exercises of notebook 04 (training tokenizers).

1. :func:`check_unigram`: a Unigram tokenizer (the talk speaker's favourite algorithm), trained
   from scratch.
2. :func:`check_end_of_text`: a template that ends every encoding with ``<|endoftext|>``.
3. :func:`check_nonempty_batches`: a batch iterator that leaves out WikiText's empty rows.

Main environment (tokenizers, transformers, datasets). Used in
notebooks/04_training_tokenizers.ipynb and its solutions notebook.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any, Callable

from course_utils.exercises import Feedback, LearnerCodeError, call_learner_code, correct, not_yet

#: Text the checkers encode: words from the corpus's world, and characters it never saw.
SAMPLE = "The river rises in wet grassland near the old mill"
UNSEEN = "Привет 😍"
#: Words so frequent in the corpus (WikiText or its stand-in) that a vocabulary trained on its first 5,000 rows has each as one piece.
CORPUS_WORDS = ("the", "of", "in")
#: Fewer entries than this is a vocabulary written by hand (or learned from a few lines), even in a capped run.
HAND_WRITTEN_SIZE = 100


def check_unigram(tokenizer: Any, vocab_size: int = 2000) -> Feedback:
    """Exercise 1: ``tokenizer`` is a trained ``tokenizers.Tokenizer`` with a Unigram model of at most ``vocab_size``.

    It must have an unknown token (so that unseen characters do not make encoding fail), decode
    what it encodes, and have been trained on the corpus: it knows every letter of the sample, its
    vocabulary is at least half of ``vocab_size`` (a hand-written one is far smaller) and holds the
    corpus's most frequent words. In a capped run (``MAX_EXAMPLES``: the caller's ``assets``, or
    ``$COURSE_MAX_EXAMPLES``), where ``train`` may be too short for either, the vocabulary only
    needs :data:`HAND_WRITTEN_SIZE` entries. Used in notebooks/04_training_tokenizers.ipynb.
    """
    from tokenizers import Tokenizer

    if tokenizer is None:
        return not_yet("`unigram` is None: build a Tokenizer(models.Unigram()) and train it.")
    tokenizer = getattr(tokenizer, "backend_tokenizer", tokenizer)  # a transformers wrapper is fine too
    if not isinstance(tokenizer, Tokenizer):
        return not_yet(f"`unigram` is a {type(tokenizer).__name__}: build a tokenizers.Tokenizer(models.Unigram()).")
    model = json.loads(tokenizer.to_str())["model"]
    if model.get("type") != "Unigram":
        return not_yet(f"its model is {model.get('type')}, not Unigram: start from Tokenizer(models.Unigram()).")
    size = tokenizer.get_vocab_size()
    if size <= 1:
        return not_yet("the vocabulary is empty: train it with train_from_iterator(batches, trainer=UnigramTrainer(...)).")
    if size > vocab_size:
        return not_yet(f"the vocabulary has {size} entries: pass vocab_size={vocab_size} to the UnigramTrainer.")
    if model.get("unk_id") is None:
        return not_yet(
            "the model has no unknown token, so unseen characters make encoding fail: pass unk_token='[UNK]' "
            "to UnigramTrainer and list it in special_tokens."
        )
    encoding = tokenizer.encode(SAMPLE)
    unknown_text = "".join(SAMPLE[a:b] for token, (a, b) in zip(encoding.ids, encoding.offsets) if token == model["unk_id"])
    unknown_letters = [repr(letter) for letter in dict.fromkeys(unknown_text.replace(" ", ""))]
    if unknown_letters:
        shown = ", ".join(unknown_letters[:6]) + (", ..." if len(unknown_letters) > 6 else "")
        return not_yet(
            f"the letters {shown} of the sample {SAMPLE!r} are unknown to it, so it did not learn from the corpus: "
            "train it on the first 5,000 rows of `train` (train_from_iterator(batch_iterator(train.select(range(5000))), "
            "trainer=trainer))."
        )
    capped = _run_is_capped()
    if size < (min(HAND_WRITTEN_SIZE, vocab_size // 2) if capped else vocab_size // 2):
        return not_yet(
            f"the vocabulary has only {size} entries, far from the {vocab_size} asked: let the UnigramTrainer learn it "
            f"(vocab_size={vocab_size}) from the first 5,000 rows of `train` rather than writing the pieces yourself "
            "or training on a few lines."
        )
    unseen = tokenizer.encode(UNSEEN)
    decoded = tokenizer.decode(encoding.ids)
    if decoded != SAMPLE:
        return not_yet(
            f"decoding gives {decoded!r}, not the text back: give the tokenizer the Metaspace pre-tokenizer "
            "and its decoder (pre_tokenizers.Metaspace() and decoders.Metaspace())."
        )
    pieces = {str(piece).replace("▁", " ") for piece, _ in model.get("vocab", [])}
    absent = [] if capped else [word for word in CORPUS_WORDS if f" {word}" not in pieces]
    if absent:
        return not_yet(
            f"the vocabulary has no piece for {', '.join(repr(word) for word in absent)}, among the corpus's most "
            "frequent words, so it did not learn from the corpus: train it on the first 5,000 rows of `train`."
        )
    unknown = sum(token == model["unk_id"] for token in unseen.ids)
    return correct(
        f"a Unigram vocabulary of {size}; the sample becomes {encoding.tokens}, and in the unseen text "
        f"{UNSEEN!r}, {unknown} of {len(unseen.ids)} tokens are the unknown token: no failure, but no meaning either."
    )


def check_end_of_text(tokenizer: Any, original: Any = None) -> Feedback:
    """Exercise 2: every encoding of ``tokenizer`` ends with its ``<|endoftext|>`` token, added by a template.

    ``tokenizer`` is a transformers tokenizer whose end-of-text token is ``<|endoftext|>``; with
    ``add_special_tokens=False`` nothing is added. It must be a copy: ``original``, the tokenizer
    it was made from (by default the caller's ``new_tokenizer``, looked up where the checker is
    called, as in the notebook), must be another object, with a backend of its own, and must not
    add ``<|endoftext|>`` itself. Used in notebooks/04_training_tokenizers.ipynb.
    """
    if tokenizer is None:
        return not_yet("`with_end_of_text` is None: set a TemplateProcessing post-processor on the retrained tokenizer.")
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None or getattr(tokenizer, "eos_token", None) != "<|endoftext|>":
        return not_yet("this tokenizer has no <|endoftext|> end-of-text token: start from the retrained GPT-2-style tokenizer.")
    if original is None:
        original = _callers_variable("new_tokenizer")
    problem = _copy_problem(tokenizer, original)
    if problem:
        return not_yet(problem)
    plain = tokenizer(SAMPLE, add_special_tokens=False)["input_ids"]
    ids = tokenizer(SAMPLE)["input_ids"]
    if ids == plain:
        return not_yet(
            "nothing is added to the encoding: set tokenizer.backend_tokenizer.post_processor to a "
            "TemplateProcessing whose single template is '$A <|endoftext|>'."
        )
    if ids == [eos, *plain]:
        return not_yet("<|endoftext|> comes first: it marks the end of a text, so put it after $A in the template.")
    if ids[:-1] == plain and ids[-1] != eos:
        return not_yet(f"the last id is {ids[-1]}, not <|endoftext|>'s {eos}: use tokenizer.eos_token_id in special_tokens.")
    if ids != [*plain, eos]:
        return not_yet(f"the encoding is {ids}, expected the text's ids followed by {eos}: template '$A <|endoftext|>'.")
    batch = tokenizer(["one text", "and another"])["input_ids"]
    if any(row[-1] != eos for row in batch):
        return not_yet("in a batch, not every text ends with <|endoftext|>: set the template on the tokenizer, not on one text.")
    return correct(
        f"each text now ends with <|endoftext|> (id {eos}); joined end to end, texts stay apart for a model that "
        "learns to predict the next token."
    )


def _run_is_capped() -> bool:
    """Whether the notebook calling the checker runs capped: its ``assets.max_examples``, else ``$COURSE_MAX_EXAMPLES``."""
    from course_utils.machinery.profiles import max_examples_from_env

    assets = _callers_variable("assets", depth=2)
    if hasattr(assets, "max_examples"):
        return assets.max_examples is not None
    try:
        return max_examples_from_env() is not None
    except ValueError:
        return False


def _callers_variable(name: str, depth: int = 1) -> Any:
    """The value of ``name`` where the checker was called (a notebook's globals), or None.

    ``depth`` counts the frames between this function and that call: 1 from a checker itself.
    """
    frame = inspect.currentframe()
    try:
        for _ in range(depth + 1):
            frame = frame.f_back if frame is not None else None
        return None if frame is None else frame.f_locals.get(name, frame.f_globals.get(name))
    finally:
        del frame


def _copy_problem(tokenizer: Any, original: Any) -> str | None:
    """Why ``tokenizer`` is not a copy that left ``original`` as it was (None: it is, or there is no original)."""
    backend = getattr(original, "backend_tokenizer", None)
    if backend is None or getattr(original, "eos_token_id", None) is None:
        return None
    if tokenizer is original:
        return (
            "`with_end_of_text` is `new_tokenizer` itself, so the template changes the original too: make a copy "
            "(copy.deepcopy(new_tokenizer)) first and set the template on the copy."
        )
    if getattr(tokenizer, "backend_tokenizer", None) is backend:
        return (
            "`with_end_of_text` shares its backend_tokenizer with `new_tokenizer` (copy.copy copies only the wrapper), "
            "so the template changes the original too: make a copy with copy.deepcopy(new_tokenizer) first."
        )
    ids = original(SAMPLE)["input_ids"]
    if ids and ids[-1] == original.eos_token_id and ids != original(SAMPLE, add_special_tokens=False)["input_ids"]:
        return (
            "`new_tokenizer` now adds <|endoftext|> too, so the template was set on the original: rerun the cell that "
            "trains it, then make a copy (copy.deepcopy) first and set the template on the copy only."
        )
    return None


def check_nonempty_batches(nonempty_batches: Callable[..., Any]) -> Feedback:
    """Exercise 3: ``nonempty_batches(dataset, batch_size)`` yields lists of the non-empty texts, in order, lazily.

    A generator function, or a function that returns an iterator, is fine; a list of every batch
    is not. Every batch but the last holds ``batch_size`` texts; rows that are empty or only spaces
    are left out. Used in notebooks/04_training_tokenizers.ipynb.
    """
    from datasets import Dataset

    rows = ["", " = Heading = \n", "", "First paragraph . \n", "   ", "Second one . \n", "", "Third . \n", "Fourth . \n", ""]
    dataset = Dataset.from_dict({"text": rows})
    wanted = [text for text in rows if text.strip()]
    if not inspect.isgeneratorfunction(nonempty_batches):
        try:
            result = call_learner_code(nonempty_batches, dataset, 2)
        except LearnerCodeError as error:
            return error.feedback
        if result is None:
            return not_yet("nonempty_batches() returned None: yield each batch with `yield`.")
        if not isinstance(result, Iterator):
            return not_yet(
                f"nonempty_batches() returned a {type(result).__name__}, every batch at once: yield them one at a "
                "time (a generator), so one batch at a time is in memory."
            )
    for batch_size in (2, 3):
        try:
            batches = call_learner_code(nonempty_batches, dataset, batch_size, consume_iterator=True)
        except LearnerCodeError as error:
            return error.feedback
        if any(isinstance(batch, str) for batch in batches):
            return not_yet("it yields single strings: yield lists of texts, a batch at a time.")
        if any(not isinstance(batch, list) for batch in batches):
            kind = next(type(batch).__name__ for batch in batches if not isinstance(batch, list))
            return not_yet(f"it yields {kind} objects: yield lists of texts.")
        flat = [text for batch in batches for text in batch]
        if any(not text.strip() for text in flat):
            return not_yet("empty rows are still there: leave out texts that are empty or only spaces (text.strip()).")
        if flat != wanted:
            missing = [text for text in wanted if text not in flat]
            if missing:
                return not_yet(f"{len(missing)} non-empty text(s) are missing, e.g. {missing[0]!r}: keep every non-empty row (mind the last batch).")
            return not_yet("the texts come out in another order or repeated: keep the dataset's order, each text once.")
        sizes = [len(batch) for batch in batches]
        if any(size != batch_size for size in sizes[:-1]) or not 0 < sizes[-1] <= batch_size:
            return not_yet(
                f"with batch_size={batch_size} the batches hold {sizes} texts: fill each batch with {batch_size} "
                "non-empty texts (only the last may be shorter, never empty)."
            )
    return correct(
        f"{len(wanted)} of the {len(rows)} rows reach the trainer, in full batches; the empty rows around "
        "WikiText's headings never do."
    )
