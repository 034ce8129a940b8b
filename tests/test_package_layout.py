"""The package's layout: the top level holds what the notebooks import, the machinery sits apart."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "course_utils"
REFERENCE = re.compile(r"course_utils\.([a-z_]+)")


def modules_in(folder: Path) -> set[str]:
    """The modules and subpackages of a package folder."""
    modules = {path.stem for path in folder.glob("*.py") if path.stem != "__init__"}
    return modules | {path.name for path in folder.iterdir() if (path / "__init__.py").exists()}


def top_level_modules() -> set[str]:
    return modules_in(PACKAGE)


def references(text: str) -> set[str]:
    return set(REFERENCE.findall(text))


def test_every_top_level_module_serves_a_notebook() -> None:
    # What the notebooks (lessons and solutions) name, directly or through the top-level modules they
    # import; the machinery is reached only through setup() and stays out of this listing.
    reached = set()
    for notebook in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        reached |= references(notebook.read_text(encoding="utf-8"))
    frontier = set(reached)
    while frontier:
        name = frontier.pop()
        sources = [PACKAGE / f"{name}.py"] if (PACKAGE / f"{name}.py").exists() else sorted((PACKAGE / name).glob("*.py"))
        for source in sources:
            new = references(source.read_text(encoding="utf-8")) - reached - {"machinery"}
            reached |= new
            frontier |= new
    unused = top_level_modules() - reached - {"machinery"}
    assert not unused, f"top-level modules no notebook imports (move them into course_utils/machinery): {sorted(unused)}"


def test_the_machinery_is_not_at_the_top_level() -> None:
    machinery = modules_in(PACKAGE / "machinery")
    assert {"profiles", "seeding", "smoke_hub", "hub_server", "standin", "fetch"} <= machinery
    assert not machinery & top_level_modules()


def test_the_local_hub_has_a_short_command() -> None:
    command = Path(sys.executable).with_name("course-hub")
    assert command.exists(), "pyproject.toml's [project.scripts] installs course-hub (./course setup reinstalls)"
    shown = subprocess.run([str(command), "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: course-hub"), shown.stdout[:200]
    module = subprocess.run([sys.executable, "-m", "course_utils.machinery.hub_server", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert module.returncode == 0, module.stderr
