"""The course's two Python environments and the Jupyter kernel each registers.

* ``main``: the current stack (torch, transformers 5) for notebooks 00, 01, 03, 04, 05.
* ``keras``: the last stack with TensorFlow models (transformers 4.57) for notebook 02.

Each notebook names its kernel in its metadata, so Jupyter opens it in the right
environment; the test and run commands read the same metadata. Used by the course's
commands, its tests and notebook 00.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

ENVIRONMENTS: tuple[str, ...] = ("main", "keras")
KERNELS: dict[str, str] = {"main": "course-main", "keras": "course-keras"}
KERNEL_DISPLAY_NAMES: dict[str, str] = {
    "main": "Python 3 (course: main)",
    "keras": "Python 3 (course: keras)",
}


def current_environment() -> str:
    """``main`` or ``keras`` from the installed transformers major version, else ``unknown``."""
    try:
        major = int(metadata.version("transformers").split(".")[0])
    except (metadata.PackageNotFoundError, ValueError):
        return "unknown"
    return {5: "main", 4: "keras"}.get(major, "unknown")


def notebook_environment(notebook: Path) -> str:
    """The environment a notebook runs in, read from its kernelspec metadata."""
    meta = json.loads(Path(notebook).read_text(encoding="utf-8")).get("metadata", {})
    kernel = meta.get("kernelspec", {}).get("name")
    for env, name in KERNELS.items():
        if kernel == name:
            return env
    raise ValueError(
        f"{notebook} names kernel {kernel!r}; every course notebook must name one of "
        f"{sorted(KERNELS.values())} in metadata.kernelspec.name."
    )


#: Where each lesson notebook's exercise solutions live, under the notebooks folder.
SOLUTIONS = "solutions"


def course_notebooks(folder: Path) -> list[Path]:
    """The lesson notebooks of ``folder`` (``NN_*.ipynb``) in course order, then their solutions notebooks.

    Solutions live in ``folder/solutions/`` under the name of their lesson notebook.
    """
    lessons = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    return lessons + sorted((Path(folder) / SOLUTIONS).glob("[0-9][0-9]_*.ipynb"))


def notebooks_for(env: str, folder: Path) -> list[Path]:
    """The notebooks of ``folder`` (lessons, then solutions) that run in ``env``, in course order."""
    if env not in ENVIRONMENTS:
        raise ValueError(f"Unknown environment {env!r}; valid: {', '.join(ENVIRONMENTS)}.")
    return [nb for nb in course_notebooks(folder) if notebook_environment(nb) == env]


if __name__ == "__main__":  # used by ./course: python -m course_utils.machinery.environments ENV FOLDER
    import sys

    for path in notebooks_for(sys.argv[1], Path(sys.argv[2])):
        print(path)
