"""Small matplotlib figures the notebooks show instead of walls of numbers.

Each function draws on ``ax`` when given (else on a new figure) and returns the Axes. Nothing
here imports matplotlib until a function is called; works in both environments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes


def _axes(ax: "Axes | None", figsize: tuple[float, float] | None = None) -> "Axes":
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def plot_class_balance(
    shares: "Mapping[str, float] | pd.Series",
    ax: "Axes | None" = None,
    title: str = "Share of each class",
) -> "Axes":
    """Bar chart of each class's share of the examples, labelled in percent.

    ``shares`` maps class names to fractions (for example
    ``df["label_name"].value_counts(normalize=True)``); bars keep its order. Used in
    notebooks/01_trainer_weighted_loss.ipynb.
    """
    pairs = list(dict(shares).items())
    names = [str(name) for name, _ in pairs]
    values = np.asarray([float(value) for _, value in pairs])
    ax = _axes(ax)
    bars = ax.bar(names, values, color="tab:blue")
    ax.bar_label(bars, labels=[f"{v:.0%}" for v in values], padding=2)
    ax.set_ylabel("share of examples")
    ax.set_ylim(0, max(values.max() * 1.2, 0.05))
    ax.set_title(title)
    return ax


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    label_names: Sequence[str],
    normalize: bool = True,
    ax: "Axes | None" = None,
    title: str = "Confusion matrix",
) -> "Axes":
    """Heat map of true class (rows) against predicted class (columns).

    With ``normalize=True`` each row is divided by the number of examples of that true class,
    so the diagonal reads as the recall of each class. Used in
    notebooks/01_trainer_weighted_loss.ipynb.
    """
    from sklearn.metrics import confusion_matrix

    names = list(label_names)
    matrix = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=list(range(len(names)))).astype(float)
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    ax = _axes(ax, figsize=(5.5, 4.5))
    image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = matrix.max() / 2 if matrix.size else 0
    for row in range(len(names)):
        for col in range(len(names)):
            value = matrix[row, col]
            text = f"{value:.2f}" if normalize else f"{int(value)}"
            ax.text(col, row, text, ha="center", va="center", fontsize=8,
                    color="white" if value > threshold else "black")
    ax.set_title(title)
    ax.spines[:].set_visible(False)
    return ax


def plot_loss_curves(log_history: Sequence[Mapping[str, Any]], ax: "Axes | None" = None, title: str = "Loss") -> "Axes":
    """Training and validation loss against the epoch, from ``trainer.state.log_history``.

    Training points are the entries with a ``loss`` key, validation points those with
    ``eval_loss``. Raises ``ValueError`` when the history holds neither (nothing was logged:
    check ``logging_strategy`` / ``eval_strategy``). Used in
    notebooks/01_trainer_weighted_loss.ipynb.
    """
    train = [(entry["epoch"], entry["loss"]) for entry in log_history if "loss" in entry and "epoch" in entry]
    valid = [(entry["epoch"], entry["eval_loss"]) for entry in log_history if "eval_loss" in entry and "epoch" in entry]
    if not train and not valid:
        raise ValueError(
            "The log history has no 'loss' or 'eval_loss' entries: set logging_strategy and "
            "eval_strategy in TrainingArguments so the Trainer records them."
        )
    ax = _axes(ax)
    if train:
        ax.plot(*zip(*train), marker="o", markersize=3, label="training")
    if valid:
        ax.plot(*zip(*valid), marker="s", label="validation")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_per_class_comparison(
    table: "pd.DataFrame",
    ax: "Axes | None" = None,
    ylabel: str = "F1",
    title: str = "Per-class comparison",
) -> "Axes":
    """Grouped bars: one group per row of ``table`` (a class), one bar per column (a run).

    For example a DataFrame indexed by class name with columns ``weighted`` and
    ``unweighted``; rows keep their order, numeric columns only. Used in
    notebooks/01_trainer_weighted_loss.ipynb.
    """
    numeric = table.select_dtypes("number")
    if numeric.empty:
        raise ValueError("The table has no numeric column to plot.")
    groups = [str(name) for name in numeric.index]
    runs = [str(name) for name in numeric.columns]
    width = 0.8 / len(runs)
    positions = np.arange(len(groups))
    ax = _axes(ax)
    for i, run in enumerate(numeric.columns):
        offset = (i - (len(runs) - 1) / 2) * width
        ax.bar(positions + offset, numeric[run].to_numpy(dtype=float), width, label=runs[i])
    ax.set_xticks(positions, groups)
    top = float(np.nanmax(numeric.to_numpy(dtype=float)))
    if top > 0:
        ax.set_ylim(0, top * 1.25)  # headroom for the legend above the bars
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper center", ncols=min(len(runs), 3), frameon=False)
    return ax


def plot_length_histogram(
    lengths: Sequence[int], ax: "Axes | None" = None, title: str = "Tokens per example"
) -> "Axes":
    """Histogram of token counts, with the mean and the longest example marked.

    The space between the mean and the longest example is what padding every example to the
    longest one fills with padding. Used in notebooks/02_keras_to_tf_dataset.ipynb.
    """
    values = np.asarray(lengths)
    if values.size == 0:
        raise ValueError("No lengths to plot: tokenize the dataset first.")
    ax = _axes(ax)
    ax.hist(values, bins=range(int(values.min()), int(values.max()) + 2), color="tab:blue")
    ax.axvline(values.mean(), color="tab:orange", linestyle="--", label=f"mean {values.mean():.1f}")
    ax.axvline(values.max(), color="tab:red", label=f"longest {values.max()}")
    ax.set_xlabel("tokens")
    ax.set_ylabel("examples")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_padding_comparison(table: "pd.DataFrame", title: str = "One epoch, three ways to pad") -> Any:
    """Two bar charts side by side: tokens processed per epoch (real vs padding) and seconds per epoch.

    ``table`` has one row per way of batching and the columns ``real tokens``, ``padding tokens``
    and ``seconds per epoch``. Returns the figure. Used in notebooks/02_keras_to_tf_dataset.ipynb.
    """
    import matplotlib.pyplot as plt

    missing = [c for c in ("real tokens", "padding tokens", "seconds per epoch") if c not in table.columns]
    if missing:
        raise ValueError(f"The table lacks the column(s) {missing}.")
    names = [str(name) for name in table.index]
    figure, (tokens_ax, time_ax) = plt.subplots(1, 2, figsize=(9, 3.2))
    real = table["real tokens"].to_numpy(dtype=float)
    padding = table["padding tokens"].to_numpy(dtype=float)
    tokens_ax.bar(names, real, label="real tokens", color="tab:blue")
    tokens_ax.bar(names, padding, bottom=real, label="padding", color="tab:gray")
    tokens_ax.set_ylabel("tokens per epoch")
    tokens_ax.legend(frameon=False)
    time_ax.bar(names, table["seconds per epoch"].to_numpy(dtype=float), color="tab:orange")
    time_ax.set_ylabel("seconds per epoch")
    for ax in (tokens_ax, time_ax):
        ax.tick_params(axis="x", labelrotation=15)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    xlabel: str = "epoch",
    ylabel: str = "",
    ax: "Axes | None" = None,
    title: str = "",
) -> "Axes":
    """One line per named series, against 1, 2, 3...: losses or scores per epoch or per step.

    A series drawn after another of the same values lies on top of it, dashed, so two identical
    curves show as one dashed line. Used in notebooks/01_trainer_weighted_loss.ipynb (validation macro
    F1 per epoch of both runs), 02_keras_to_tf_dataset.ipynb (the Keras history) and
    05_accelerate.ipynb (the plain and the Accelerate loop's losses).
    """
    ax = _axes(ax, figsize=(6, 3.2))
    styles = ["-", "--", ":", "-."]
    for index, (name, values) in enumerate(curves.items()):
        values = [float(value) for value in values]
        steps = range(1, len(values) + 1)
        ax.plot(steps, values, styles[index % len(styles)], marker="o" if len(values) <= 20 else None, label=name)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and steps are whole numbers
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if curves:
        ax.legend()
    return ax


def plot_bars(
    values: Mapping[str, float],
    ylabel: str = "",
    ax: "Axes | None" = None,
    title: str = "",
    fmt: str = "{:.2f}",
) -> "Axes":
    """Bars of named values, each labelled with ``fmt``, in the mapping's order.

    Used in notebooks/04_training_tokenizers.ipynb (tokens per word, before and after retraining).
    """
    names = [str(name) for name in values]
    heights = np.asarray([float(value) for value in values.values()])
    ax = _axes(ax, figsize=(6, 3.2))
    bars = ax.bar(names, heights, color="tab:blue")
    ax.bar_label(bars, labels=[fmt.format(height) for height in heights], padding=2)
    ax.set_ylim(0, max(heights.max() * 1.2, 1e-9) if heights.size else 1)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax
