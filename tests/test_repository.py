"""The repository URL lives in pyproject.toml; every Colab cell installs from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from course_utils.machinery.repository import colab_cell_urls, colab_url, repository_url, sync_colab_cells

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT / "notebooks")))
def test_the_colab_cell_installs_from_the_repository_in_pyproject(notebook: Path) -> None:
    urls = colab_cell_urls(notebook)
    assert urls, "a Colab cell that installs course-utils from the repository"
    assert set(urls) == {repository_url()}, (
        f"{notebook.name} installs from {sorted(set(urls))}, pyproject.toml names {repository_url()}: "
        "run `python -m course_utils.machinery.repository --sync`"
    )


def test_colab_urls_point_into_the_repository() -> None:
    owner_name = repository_url().removeprefix("https://github.com/")
    assert colab_url("notebooks/01_x.ipynb") == f"https://colab.research.google.com/github/{owner_name}/blob/main/notebooks/01_x.ipynb"


def test_a_changed_url_is_caught_and_sync_rewrites_the_cells(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n[project.urls]\nRepository = "https://github.com/someone/elsewhere"\n')
    folder = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", folder, ignore=shutil.ignore_patterns("outputs"))
    notebook = folder / "01_trainer_weighted_loss.ipynb"
    assert colab_cell_urls(notebook) == [repository_url()]
    changed = sync_colab_cells(folder, pyproject)
    assert notebook in changed and len(changed) == len(NOTEBOOKS)
    assert colab_cell_urls(notebook) == ["https://github.com/someone/elsewhere"]
    assert sync_colab_cells(folder, pyproject) == []  # nothing left to change


def test_a_missing_or_odd_repository_url_is_a_clear_error(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"needs \[project.urls\] Repository"):
        repository_url(pyproject)
