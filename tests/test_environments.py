from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from course_utils.machinery import environments
from course_utils.machinery.environments import (
    KERNELS,
    course_notebooks,
    current_environment,
    notebook_environment,
    notebooks_for,
)


@pytest.mark.parametrize(
    ("version", "expected"), [("5.24.0", "main"), ("4.57.6", "keras"), ("3.5.1", "unknown")]
)
def test_environment_follows_the_transformers_major(
    monkeypatch: pytest.MonkeyPatch, version: str, expected: str
) -> None:
    monkeypatch.setattr(environments.metadata, "version", lambda name: version)
    assert current_environment() == expected


def test_environment_is_unknown_without_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(environments.metadata, "version", missing)
    assert current_environment() == "unknown"


def _notebook(folder: Path, name: str, kernel: str | None) -> Path:
    meta = {"kernelspec": {"name": kernel, "display_name": "x", "language": "python"}} if kernel else {}
    path = folder / name
    path.write_text(json.dumps({"cells": [], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_notebooks_are_split_by_their_kernel(tmp_path: Path) -> None:
    _notebook(tmp_path, "00_a.ipynb", KERNELS["main"])
    _notebook(tmp_path, "02_b.ipynb", KERNELS["keras"])
    _notebook(tmp_path, "01_c.ipynb", KERNELS["main"])
    _notebook(tmp_path, "notes.ipynb", KERNELS["keras"])  # not a course notebook name
    assert [p.name for p in notebooks_for("main", tmp_path)] == ["00_a.ipynb", "01_c.ipynb"]
    assert [p.name for p in notebooks_for("keras", tmp_path)] == ["02_b.ipynb"]


def test_solutions_notebooks_come_after_the_lessons(tmp_path: Path) -> None:
    (tmp_path / "solutions").mkdir()
    _notebook(tmp_path, "01_c.ipynb", KERNELS["main"])
    _notebook(tmp_path / "solutions", "01_c.ipynb", KERNELS["main"])
    _notebook(tmp_path, "03_d.ipynb", KERNELS["main"])
    _notebook(tmp_path / "solutions", "02_b.ipynb", KERNELS["keras"])
    found = [p.relative_to(tmp_path).as_posix() for p in course_notebooks(tmp_path)]
    assert found == ["01_c.ipynb", "03_d.ipynb", "solutions/01_c.ipynb", "solutions/02_b.ipynb"]
    assert [p.relative_to(tmp_path).as_posix() for p in notebooks_for("keras", tmp_path)] == ["solutions/02_b.ipynb"]


def test_a_notebook_without_a_course_kernel_is_an_error(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "03_x.ipynb", "python3")
    with pytest.raises(ValueError, match="course-main"):
        notebook_environment(path)


def test_unknown_environment_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="main, keras"):
        notebooks_for("tf", tmp_path)
