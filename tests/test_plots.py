"""The plotting helpers draw what they are given (checked on the Axes, no image comparison)."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from course_utils.plots import (  # noqa: E402
    plot_bars,
    plot_class_balance,
    plot_curves,
    plot_confusion_matrix,
    plot_loss_curves,
    plot_per_class_comparison,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_class_balance_bars_and_percent_labels() -> None:
    ax = plot_class_balance({"joy": 0.5, "sadness": 0.3, "surprise": 0.2})
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["joy", "sadness", "surprise"]
    assert [round(bar.get_height(), 3) for bar in ax.patches] == [0.5, 0.3, 0.2]
    assert [text.get_text() for text in ax.texts] == ["50%", "30%", "20%"]


def test_class_balance_accepts_a_pandas_series_and_an_axes() -> None:
    import pandas as pd

    _, given = plt.subplots()
    shares = pd.Series({"a": 0.75, "b": 0.25})
    assert plot_class_balance(shares, ax=given, title="balance") is given
    assert given.get_title() == "balance"


def test_confusion_matrix_is_normalised_by_true_class() -> None:
    ax = plot_confusion_matrix([0, 0, 0, 1], [0, 0, 1, 1], ["joy", "fear"])
    matrix = ax.images[0].get_array()
    assert np.allclose(matrix, [[2 / 3, 1 / 3], [0.0, 1.0]])
    assert [text.get_text() for text in ax.texts] == ["0.67", "0.33", "0.00", "1.00"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"


def test_confusion_matrix_counts_and_a_class_without_examples() -> None:
    ax = plot_confusion_matrix([0, 0], [0, 1], ["joy", "fear", "surprise"], normalize=False)
    assert np.array_equal(ax.images[0].get_array(), [[1, 1, 0], [0, 0, 0], [0, 0, 0]])
    normalised = plot_confusion_matrix([0, 0], [0, 1], ["joy", "fear", "surprise"])
    assert np.allclose(normalised.images[0].get_array()[1:], 0.0)  # empty rows stay 0, no division warning


HISTORY = [
    {"loss": 1.2, "grad_norm": 3.0, "learning_rate": 1e-4, "epoch": 1.0, "step": 50},
    {"eval_loss": 0.9, "eval_f1_macro": 0.4, "epoch": 1.0, "step": 50},
    {"loss": 0.7, "grad_norm": 2.0, "learning_rate": 1e-6, "epoch": 2.0, "step": 100},
    {"eval_loss": 0.6, "eval_f1_macro": 0.6, "epoch": 2.0, "step": 100},
    {"train_runtime": 90.0, "train_loss": 0.95, "epoch": 2.0, "step": 100},
]


def test_loss_curves_from_a_log_history() -> None:
    ax = plot_loss_curves(HISTORY)
    train, valid = ax.lines
    assert list(train.get_xdata()) == [1.0, 2.0] and list(train.get_ydata()) == [1.2, 0.7]
    assert list(valid.get_xdata()) == [1.0, 2.0] and list(valid.get_ydata()) == [0.9, 0.6]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["training", "validation"]


def test_loss_curves_without_evaluation() -> None:
    ax = plot_loss_curves(HISTORY[:1] + HISTORY[2:3])
    assert len(ax.lines) == 1


def test_loss_curves_need_logged_losses() -> None:
    with pytest.raises(ValueError, match="set logging_strategy and eval_strategy"):
        plot_loss_curves([{"train_runtime": 1.0, "epoch": 1.0}])


def test_per_class_comparison_groups_bars_by_class() -> None:
    import pandas as pd

    table = pd.DataFrame(
        {"weighted": [0.5, 0.9], "unweighted": [0.3, 0.95], "note": ["rare", "common"]},
        index=pd.Index(["surprise", "joy"], name="class"),
    )
    ax = plot_per_class_comparison(table)
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["surprise", "joy"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["weighted", "unweighted"]
    heights = [round(bar.get_height(), 2) for bar in ax.patches]
    assert heights == [0.5, 0.9, 0.3, 0.95]
    # the two bars of a class sit side by side around its tick
    first_weighted, first_unweighted = ax.patches[0], ax.patches[2]
    assert first_weighted.get_x() + first_weighted.get_width() == pytest.approx(first_unweighted.get_x())


def test_per_class_comparison_needs_numbers() -> None:
    import pandas as pd

    with pytest.raises(ValueError, match="no numeric column"):
        plot_per_class_comparison(pd.DataFrame({"note": ["x"]}))


def test_importing_the_module_does_not_import_pyplot() -> None:
    import subprocess
    import sys

    code = "import sys, course_utils.plots; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_length_histogram_marks_the_mean_and_the_longest() -> None:
    from course_utils.plots import plot_length_histogram

    ax = plot_length_histogram([3, 4, 4, 5, 20])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["mean 7.2", "longest 20"]
    assert sum(patch.get_height() for patch in ax.patches) == 5
    plt.close("all")
    with pytest.raises(ValueError, match="tokenize the dataset first"):
        plot_length_histogram([])


def test_padding_comparison_stacks_padding_on_real_tokens() -> None:
    import pandas as pd

    from course_utils.plots import plot_padding_comparison

    table = pd.DataFrame(
        {"real tokens": [100, 100], "padding tokens": [300, 10], "seconds per epoch": [4.0, 1.5]},
        index=["pad to longest", "buckets"],
    )
    figure = plot_padding_comparison(table)
    tokens_ax, time_ax = figure.axes
    tops = sorted(patch.get_y() + patch.get_height() for patch in tokens_ax.patches)
    assert tops == [100, 100, 110, 400]
    assert [patch.get_height() for patch in time_ax.patches] == [4.0, 1.5]
    plt.close(figure)
    with pytest.raises(ValueError, match="seconds per epoch"):
        plot_padding_comparison(table.drop(columns="seconds per epoch"))


def test_curves_draw_one_line_per_series_against_1_2_3() -> None:
    ax = plot_curves({"training loss": [0.9, 0.6, 0.5], "validation loss": [0.8, 0.7, 0.75]}, ylabel="loss")
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["training loss", "validation loss"]
    assert list(lines[0].get_xdata()) == [1, 2, 3]
    assert list(lines[1].get_ydata()) == [0.8, 0.7, 0.75]
    assert lines[1].get_linestyle() == "--"  # a second curve on the same values stays visible, dashed
    assert ax.get_ylabel() == "loss" and ax.get_legend() is not None
    ax.figure.canvas.draw()
    assert all(float(tick).is_integer() for tick in ax.get_xticks())  # no epoch 1.5


def test_bars_keep_the_order_and_label_each_value() -> None:
    ax = plot_bars({"GPT-2": 1.26, "retrained": 1.1}, ylabel="tokens per word")
    assert [tick.get_text() for tick in ax.get_xticklabels()] == ["GPT-2", "retrained"]
    assert [round(bar.get_height(), 2) for bar in ax.patches] == [1.26, 1.1]
    assert [text.get_text() for text in ax.texts] == ["1.26", "1.10"]
