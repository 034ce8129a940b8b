"""benchmarks/notebook_profile.py: cells grouped by what they do, seconds summed per notebook."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import notebook_profile  # noqa: E402
from notebook_profile import group_of, profile, records_from_run, slowest  # noqa: E402


@pytest.mark.parametrize(("source", "group"), [
    ('PROFILE = None  # None: $COURSE_PROFILE or "smoke"', "imports"),
    ('from course_utils.notebook_setup import setup\n\nassets = setup("01_x", PROFILE)', "imports"),
    ("import numpy as np\nfrom datasets import load_dataset", "imports"),
    ('emotions = load_dataset("dair-ai/emotion", "split")', "data preparation"),
    ("encoded = emotions.map(tokenize, batched=True)", "data preparation"),
    ("trainer.train()\nprint(trainer.state.global_step)", "training"),
    ("model.fit(tf_train, validation_data=tf_val, epochs=3)", "training"),
    ("new_tokenizer = old.train_new_from_iterator(batch_iterator(), 8000)", "training"),
    ("predictions = trainer.predict(encoded['test'])", "evaluation"),
    ("plot_confusion_matrix(labels, predictions, names)", "plotting"),
    ("print(len(vocab))", "rest"),
])
def test_cells_are_grouped_by_what_they_do(source: str, group: str) -> None:
    assert group_of(source) == group


def notebook(path: Path, sources: list[str]) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
    cells += [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None} for source in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_a_profile_sums_each_group_and_counts_the_first_setup_as_start_up(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "01_demo.ipynb", ["import torch", "data = load_dataset('x')", "trainer.train()", "plot_loss_curves(x)"])
    records = [
        {"nodeid": "notebooks/01_demo.ipynb::Cell 0", "phase": "setup", "seconds": 4.0},
        {"nodeid": "notebooks/01_demo.ipynb::Cell 0", "phase": "call", "seconds": 2.0},
        {"nodeid": "notebooks/01_demo.ipynb::Cell 1", "phase": "setup", "seconds": 0.5},
        {"nodeid": "notebooks/01_demo.ipynb::Cell 1", "phase": "call", "seconds": 3.0},
        {"nodeid": "notebooks/01_demo.ipynb::Cell 2", "phase": "call", "seconds": 30.0},
        {"nodeid": "notebooks/01_demo.ipynb::Cell 3", "phase": "call", "seconds": 1.5},
        {"nodeid": "notebooks/99_other.ipynb::Cell 0", "phase": "call", "seconds": 99.0},  # not asked for
        {"nodeid": "notebooks/solutions/01_demo.ipynb::Cell 2", "phase": "call", "seconds": 50.0},  # not a lesson
    ]
    result = profile(records, {"01_demo": nb})
    assert list(result) == ["01_demo"]
    groups = result["01_demo"]["groups"]
    assert groups["kernel start-up"] == 4.0
    assert groups["imports"] == 2.0
    assert groups["data preparation"] == 3.5  # its setup phase counts for its own group
    assert groups["training"] == 30.0 and groups["plotting"] == 1.5 and groups["rest"] == 0.0
    assert result["01_demo"]["total"] == 41.0
    top = slowest(result, 2)
    assert [(cell["cell"], cell["group"]) for cell in top] == [(2, "training"), (1, "data preparation")]
    assert top[0]["code"] == "trainer.train()"


def test_the_groups_cover_what_the_issue_names() -> None:
    assert notebook_profile.GROUPS == ("kernel start-up", "imports", "data preparation", "training", "evaluation", "plotting", "rest")


def test_a_course_run_summary_gives_the_same_records(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "01_demo.ipynb", ["import torch", "trainer.train()", "print(1)"])
    summary = [
        {"notebook": "01_demo", "seconds": 40.0, "cells": [2.0, 30.0, None]},  # the last cell never ran
        {"notebook": "solutions/01_demo", "seconds": 9.0, "cells": [1.0]},  # solutions: left out
    ]
    records = records_from_run(summary)
    assert records[0] == {"nodeid": "notebooks/01_demo.ipynb::Cell 0", "phase": "setup", "seconds": 8.0}
    result = profile(records, {"01_demo": nb})
    assert result["01_demo"]["groups"]["kernel start-up"] == 8.0
    assert result["01_demo"]["groups"]["training"] == 30.0
    assert result["01_demo"]["total"] == 40.0
