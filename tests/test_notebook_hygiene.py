"""Checks on the committed notebooks that need no kernel: secrets, paths, order, size, shape."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from course_utils.machinery.environments import KERNELS, SOLUTIONS, course_notebooks
from course_utils.machinery.profiles import NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_PATHS = course_notebooks(ROOT / "notebooks")  # lessons, then their solutions notebooks
#: Lesson notebooks of a talk (00 checks the setup and teaches no talk): the full frame applies.
TALK_NOTEBOOKS = [p for p in NOTEBOOK_PATHS if p.parent.name != SOLUTIONS and not p.name.startswith("00_")]
EXERCISE_CHECK = re.compile(r"(?<!def )(?<![\w.])(check_\w+)\(")
TOKEN = re.compile(r"hf_[A-Za-z0-9]{30,}")
# Absolute local paths that would leak a machine's layout into committed outputs.
LOCAL_PATH = re.compile(
    r"(?<![\w.])(/home/|/root/|/Users/|/tmp/|/private/var/|/var/folders/|/work/|/opt/|[A-Z]:\\\\|site-packages)"
)
MAX_BYTES = 1_000_000


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
        ).stdout.decode()
        files = [ROOT / name for name in out.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        files = [p for p in ROOT.rglob("*") if p.is_file() and ".venvs" not in p.parts and ".git" not in p.parts]
    return [p for p in files if p.is_file()]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def output_texts(nb: dict) -> list[str]:
    texts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append("".join(output["text"]))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    texts.append(value if isinstance(value, str) else json.dumps(value))
            texts.extend(output.get("traceback", []))
    return texts


def test_there_are_notebooks() -> None:
    assert NOTEBOOK_PATHS, "notebooks/ holds no notebook"
    assert not [p.name for p in (ROOT / "notebooks").glob("*.ipynb") if p not in NOTEBOOK_PATHS], "name notebooks NN_*.ipynb"
    assert not [p.name for p in (ROOT / "notebooks" / SOLUTIONS).glob("*.ipynb") if p not in NOTEBOOK_PATHS]


def test_no_token_in_tracked_files() -> None:
    leaks = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        leaks.extend(f"{path.relative_to(ROOT)}: {m.group()[:6]}..." for m in TOKEN.finditer(text))
    assert leaks == [], "a Hugging Face token pattern appears in tracked files"


def test_token_pattern_is_detected() -> None:
    fake = "hf_" + "a1B2" * 9
    assert TOKEN.search(f"token = '{fake}'")
    assert not TOKEN.search("hf_hub_download")


def notebook_id(path: Path) -> str:
    return f"{SOLUTIONS}/{path.name}" if path.parent.name == SOLUTIONS else path.name


def code_cells(path: Path) -> list[dict]:
    return [c for c in load(path)["cells"] if c["cell_type"] == "code"]


def tags_of(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=notebook_id)
class TestNotebook:
    def test_named_and_declared(self, path: Path) -> None:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name)
        assert path.stem in NOTEBOOKS, "declare the notebook's assets in course_utils/machinery/profiles.py"

    def test_under_one_megabyte(self, path: Path) -> None:
        assert path.stat().st_size < MAX_BYTES

    def test_names_a_course_kernel(self, path: Path) -> None:
        assert load(path)["metadata"]["kernelspec"]["name"] in KERNELS.values()

    def test_every_cell_has_a_unique_id(self, path: Path) -> None:
        # nbformat 4.5: without ids, nbval's reader warns (MissingIDFieldWarning) and later versions refuse the file
        ids = [cell.get("id") for cell in load(path)["cells"]]
        assert None not in ids and len(set(ids)) == len(ids), "give every cell its own id (nbformat.validator.normalize)"

    def test_executed_in_order(self, path: Path) -> None:
        counts = [c.get("execution_count") for c in load(path)["cells"] if c["cell_type"] == "code"]
        assert counts == list(range(1, len(counts) + 1)), "rerun with ./course refresh"

    def test_no_local_paths_or_tokens_in_outputs(self, path: Path) -> None:
        for text in output_texts(load(path)):
            assert not LOCAL_PATH.search(text), f"local path in an output: {text[:200]!r}"
            assert not TOKEN.search(text)

    def test_no_errors_in_outputs(self, path: Path) -> None:
        errors = [o for c in load(path)["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert errors == []

    def test_every_figure_has_alt_text(self, path: Path) -> None:
        # MyST-NB (the website) reads a cell's figure description from metadata mystnb.image.alt.
        missing = [
            i for i, c in enumerate(load(path)["cells"])
            if c["cell_type"] == "code" and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))
            and not c["metadata"].get("mystnb", {}).get("image", {}).get("alt", "").strip()
        ]
        assert not missing, f"cells {missing} show a figure without alt text: set metadata mystnb.image.alt to what it shows"

    def test_one_parameters_cell_then_setup(self, path: Path) -> None:
        cells = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
        tagged = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
        assert len(tagged) == 1
        assert "PROFILE" in "".join(cells[tagged[0]]["source"])
        after = "".join(cells[tagged[0] + 1]["source"])
        assert f'setup("{path.stem}", PROFILE' in after

    def test_first_cell_installs_only_on_colab(self, path: Path) -> None:
        first = "".join(next(c for c in load(path)["cells"] if c["cell_type"] == "code")["source"])
        assert 'if "google.colab" in sys.modules:' in first
        assert "%pip install" in first

    def test_has_a_headline(self, path: Path) -> None:
        tags = [t for c in load(path)["cells"] for t in c["metadata"].get("tags", [])]
        assert tags.count("headline") == 1


def test_local_path_pattern_catches_paths() -> None:
    assert LOCAL_PATH.search("loaded /home/learner/.cache/x")
    assert LOCAL_PATH.search("see /work/main/notebooks")
    assert not LOCAL_PATH.search("https://huggingface.co/learner/model")


#: Words of markdown a lesson may hold from its title to its check cell (about 45 minutes with the code).
MAIN_PATH_WORDS = 2000


def main_path_words(path: Path) -> int:
    """Words of markdown from a lesson's first cell to its check cell (what a learner must read)."""
    words = 0
    for cell in load(path)["cells"]:
        if "check" in tags_of(cell):
            break
        if cell["cell_type"] == "markdown":
            words += len(re.findall(r"\S+", "".join(cell["source"])))
    return words


def test_main_path_words_counts_the_markdown_before_the_check_cell(tmp_path: Path) -> None:
    notebook = tmp_path / "01_demo.ipynb"
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Title\n", "two words"]},
             {"cell_type": "code", "metadata": {}, "source": ["x = 1  # not prose"], "outputs": [], "execution_count": 1},
             {"cell_type": "code", "metadata": {"tags": ["check"]}, "source": ["check_claims(assets, claims)"], "outputs": [],
              "execution_count": 2},
             {"cell_type": "markdown", "metadata": {}, "source": ["## Optional · after the check, not counted"]}]
    notebook.write_text(json.dumps({"cells": cells}))
    assert main_path_words(notebook) == 4


@pytest.mark.parametrize("path", TALK_NOTEBOOKS, ids=notebook_id)
class TestTalkNotebookFrame:
    """A talk's notebook: title, the talk, headline, summary, a check cell, then 2-4 exercises."""

    def test_starts_with_a_title(self, path: Path) -> None:
        first = load(path)["cells"][0]
        assert first["cell_type"] == "markdown" and "".join(first["source"]).startswith("# ")

    def test_headline_then_summary_then_a_compared_check_cell(self, path: Path) -> None:
        cells = load(path)["cells"]
        headline = next(i for i, c in enumerate(cells) if "headline" in tags_of(c))
        checks = [i for i, c in enumerate(cells) if "check" in tags_of(c)]
        assert len(checks) == 1, "one cell tagged 'check'"
        check = checks[0]
        summary = [
            i for i, c in enumerate(cells)
            if c["cell_type"] == "markdown" and "## Summary" in "".join(c["source"]) and headline < i < check
        ]
        assert summary, "a '## Summary' markdown cell between the headline and the check cell"
        source = "".join(cells[check]["source"])
        assert "check_claims(assets, claims" in source, "the check cell asserts the notebook's claims with check_claims"
        assert "nbval-ignore-output" not in tags_of(cells[check]), "the check cell's output is compared"

    def test_exercises_after_the_check_each_call_a_checker(self, path: Path) -> None:
        cells = load(path)["cells"]
        check = next(i for i, c in enumerate(cells) if "check" in tags_of(c))
        calls = [m for c in cells[check + 1:] if c["cell_type"] == "code" for m in EXERCISE_CHECK.findall("".join(c["source"]))]
        assert 2 <= len(calls) <= 4, f"2 to 4 exercises after the check cell, found {calls}"
        imports = "".join("".join(c["source"]) for c in cells[check + 1:])
        assert all(f"import {name}" in imports or f", {name}" in imports for name in calls)
        assert "from course_utils.exercises." in imports

    def test_has_a_solutions_notebook_that_calls_the_same_checkers(self, path: Path) -> None:
        solutions = path.parent / SOLUTIONS / path.name
        assert solutions.is_file(), f"write {solutions.relative_to(ROOT)}"
        cells = load(path)["cells"]
        check = next(i for i, c in enumerate(cells) if "check" in tags_of(c))
        lesson = {m for c in cells[check + 1:] for m in EXERCISE_CHECK.findall("".join(c["source"]))}
        solved = {m for c in code_cells(solutions) for m in EXERCISE_CHECK.findall("".join(c["source"]))}
        assert lesson == solved
        assert load(solutions)["metadata"]["kernelspec"] == load(path)["metadata"]["kernelspec"]

    def test_title_cell_links_the_talks_recording(self, path: Path) -> None:
        title = "".join(load(path)["cells"][0]["source"])
        assert re.search(r"\*\*Watch the talk:\*\* \[[^\]]+\]\(https://www\.youtube\.com/watch\?v=[\w-]{11}\)", title), (
            "the title cell links the talk's recording: **Watch the talk:** [speaker on subject](https://www.youtube.com/watch?v=ID)"
        )

    def test_main_path_prose_within_budget(self, path: Path) -> None:
        # From the title to the check cell: readable in 45 minutes. Extra material goes after the check
        # cell, in sections marked optional.
        words = main_path_words(path)
        assert words <= MAIN_PATH_WORDS, (
            f"{words} words of prose before the check cell (budget {MAIN_PATH_WORDS}): tighten, or move extra "
            "material to an '## Optional · ...' section after the exercises"
        )

    def test_material_after_the_exercises_is_marked_optional(self, path: Path) -> None:
        cells = load(path)["cells"]
        check = next(i for i, c in enumerate(cells) if "check" in tags_of(c))
        headings = [line for c in cells[check + 1:] if c["cell_type"] == "markdown"
                    for line in "".join(c["source"]).splitlines() if line.startswith("## ")]
        allowed = ("## Try it", "## Optional · ", "## Clean up")
        assert all(heading.startswith(allowed) for heading in headings), headings

    def test_shows_code_rather_than_printing_the_package_source(self, path: Path) -> None:
        assert not any("inspect.getsource" in "".join(c["source"]) for c in code_cells(path))
