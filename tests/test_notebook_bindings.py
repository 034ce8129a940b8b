"""The code a notebook teaches and the package's copy stay identical (#| bind: cells).

Parses notebooks and modules; imports and runs nothing of them, so it runs in both environments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_utils.machinery.notebook_bindings import BIND_MARKER, bound_cells, check_notebook, drift

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOTEBOOK_01 = ROOT / "notebooks" / "01_trainer_weighted_loss.ipynb"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_bound_cell_matches_its_module(notebook: Path) -> None:
    problems = check_notebook(notebook)
    assert problems == [], "\n\n".join(problems)


def test_notebook_01_defines_the_talks_code_in_its_cells() -> None:
    defined = {}
    for cell in bound_cells(NOTEBOOK_01):
        for line in cell.source.splitlines():
            if line.startswith(("class ", "def ")):
                defined[line.split()[1].split("(")[0].rstrip(":")] = cell.module
    assert defined == {
        "WeightedLossTrainer": "course_utils.weighted_trainer",
        "weighted_loss": "course_utils.weighted_trainer",
        "compute_metrics": "course_utils.metrics",
        "training_args": "course_utils.finetuning",
    }
    source = "\n".join(cell.source for cell in bound_cells(NOTEBOOK_01))
    assert "loss_is_scaled_for_ga = False" in source and "self.model_accepts_loss_kwargs = False" in source


def copy_with(tmp_path: Path, old: str, new: str, notebook: Path = NOTEBOOK_01) -> Path:
    """A copy of ``notebook`` with ``old`` replaced by ``new`` in exactly one cell's source."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    hits = [cell for cell in nb["cells"] if old in "".join(cell["source"])]
    assert len(hits) == 1, f"{old!r} should appear in exactly one cell"
    hits[0]["source"] = "".join(hits[0]["source"]).replace(old, new)
    target = tmp_path / notebook.name
    target.write_text(json.dumps(nb), encoding="utf-8")
    return target


def test_a_changed_loss_in_the_notebook_is_reported(tmp_path: Path) -> None:
    changed = copy_with(tmp_path, "loss_fct = nn.CrossEntropyLoss(weight=weights)", "loss_fct = nn.CrossEntropyLoss()")
    [problem] = check_notebook(changed)
    assert "WeightedLossTrainer differs from its copy in course_utils.weighted_trainer" in problem
    assert "-        loss_fct = nn.CrossEntropyLoss(weight=weights)" in problem
    assert "+        loss_fct = nn.CrossEntropyLoss()" in problem


def test_a_dropped_flag_is_reported(tmp_path: Path) -> None:
    changed = copy_with(tmp_path, "    loss_is_scaled_for_ga = False\n", "")
    [problem] = check_notebook(changed)
    assert "WeightedLossTrainer differs" in problem and "-    loss_is_scaled_for_ga = False" in problem


def test_a_changed_metric_is_reported(tmp_path: Path) -> None:
    changed = copy_with(tmp_path, 'average="macro"', 'average="micro"')
    [problem] = check_notebook(changed)
    assert "compute_metrics differs from its copy in course_utils.metrics" in problem


def test_comments_blank_lines_and_docstrings_may_differ(tmp_path: Path) -> None:
    changed = copy_with(
        tmp_path,
        "    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):\n",
        "    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):\n"
        '        """A docstring of my own."""\n\n        # and a comment\n',
    )
    assert check_notebook(changed) == []


def notebook_with(tmp_path: Path, *sources: str) -> Path:
    nb = {"cells": [{"cell_type": "code", "source": source, "metadata": {}, "outputs": []} for source in sources]}
    path = tmp_path / "99_demo.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_the_marker_names_a_module() -> None:
    assert BIND_MARKER.match("#| bind: course_utils.metrics")["module"] == "course_utils.metrics"
    assert BIND_MARKER.match("#|bind:course_utils.metrics ")
    assert not BIND_MARKER.match("# bind: course_utils.metrics")


def test_a_bound_cell_holds_definitions_only(tmp_path: Path) -> None:
    source = (
        "#| bind: course_utils.metrics\nimport numpy as np\n\n"
        "def compute_metrics(eval_pred):\n    pass\n\nprint('hello')\n"
    )
    [cell] = bound_cells(notebook_with(tmp_path, source))
    problems = drift(cell)
    assert any("imports and definitions only" in p and "line 7" in p for p in problems)
    assert any("compute_metrics differs" in p for p in problems)


def test_a_name_missing_from_the_module_is_reported(tmp_path: Path) -> None:
    path = notebook_with(tmp_path, "#| bind: course_utils.metrics\ndef my_new_metric(eval_pred):\n    return {}\n")
    [problem] = check_notebook(path)
    assert "my_new_metric is defined in the notebook but not in course_utils.metrics (metrics.py)" in problem


def test_an_unknown_module_and_a_magic_are_reported(tmp_path: Path) -> None:
    path = notebook_with(
        tmp_path,
        "#| bind: course_utils.no_such_module\ndef f():\n    pass\n",
        "#| bind: course_utils.metrics\n%time x = 1\n",
    )
    problems = check_notebook(path)
    assert any("'course_utils.no_such_module', which is not a Python module" in p for p in problems)
    assert any("not plain Python" in p for p in problems)


def test_cells_without_the_marker_are_ignored(tmp_path: Path) -> None:
    assert bound_cells(notebook_with(tmp_path, "def compute_metrics(x):\n    return 1\n")) == []
