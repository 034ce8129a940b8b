"""The run command's executor: status, headline, cleaned metadata, build outputs."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts" / "run_notebooks.py")
run_notebooks = importlib.util.module_from_spec(_spec)
sys.modules["run_notebooks"] = run_notebooks
_spec.loader.exec_module(run_notebooks)  # type: ignore[union-attr]

pytestmark = pytest.mark.main_env  # the executor uses the main environment's nbconvert and kernel


def make_notebook(path: Path, *sources: str, headline: int | None = None) -> Path:
    cells = [new_code_cell(src) for src in sources]
    if headline is not None:
        cells[headline].metadata["tags"] = ["headline"]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "course-main", "display_name": "main", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_headline_is_the_first_line_of_the_tagged_cell() -> None:
    nb = new_notebook(cells=[new_code_cell("x"), new_code_cell("y")])
    nb.cells[1].metadata["tags"] = ["headline"]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="\nF1 0.81\nmore\n")]
    assert run_notebooks.headline_of(nb) == "F1 0.81"
    nb.cells[1].metadata["tags"] = []
    assert run_notebooks.headline_of(nb) == ""


def test_volatile_metadata_is_dropped() -> None:
    nb = new_notebook(cells=[new_code_cell("x")])
    nb.metadata["widgets"] = {"state": {}}
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    nb.cells[0].metadata["tags"] = ["keep"]
    run_notebooks.clean_metadata(nb)
    assert "widgets" not in nb.metadata
    assert nb.cells[0].metadata == {"tags": ["keep"]}


def test_a_notebook_runs_in_its_kernel_and_reports_its_headline(tmp_path: Path) -> None:
    path = make_notebook(tmp_path / "01_demo.ipynb", "x = 6 * 7", "print(f'answer {x}')", headline=1)
    nb, result = run_notebooks.execute(path, timeout=120)
    assert result.status == "ok" and result.headline == "answer 42"
    assert [c.execution_count for c in nb.cells] == [1, 2]


def test_a_failing_cell_is_reported_not_hidden(tmp_path: Path) -> None:
    path = make_notebook(tmp_path / "02_broken.ipynb", "raise ValueError('boom')", "print('never')", headline=1)
    _, result = run_notebooks.execute(path, timeout=120)
    assert result.status == "failed: ValueError"  # short and plain, for the table
    assert result.error == "ValueError: boom"
    assert result.headline == ""


def test_a_long_failure_message_is_kept_whole_and_plain(tmp_path: Path) -> None:
    message = "The full profile needs the checkpoint 'x/y'. " + "Say what to do next. " * 10
    path = make_notebook(tmp_path / "02_long.ipynb", f"raise RuntimeError({message!r})")
    _, result = run_notebooks.execute(path, timeout=120)
    assert result.error == f"RuntimeError: {message}"
    assert "\x1b" not in result.status + result.error


def test_main_prints_each_failure_in_full_below_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = "a sentence that says how to fix it, " * 4
    bad = make_notebook(tmp_path / "04_bad.ipynb", f"raise ValueError({message!r})")
    assert run_notebooks.main([str(bad), "--build", str(tmp_path / "build")]) == 1
    out = capsys.readouterr().out
    table, _, below = out.partition("04_bad: failed: ValueError")
    assert "| failed: ValueError |" in table
    assert f"ValueError: {message}" in below
    assert "executed notebook:" in below and "04_bad.ipynb" in below
    assert f"ValueError: {message}" in (tmp_path / "build" / "smoke" / "summary.txt").read_text()


def test_an_unknown_profile_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert run_notebooks.main(["--build", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Unknown course profile 'fast'. Valid profiles: smoke, full")
    assert "Traceback" not in err


def test_the_kernel_prints_no_warning_on_the_terminal(tmp_path: Path) -> None:
    import os
    import subprocess

    path = make_notebook(tmp_path / "05_quiet.ipynb", "print('fine')", headline=0)
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), str(path), "--build", str(tmp_path / "build")],
        capture_output=True, text=True, env=os.environ.copy(), timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no "running over TCP without encryption", no "parent appears to have exited"


def test_solutions_notebooks_are_named_after_their_folder(tmp_path: Path) -> None:
    (tmp_path / "solutions").mkdir()
    path = make_notebook(tmp_path / "solutions" / "01_demo.ipynb", "print('answer')", headline=0)
    _, result = run_notebooks.execute(path, timeout=120)
    assert result.notebook == "solutions/01_demo" and result.headline == "answer"


def test_main_writes_notebooks_html_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = make_notebook(tmp_path / "03_good.ipynb", "print('fine')", headline=0)
    bad = make_notebook(tmp_path / "04_bad.ipynb", "1/0")
    code = run_notebooks.main([str(good), str(bad), "--build", str(tmp_path / "build")])
    assert code == 1  # one notebook failed
    out = tmp_path / "build" / "smoke"
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["notebook"], r["status"][:6]) for r in summary] == [("03_good", "ok"), ("04_bad", "failed")]
    assert (out / "html" / "03_good.html").read_text().count("fine") >= 1
    assert (out / "notebooks" / "04_bad.ipynb").is_file()
    assert "03_good" in capsys.readouterr().out


def test_refresh_refuses_the_full_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_PROFILE", "full")
    with pytest.raises(SystemExit):
        run_notebooks.main(["--update", "--build", str(tmp_path)])


def test_an_executed_notebook_records_its_profile_environment_and_versions(tmp_path: Path, monkeypatch) -> None:
    from importlib import metadata

    monkeypatch.setenv("COURSE_PROFILE", "smoke")
    path = make_notebook(tmp_path / "01_demo.ipynb", "x = 1")
    nb, _ = run_notebooks.execute(path, timeout=120)
    recorded = nb.metadata["course"]
    assert recorded["profile"] == "smoke" and recorded["environment"] == "main"
    assert recorded["versions"]["transformers"] == metadata.version("transformers")
    assert recorded["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
