"""Notebook 01's exercise checkers accept right answers and say what is off in wrong ones.

The solutions notebook (notebooks/solutions/01_trainer_weighted_loss.ipynb) runs the official
solutions under nbval; here each checker meets a right answer written differently and the
mistakes a learner typically makes.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

pytestmark = pytest.mark.main_env


@pytest.fixture(scope="module")
def ex():
    from course_utils.exercises import trainer_weighted_loss

    return trainer_weighted_loss


# --- 1. inverse frequency -----------------------------------------------------------------------


def counts_of(labels, num_labels):
    return np.bincount(np.asarray(labels), minlength=num_labels).astype(float)


def right_weights(labels, num_labels):
    import torch

    inverse = 1 / (counts_of(labels, num_labels) / len(labels))
    return torch.tensor(inverse / inverse.mean(), dtype=torch.float32)


def right_weights_with_torch(labels, num_labels):
    import torch

    counts = torch.bincount(torch.tensor(labels), minlength=num_labels).float()
    weights = counts.sum() / counts
    return weights / weights.mean()


def test_inverse_frequency_accepts_right_answers(ex) -> None:
    for answer in (right_weights, right_weights_with_torch):
        feedback = ex.check_inverse_frequency(answer)
        assert feedback.passed, feedback
    assert "16.7% of the training loss" in repr(feedback)
    assert repr(feedback).startswith("Correct: ")


def wrong(name, body):
    """A learner's function with a telling name (the checker quotes it)."""
    body.__name__ = name
    return body


@pytest.mark.parametrize(
    "answer, expected",
    [
        (lambda labels, n: None, "returned None"),
        (lambda labels, n: right_weights(labels, n).tolist(), "returned a list"),
        (lambda labels, n: right_weights(labels, n).long(), "use dtype=torch.float32"),
        (lambda labels, n: right_weights(labels, n)[:-1], "give exactly one weight per class"),
        (lambda labels, n: right_weights(labels, 6) if n == 6 else right_weights(labels, n).repeat(2), "for 3 classes"),
        (lambda labels, n: 1 - __import__("torch").tensor(counts_of(labels, n) / len(labels)).float(), "1 - frequency"),
        (lambda labels, n: right_weights(labels, n) * 7, "divide them by their mean"),
        (lambda labels, n: __import__("torch").tensor(counts_of(labels, n)).float(), "rare classes should weigh more"),
    ],
    ids=["none", "list", "integers", "short", "hard-coded 6 classes", "talk's weights", "not normalised", "counts"],
)
def test_inverse_frequency_rejects_typical_mistakes(ex, answer, expected: str) -> None:
    feedback = ex.check_inverse_frequency(answer)
    assert not feedback.passed
    assert expected in feedback.message
    assert repr(feedback).startswith("Not yet: ")


def test_an_exception_in_the_learners_code_becomes_one_sentence(ex) -> None:
    def inverse_frequency_weights(labels, num_labels):
        return 1 / 0

    feedback = ex.check_inverse_frequency(inverse_frequency_weights)
    assert not feedback.passed
    assert "raised ZeroDivisionError: division by zero (line: return 1 / 0)" in feedback.message
    assert "\n" not in feedback.message


def test_an_unwritten_stub_says_so(ex) -> None:
    def inverse_frequency_weights(labels, num_labels):
        raise NotImplementedError

    assert "still raises NotImplementedError" in ex.check_inverse_frequency(inverse_frequency_weights).message


# --- 2. focal loss ----------------------------------------------------------------------------------


def focal_loss(outputs, labels, num_items_in_batch=None):
    import torch

    log_p = torch.log_softmax(outputs.logits, dim=-1).gather(1, labels[:, None]).squeeze(1)
    loss = ((1 - log_p.exp()) ** 2 * -log_p).mean()
    if num_items_in_batch is not None:
        loss = loss * labels.numel() / num_items_in_batch
    return loss


def focal_loss_via_cross_entropy(outputs, labels, num_items_in_batch=None):
    import torch

    ce = torch.nn.functional.cross_entropy(outputs.logits, labels, reduction="none")
    loss = ((1 - torch.exp(-ce)) ** 2 * ce).mean()
    return loss if num_items_in_batch is None else loss * len(labels) / num_items_in_batch


def test_focal_loss_accepts_right_answers(ex) -> None:
    for answer in (focal_loss, focal_loss_via_cross_entropy):
        feedback = ex.check_focal_loss(answer)
        assert feedback.passed, feedback
    assert "two steps" in feedback.message


def focal_variant(gamma=2.0, reduce="mean", scale=True, detach=False):
    def loss_func(outputs, labels, num_items_in_batch=None):
        import torch

        logits = outputs.logits.detach() if detach else outputs.logits
        log_p = torch.log_softmax(logits, dim=-1).gather(1, labels[:, None]).squeeze(1)
        terms = (1 - log_p.exp()) ** gamma * -log_p
        loss = {"mean": terms.mean(), "sum": terms.sum(), "none": terms}[reduce]
        if scale and num_items_in_batch is not None:
            loss = loss * labels.numel() / num_items_in_batch
        return loss

    return loss_func


@pytest.mark.parametrize(
    "answer, expected",
    [
        (lambda outputs, labels, num_items_in_batch=None: None, "returned None"),
        (lambda outputs, labels, num_items_in_batch=None: focal_loss(outputs, labels).item(), "returned a float"),
        (focal_variant(reduce="none"), "return one number"),
        (focal_variant(detach=True), "carries no gradient"),
        (focal_variant(reduce="sum"), "take the mean instead"),
        (focal_variant(gamma=0.0), "plain cross-entropy"),
        (focal_variant(gamma=1.0), "not squared"),
        (focal_variant(gamma=3.0), "the focal loss is"),
        (focal_variant(scale=False), "len(labels) / num_items_in_batch"),
        (lambda outputs, labels: focal_loss(outputs, labels), "unexpected keyword argument 'num_items_in_batch'"),
    ],
    ids=["none", "float", "per example", "detached", "sum", "gamma 0", "gamma 1", "gamma 3", "unscaled", "two arguments"],
)
def test_focal_loss_rejects_typical_mistakes(ex, answer, expected: str) -> None:
    feedback = ex.check_focal_loss(answer)
    assert not feedback.passed
    assert expected in feedback.message


# --- 3. up-sampling ----------------------------------------------------------------------------------


def upsample(dataset):
    from datasets import concatenate_datasets

    counts = Counter(dataset["label"])
    largest = max(counts.values())
    parts = [dataset]
    for label, count in counts.items():
        rows = [i for i, y in enumerate(dataset["label"]) if y == label]
        extra = [rows[i % count] for i in range(largest - count)]
        if extra:
            parts.append(dataset.select(extra))
    return concatenate_datasets(parts)


def upsample_randomly(dataset):
    import random

    from datasets import concatenate_datasets

    rng = random.Random(0)
    largest = max(Counter(dataset["label"]).values())
    parts = []
    for label in set(dataset["label"]):
        same = dataset.filter(lambda row: row["label"] == label)
        extra = [rng.randrange(len(same)) for _ in range(largest - len(same))]
        parts += [same, same.select(extra)]
    return concatenate_datasets(parts).shuffle(seed=0)


def test_upsample_accepts_right_answers(ex) -> None:
    for answer in (upsample, upsample_randomly):
        feedback = ex.check_upsample(answer)
        assert feedback.passed, feedback
    assert "every class has 8 examples" in feedback.message


def downsample(dataset):
    smallest = min(Counter(dataset["label"]).values())
    keep, seen = [], Counter()
    for i, label in enumerate(dataset["label"]):
        if seen[label] < smallest:
            keep.append(i)
            seen[label] += 1
    return dataset.select(keep)


def relabel(dataset):
    balanced = upsample(dataset)
    return balanced.map(lambda row, i: {"label": 0 if i == len(balanced) - 1 else row["label"]}, with_indices=True)


def double_everything(dataset):
    from datasets import concatenate_datasets

    return concatenate_datasets([dataset, dataset])


def in_place(dataset):
    dataset.set_format("pandas")  # changes what the caller's dataset returns
    return upsample(dataset.with_format(None))


@pytest.mark.parametrize(
    "answer, expected",
    [
        (lambda dataset: None, "returned None"),
        (lambda dataset: upsample(dataset).to_list(), "returned a list"),
        (lambda dataset: upsample(dataset).remove_columns("text"), "keep exactly ['text', 'label']"),
        (downsample, "original example(s) are missing"),
        (relabel, "is not in the original data"),
        (double_everything, "every class should have 8 examples"),
        (in_place, "changed the dataset it was given"),
    ],
    ids=["none", "list", "dropped column", "down-sampled", "relabelled copy", "everything doubled", "in place"],
)
def test_upsample_rejects_typical_mistakes(ex, answer, expected: str) -> None:
    feedback = ex.check_upsample(answer)
    assert not feedback.passed
    assert expected in feedback.message
