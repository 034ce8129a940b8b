"""Class weights: both schemes on hand-checkable counts, and every error with its message.

The counting and validation tests need only numpy and run in both environments; the tests
that build the torch tensor run in the main environment.
"""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.class_weights import SCHEMES, class_counts, class_weights

# 10 examples: class 0 five times, class 1 three times, class 2 twice.
LABELS = [0, 0, 0, 0, 0, 1, 1, 1, 2, 2]
NAMES = ["joy", "fear", "surprise"]


def test_counts_per_class() -> None:
    assert class_counts(LABELS, 3).tolist() == [5, 3, 2]


@pytest.mark.parametrize(
    "labels",
    [LABELS, np.array(LABELS), np.array(LABELS, dtype=np.int32), tuple(LABELS)],
    ids=["list", "int64 array", "int32 array", "tuple"],
)
def test_counts_accept_common_containers(labels: object) -> None:
    assert class_counts(labels, 3).tolist() == [5, 3, 2]


def test_counts_accept_a_datasets_column() -> None:
    from datasets import Dataset

    column = Dataset.from_dict({"label": LABELS})["label"]
    assert class_counts(column, 3).tolist() == [5, 3, 2]


def test_empty_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="No labels were given") as info:
        class_counts([], 3)
    assert "Pass the label column of the training split" in str(info.value)


@pytest.mark.parametrize(("bad", "shown"), [([0, 1, 3], "3"), ([0, -1, 1, 7], "-1, 7")], ids=["too large", "negative"])
def test_labels_outside_the_range_are_refused(bad: list[int], shown: str) -> None:
    with pytest.raises(ValueError) as info:
        class_counts(bad, 3)
    assert str(info.value).startswith(f"Label ids {shown} are outside 0..2 (num_labels=3).")
    assert "Check that num_labels matches" in str(info.value)


def test_a_class_without_examples_is_named() -> None:
    with pytest.raises(ValueError) as info:
        class_counts([0, 0, 1], 3, names=NAMES)
    message = str(info.value)
    assert message.startswith("Class 'surprise' (id 2) has no examples among the 3 labels")
    assert "Use a split that contains every class" in message


def test_several_classes_without_examples_are_all_named() -> None:
    with pytest.raises(ValueError, match=r"Classes id 1, id 2 have no examples"):
        class_counts([0, 0], 3)


def test_non_integer_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="integer class ids"):
        class_counts([0.0, 1.0, 2.0], 3)


def test_two_dimensional_labels_are_refused() -> None:
    with pytest.raises(ValueError, match=r"1-D sequence .* shape \(2, 2\)"):
        class_counts([[0, 1], [1, 0]], 2)


@pytest.mark.parametrize("num_labels", [1, 0, True, 2.5])
def test_num_labels_must_be_an_integer_of_at_least_two(num_labels: object) -> None:
    with pytest.raises(ValueError, match="num_labels must be an integer of at least 2"):
        class_counts([0], num_labels)  # type: ignore[arg-type]


def test_names_must_match_num_labels() -> None:
    with pytest.raises(ValueError, match="Got 2 class names for num_labels=3"):
        class_counts(LABELS, 3, names=["a", "b"])


@pytest.mark.main_env
class TestWeights:
    def test_one_minus_frequency_is_the_talks_formula(self) -> None:
        import torch

        weights = class_weights(LABELS, 3)
        assert weights.dtype == torch.float32 and weights.shape == (3,)
        assert torch.allclose(weights, torch.tensor([0.5, 0.7, 0.8]))

    def test_inverse_frequency_averages_one(self) -> None:
        import torch

        weights = class_weights(LABELS, 3, scheme="inverse_frequency")
        inverse = torch.tensor([10 / 5, 10 / 3, 10 / 2])
        assert torch.allclose(weights, inverse / inverse.mean())
        assert weights.mean().item() == pytest.approx(1.0)
        assert weights.dtype == torch.float32

    def test_rarer_classes_weigh_more_in_both_schemes(self) -> None:
        for scheme in SCHEMES:
            weights = class_weights(LABELS, 3, scheme=scheme).tolist()
            assert weights[0] < weights[1] < weights[2], scheme

    def test_inverse_frequency_tilts_harder(self) -> None:
        gentle = class_weights(LABELS, 3, "one_minus_frequency")
        strong = class_weights(LABELS, 3, "inverse_frequency")
        assert (strong[2] / strong[0]).item() == pytest.approx(2.5)
        assert (gentle[2] / gentle[0]).item() == pytest.approx(1.6)

    def test_a_torch_tensor_of_labels_works(self) -> None:
        import torch

        assert torch.equal(class_weights(torch.tensor(LABELS), 3), class_weights(LABELS, 3))

    def test_unknown_scheme_lists_the_valid_ones(self) -> None:
        with pytest.raises(ValueError, match="Unknown weighting scheme 'balanced'; choose one of: "
                           "one_minus_frequency, inverse_frequency"):
            class_weights(LABELS, 3, scheme="balanced")

    def test_errors_of_the_counts_surface(self) -> None:
        with pytest.raises(ValueError, match="Class 'surprise' \\(id 2\\) has no examples"):
            class_weights([0, 1], 3, names=NAMES)
