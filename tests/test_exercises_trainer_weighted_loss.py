"""Notebook 01's exercise checkers accept right answers and say what is off in wrong ones.

The solutions notebook (notebooks/solutions/01_trainer_weighted_loss.ipynb) runs the official
solutions under nbval; here each checker meets a right answer written differently and the
mistakes a learner typically makes.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import course_utils.class_weights as class_weights_module
from course_utils.class_weights import class_weights as course_class_weights

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


def solution_inverse_frequency_weights(labels, num_labels):  # notebooks/solutions/01_trainer_weighted_loss.ipynb
    import torch

    counts = np.bincount(np.asarray(labels), minlength=num_labels)
    inverse = 1 / (counts / counts.sum())
    return torch.tensor(inverse / inverse.mean(), dtype=torch.float32)


def right_weights_with_a_counter(labels, num_labels):  # a Counter is fine, read in class-id order
    import torch

    counts = Counter(labels)
    inverse = [len(labels) / counts[label] for label in range(num_labels)]
    return torch.tensor(inverse) / torch.tensor(inverse).mean()


def right_weights_with_class_counts(labels, num_labels):  # counting with the package is fine, the formula is the exercise
    import torch

    from course_utils.class_weights import class_counts

    inverse = 1 / class_counts(labels, num_labels)
    return torch.tensor(inverse / inverse.mean(), dtype=torch.float32)


SOLUTION_FEEDBACK_1 = (
    "Correct: with these weights each class carries 16.7% of the training loss, surprise included; with the talk's "
    "1 - frequency weights surprise carried 5.0%."
)


def test_inverse_frequency_accepts_the_solution_with_its_stored_output(ex) -> None:
    for answer in (solution_inverse_frequency_weights, right_weights_with_a_counter, right_weights_with_class_counts):
        feedback = ex.check_inverse_frequency(answer)
        assert feedback.passed, (answer.__name__, feedback)
        assert repr(feedback) == SOLUTION_FEEDBACK_1


def first_seen_order(labels, num_labels):  # right numbers, but classes in the order they first appear
    import torch

    counts = Counter(labels)
    inverse = torch.tensor([len(labels) / count for count in counts.values()])
    return inverse / inverse.mean()


def most_common_order(labels, num_labels):
    import torch

    inverse = torch.tensor([len(labels) / count for _, count in Counter(labels).most_common()])
    return inverse / inverse.mean()


def first_seen_order_not_normalised(labels, num_labels):
    import torch

    return torch.tensor([len(labels) / count for count in Counter(labels).values()])


def copied_from_the_notebook(labels, num_labels):  # the weights notebook 01 prints, typed in
    import torch

    return torch.tensor([0.35, 0.3, 1.26, 0.74, 0.84, 2.51])


def copied_from_the_checker(labels, num_labels):  # the right numbers for the checker's emotion proportions
    import torch

    counts = np.array([348, 402, 96, 162, 144, 48], dtype=float)
    return torch.tensor((1 / counts) / (1 / counts).mean(), dtype=torch.float32)


def helper_inverse_frequency(labels, num_labels):
    return course_class_weights(labels, num_labels, "inverse_frequency")


def helper_imported_inside(labels, num_labels):
    from course_utils.class_weights import class_weights

    return class_weights(labels, num_labels, "inverse_frequency")


def helper_through_the_module(labels, num_labels):
    return class_weights_module.class_weights(labels, num_labels, "inverse_frequency")


def helper_inverted(labels, num_labels):  # the talk's scheme, turned upside down
    weights = 1 / course_class_weights(labels, num_labels)
    return weights / weights.mean()


def talks_weights_normalised(labels, num_labels):
    import torch

    weights = 1 - torch.tensor(counts_of(labels, num_labels) / len(labels))
    return (weights / weights.mean()).float()


def inverse_of_the_talks_weights(labels, num_labels):
    import torch

    weights = 1 / (1 - torch.tensor(counts_of(labels, num_labels) / len(labels)))
    return (weights / weights.mean()).float()


@pytest.mark.parametrize(
    "answer, expected",
    [
        (first_seen_order, "right weights, wrong order: the weight at position i must be class i's"),
        (most_common_order, "right weights, wrong order"),
        (first_seen_order_not_normalised, "proportional to 1 / frequency but in the wrong order"),
        (copied_from_the_notebook, "gives the same weights for two different label lists: compute them from `labels`"),
        (copied_from_the_checker, "gives the same weights for two different label lists"),
        (helper_inverse_frequency, "helper_inverse_frequency() calls the course's class_weights helper: write the computation yourself"),
        (helper_imported_inside, "calls the course's class_weights helper"),
        (helper_through_the_module, "calls the course's class_weights helper"),
        (helper_inverted, "calls the course's class_weights helper"),
        (talks_weights_normalised, "these are the talk's 1 - frequency weights"),
        (inverse_of_the_talks_weights, "these are 1 / (1 - frequency), the inverse of the talk's weights"),
    ],
    ids=[
        "Counter order", "most_common order", "Counter order, not normalised", "copied from the notebook",
        "copied from the checker", "helper", "helper imported inside", "helper through its module", "helper inverted",
        "talk's weights normalised", "inverse of the talk's weights",
    ],
)
def test_inverse_frequency_rejects_answers_that_only_look_right(ex, answer, expected: str) -> None:
    feedback = ex.check_inverse_frequency(answer)
    assert not feedback.passed
    assert expected in feedback.message
    assert "\n" not in feedback.message


def test_the_helper_is_not_mistaken_for_a_local_name(ex) -> None:
    def inverse_frequency_weights(labels, num_labels):
        import torch

        class_weights = np.bincount(np.asarray(labels), minlength=num_labels)  # a local variable of that name
        inverse = class_weights.sum() / class_weights
        return torch.tensor(inverse / inverse.mean(), dtype=torch.float32)

    assert ex.check_inverse_frequency(inverse_frequency_weights).passed


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


SOLUTION_FEEDBACK_2 = (
    "Correct: a Trainer trained with it for two steps. An example predicted right with p = 0.9 now weighs "
    "(1 - 0.9) ** 2 = 0.01 of its cross-entropy, so the hard examples lead."
)


def test_focal_loss_accepts_the_solution_with_its_stored_output(ex) -> None:
    # notebooks/solutions/01_trainer_weighted_loss.ipynb's focal_loss is `focal_loss` above, with GAMMA = 2.0
    assert repr(ex.check_focal_loss(focal_loss)) == SOLUTION_FEEDBACK_2


def checkers_value(ex) -> float:
    """The focal loss on the checker's batch, read from its sentence, as a learner would copy it."""
    import re

    import torch

    message = ex.check_focal_loss(lambda outputs, labels, num_items_in_batch=None: torch.tensor(0.0, requires_grad=True)).message
    return float(re.search(r"the focal loss is ([0-9.]+)", message).group(1))


def test_focal_loss_rejects_a_constant_that_ignores_the_logits(ex) -> None:
    import torch

    value = checkers_value(ex)
    assert value == pytest.approx(0.3868, abs=1e-4)
    constants = {
        "copied number": lambda outputs, labels, num_items_in_batch=None: torch.tensor(value, requires_grad=True),
        "zero times the logits": lambda outputs, labels, num_items_in_batch=None: outputs.logits.sum() * 0 + value,
    }
    for name, answer in constants.items():
        feedback = ex.check_focal_loss(answer)
        assert not feedback.passed, name
        assert "the loss does not change with outputs.logits, so training would learn nothing" in feedback.message, name


def detached_factor(outputs, labels, num_items_in_batch=None):  # right value, but (1 - p) ** 2 is not differentiated
    import torch

    log_p = torch.log_softmax(outputs.logits, dim=-1).gather(1, labels[:, None]).squeeze(1)
    loss = ((1 - log_p.exp().detach()) ** 2 * -log_p).mean()
    return loss if num_items_in_batch is None else loss * len(labels) / num_items_in_batch


def right_value_fixed_after(outputs, labels, num_items_in_batch=None):  # the right gradient around a copied value
    loss = focal_loss(outputs, labels, num_items_in_batch)
    return loss - loss.detach() + COPIED_VALUE


COPIED_VALUE = 0.38683


def divided_by_eight(outputs, labels, num_items_in_batch=None):  # the checker's batch size, hard-coded
    import torch

    log_p = torch.log_softmax(outputs.logits, dim=-1).gather(1, labels[:, None]).squeeze(1)
    return ((1 - log_p.exp()) ** 2 * -log_p).sum() / 8


@pytest.mark.parametrize(
    "answer, expected",
    [
        (detached_factor, "the value is right but its gradient is not the focal loss's"),
        (right_value_fixed_after, "on two different batches: compute it from outputs.logits and labels"),
        (divided_by_eight, "on a second batch (5 examples, 3 classes) the loss is"),
    ],
    ids=["detached factor", "copied value", "batch size hard-coded"],
)
def test_focal_loss_checks_the_gradient_and_a_second_batch(ex, answer, expected: str) -> None:
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


def solution_upsample(dataset):  # notebooks/solutions/01_trainer_weighted_loss.ipynb
    from datasets import concatenate_datasets

    labels = dataset["label"]
    counts = Counter(labels)
    largest = max(counts.values())
    copies = []
    for label, count in counts.items():
        rows = [i for i, y in enumerate(labels) if y == label]
        copies += [rows[i % count] for i in range(largest - count)]
    return concatenate_datasets([dataset, dataset.select(copies)])


SOLUTION_FEEDBACK_3 = (
    "Correct: every class has 8 examples now; 24 of the 48 rows are copies. A model sees the one surprise example "
    "8 times per epoch: that is what it may memorise."
)


def test_upsample_accepts_the_solution_with_its_stored_output(ex) -> None:
    assert repr(ex.check_upsample(solution_upsample)) == SOLUTION_FEEDBACK_3


def rebuilt_from_lists(dataset):  # the right rows in a new Dataset: label becomes a plain int64
    from datasets import Dataset

    balanced = upsample(dataset)
    return Dataset.from_dict({"text": balanced["text"], "label": balanced["label"]})


def through_pandas(dataset):  # up-sampled in pandas and brought back: label becomes a plain int64
    import pandas as pd
    from datasets import Dataset

    frame = dataset.to_pandas()
    largest = frame["label"].value_counts().max()
    extra = [group.sample(largest - len(group), replace=True, random_state=0) for _, group in frame.groupby("label")]
    return Dataset.from_pandas(pd.concat([frame, *extra]), preserve_index=False)


def other_class_names(dataset):
    from datasets import ClassLabel

    return upsample(dataset).cast_column("label", ClassLabel(names=[f"class {i}" for i in range(6)]))


def cast_back(dataset):  # rebuilt, then given the features back: fine
    return rebuilt_from_lists(dataset).cast(dataset.features)


def label_cast_back(dataset):  # through pandas, the label given its ClassLabel back; the text stays large_string
    return through_pandas(dataset).cast_column("label", dataset.features["label"])


@pytest.mark.parametrize("answer", [rebuilt_from_lists, through_pandas], ids=["from lists", "through pandas"])
def test_upsample_rejects_a_result_without_the_class_label(ex, answer) -> None:
    feedback = ex.check_upsample(answer)
    assert not feedback.passed
    assert "the right rows, but the 'label' column lost its ClassLabel (the class names)" in feedback.message
    assert "concatenate_datasets of dataset.select(...) keeps them, or cast back with result.cast(dataset.features)" in feedback.message


def test_upsample_rejects_other_class_names(ex) -> None:
    feedback = ex.check_upsample(other_class_names)
    assert not feedback.passed
    assert "the 'label' column's class names are now ['class 0'," in feedback.message


def test_upsample_accepts_features_cast_back(ex) -> None:
    for answer in (cast_back, label_cast_back):
        feedback = ex.check_upsample(answer)
        assert feedback.passed, (answer.__name__, feedback)
