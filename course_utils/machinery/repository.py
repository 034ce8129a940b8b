"""Where the course lives: the repository URL, kept in one place (``pyproject.toml``, ``[project.urls]``).

The notebooks' Colab cells install the package from it, and the website's "Open in Colab" links
open the notebooks from it. ``tests/test_repository.py`` fails when a Colab cell names another URL;
``python -m course_utils.machinery.repository --sync`` rewrites the Colab cells from ``pyproject.toml``.

Used by scripts/build_site.py (the website) and the tests.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: The Colab cell's install line: ``%pip install -q "course-utils[main] @ git+<URL>"``.
COLAB_INSTALL = re.compile(r'(course-utils\[(?:main|keras)\] @ git\+)(https://github\.com/[\w.-]+/[\w.-]+?)(\.git)?(?=\\?")')  # in a cell, or in the notebook's JSON


def repository_url(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """The ``Repository`` entry of ``[project.urls]``, e.g. ``https://github.com/owner/name``."""
    import tomllib  # Python 3.11+

    urls = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"].get("urls", {})
    url = urls.get("Repository", "")
    if not re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url):
        raise ValueError(f"{pyproject} needs [project.urls] Repository = \"https://github.com/OWNER/NAME\", not {url!r}.")
    return url


def colab_url(notebook: str, url: str | None = None, branch: str = "main") -> str:
    """Colab's address for ``notebook`` (a path in the repository, e.g. ``notebooks/01_x.ipynb``)."""
    owner_name = (url or repository_url()).removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{notebook}"


def colab_cell_urls(notebook: Path) -> list[str]:
    """The repository URLs a notebook's cells install ``course-utils`` from."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [m.group(2) for c in cells if c["cell_type"] == "code" for m in COLAB_INSTALL.finditer("".join(c["source"]))]


def sync_colab_cells(folder: Path = ROOT / "notebooks", pyproject: Path = ROOT / "pyproject.toml") -> list[Path]:
    """Rewrite every notebook's Colab install line to :func:`repository_url`; return the notebooks changed."""
    url, changed = repository_url(pyproject), []
    for notebook in sorted(folder.rglob("*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        new = COLAB_INSTALL.sub(lambda m: m.group(1) + url, text)
        if new != text:
            notebook.write_text(new, encoding="utf-8")
            changed.append(notebook)
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["--sync"]:
        print(f"repository: {repository_url()}\nuse --sync to rewrite the notebooks' Colab cells from pyproject.toml")
        sys.exit(0)
    for path in sync_colab_cells():
        print("updated", path.relative_to(ROOT))
