"""The Trainer's log as a table a learner can read, instead of one printed dict per event.

``trainer.state.log_history`` holds one dict per logging event: training loss and learning
rate, validation metrics (``eval_*``), and a summary at the end. :func:`log_table` turns it into
one row per epoch. With progress bars off (the course's run and test commands), the Trainer
also prints each of those dicts as it goes; :func:`print_logs_as_table_only` removes that
printer, so the table is the only copy. Imports pandas and transformers inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Columns of :func:`log_table`, from the keys of ``log_history``.
_COLUMNS = {
    "loss": "training loss",
    "eval_loss": "validation loss",
    "eval_accuracy": "accuracy",
    "eval_f1_macro": "macro F1",
    "eval_f1_by_support": "F1 by support",
}


def log_table(log_history: Iterable[Mapping[str, Any]]) -> "pd.DataFrame":
    """One row per epoch: training loss, validation loss and the validation metrics.

    Takes ``trainer.state.log_history`` (logged once per epoch); runtimes, learning rates and
    the end-of-training summary are left out. Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    import pandas as pd

    rows: dict[int, dict[str, float]] = {}
    for entry in log_history:
        if "epoch" not in entry or "train_runtime" in entry:
            continue
        row = rows.setdefault(int(round(entry["epoch"])), {})
        row.update({name: entry[key] for key, name in _COLUMNS.items() if key in entry})
    if not rows:
        raise ValueError("The log history has no epoch entries: train first (trainer.train()), with logging per epoch.")
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "epoch"
    return table[[name for name in _COLUMNS.values() if name in table.columns]]


def print_logs_as_table_only(trainer: Any) -> None:
    """Stop a Trainer from printing its raw log dicts when progress bars are off.

    In Jupyter, with progress bars on, the Trainer shows a live table and this does nothing.
    Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
