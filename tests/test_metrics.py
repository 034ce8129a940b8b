"""Metrics with scikit-learn on small hand-checkable cases (both environments)."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.metrics import compute_metrics, majority_baseline, per_class_report, scores


def test_perfect_predictions_score_one() -> None:
    assert scores([0, 1, 2, 1], [0, 1, 2, 1]) == {"accuracy": 1.0, "f1_macro": 1.0, "f1_by_support": 1.0}


def test_scores_by_hand() -> None:
    # class 0: TP 2 FP 1 FN 0 -> F1 0.8; class 1: TP 1 FP 0 FN 1 -> F1 2/3; support 2 and 2
    result = scores([0, 0, 1, 1], [0, 0, 0, 1])
    assert result["accuracy"] == pytest.approx(0.75)
    assert result["f1_macro"] == pytest.approx((0.8 + 2 / 3) / 2)
    assert result["f1_by_support"] == pytest.approx((0.8 * 2 + 2 / 3 * 2) / 4)


def test_num_labels_counts_a_class_nobody_mentions() -> None:
    assert scores([0, 1], [0, 1], num_labels=3)["f1_macro"] == pytest.approx(2 / 3)
    assert scores([0, 1], [0, 1])["f1_macro"] == pytest.approx(1.0)


def test_mismatched_or_empty_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="3 true labels but 2 predictions"):
        scores([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="evaluation split is empty"):
        scores([], [])


def test_compute_metrics_takes_the_argmax_of_the_logits() -> None:
    logits = np.array([[2.0, 0.1, 0.0], [0.0, 3.0, 1.0], [0.0, 0.2, 0.1], [0.0, 0.0, 5.0]])
    labels = np.array([0, 1, 2, 2])
    result = compute_metrics((logits, labels))
    assert result == scores(labels, [0, 1, 1, 2], num_labels=3)
    assert set(result) == {"accuracy", "f1_macro", "f1_by_support"}
    assert all(isinstance(value, float) for value in result.values())


def test_compute_metrics_accepts_an_eval_prediction() -> None:
    EvalPrediction = pytest.importorskip("transformers").EvalPrediction
    prediction = EvalPrediction(predictions=np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.1]]), label_ids=np.array([1, 0, 1]))
    assert compute_metrics(prediction) == scores([1, 0, 1], [1, 0, 0])


def test_compute_metrics_is_silent_when_a_class_is_never_predicted() -> None:
    import warnings

    logits = np.array([[1.0, 0.0, 0.0]] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn's UndefinedMetricWarning would fail here
        result = compute_metrics((logits, np.array([0, 1, 2])))
    assert result["f1_macro"] == pytest.approx(0.5 / 3)


def test_majority_baseline_predicts_the_most_frequent_training_class() -> None:
    train = [1, 1, 1, 0, 2]
    test = [0, 1, 2, 1]
    result = majority_baseline(train, test, num_labels=3)
    assert result["majority_class"] == 1
    assert result["accuracy"] == pytest.approx(0.5)
    # class 1: precision 0.5, recall 1 -> F1 2/3; classes 0 and 2: F1 0
    assert result["f1_macro"] == pytest.approx((2 / 3) / 3)
    assert result["f1_by_support"] == pytest.approx((2 / 3) * 2 / 4)


def test_majority_baseline_on_its_own_labels_and_ties() -> None:
    result = majority_baseline([2, 2, 0, 0, 1])
    assert result["majority_class"] == 0  # tie between 0 and 2: smallest id
    assert result["accuracy"] == pytest.approx(0.4)
    with pytest.raises(ValueError, match="majority class is undefined"):
        majority_baseline([])


def test_per_class_report_rows_are_the_classes_in_id_order() -> None:
    report = per_class_report([0, 0, 1, 1, 2], [0, 1, 1, 1, 1], ["joy", "fear", "surprise"])
    assert list(report.index) == ["joy", "fear", "surprise"]
    assert report.index.name == "class"
    assert list(report.columns) == ["precision", "recall", "f1", "support"]
    assert report["support"].tolist() == [2, 2, 1]
    assert report.loc["joy", "precision"] == pytest.approx(1.0)
    assert report.loc["joy", "recall"] == pytest.approx(0.5)
    assert report.loc["fear", "precision"] == pytest.approx(0.5)
    assert report.loc["surprise", "f1"] == 0.0  # never predicted correctly, no warning


def test_per_class_report_keeps_classes_without_examples() -> None:
    report = per_class_report([0, 0], [0, 0], ["joy", "fear"])
    assert report["support"].tolist() == [2, 0]
    assert report.loc["fear"].tolist() == [0.0, 0.0, 0.0, 0]
