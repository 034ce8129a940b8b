"""A lesson notebook as Colab runs it: a fresh environment, the notebook's own Colab cell, headless.

Colab gives a notebook Python, torch and a Jupyter kernel, with ``google.colab`` already imported;
everything else comes from the notebook's first cell (``%pip install "course-utils[main] @ git+<repository>"``
and the weights packages). This script builds that situation here and runs the notebook top to bottom:

* a fresh virtual environment holding only torch and the kernel (the versions of requirements/main.lock);
* a stand-in ``google.colab`` module imported at start-up, so the Colab cell installs;
* git told to fetch the repository's URL from this checkout (its committed HEAD): nothing reaches GitHub,
  but the cell's install line runs unchanged, with its extra resolved from the package registry;
* a fresh course cache and Hugging Face home, so the smoke profile seeds its local Hub from nothing;
* the notebook copied alone into the working folder (Colab's ``/content``), capped by ``--max-examples``.

It fails when a cell fails, when the Colab cell did not install the package (the stand-in went unseen),
or when the kernel imported ``course_utils`` from anywhere but the fresh environment. ``./course test``
runs it for notebook 01 beside the main notebooks (log: build/test/colab.log); tests/test_colab.py holds
its parts. By hand:

    ./course colab [--notebook notebooks/01_trainer_weighted_loss.ipynb] [--max-examples 72] [--keep DIR]

Measured on a 2-core AMD EPYC, alone: about 2 minutes (33 s for torch and the kernel, 36 s for the
Colab cell's installs, the rest for seeding the smoke Hub from nothing and the capped notebook).

This machine's Python is used (3.11); Colab's is 3.12, which this machine does not have.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
from course_utils.machinery.repository import colab_cell_urls  # noqa: E402
from run_notebooks import cell_seconds  # noqa: E402  (scripts/, this script's folder)

#: What Colab has before a notebook's first cell runs (pinned to requirements/main.lock).
PREINSTALLED = ("torch", "ipykernel", "nbclient", "nbformat")
KERNEL = "colab-check"

_RUNNER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

path, kernel = sys.argv[1], sys.argv[2]
nb = nbformat.read(path, as_version=4)
client = NotebookClient(nb, kernel_name=kernel, timeout=1800, resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}})
start = time.perf_counter()
error = ""
try:
    client.execute()
except CellExecutionError as exc:
    error = f"{exc.ename}: {exc.evalue}"
nbformat.write(nb, path)
print(json.dumps({"seconds": round(time.perf_counter() - start, 1), "error": error}))
"""


def lock_pins(names: tuple[str, ...], lock: Path = ROOT / "requirements" / "main.lock") -> list[str]:
    """``name==version`` for each of ``names``, as requirements/main.lock pins it."""
    pins = {line.split("==")[0].lower(): line.strip() for line in lock.read_text().splitlines() if "==" in line}
    return [pins[name] for name in names]


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


def fake_colab(venv: Path) -> None:
    """A ``google.colab`` module that every Python of ``venv`` imports at start-up, as Colab's kernel has it."""
    package = site_packages(venv) / "google" / "colab"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Stand-in for Colab\'s module (scripts/colab_check.py): its presence is all the notebooks test."""\n')
    (site_packages(venv) / "zz_colab_check.pth").write_text("import google.colab\n")


def git_config(folder: Path, url: str) -> Path:
    """A git configuration that fetches ``url`` from this checkout."""
    config = folder / "gitconfig"
    config.write_text(f'[url "file://{ROOT}"]\n\tinsteadOf = {url}\n[safe]\n\tdirectory = *\n')
    return config


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise SystemExit(f"colab check: {' '.join(argv[:4])} ... failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done


def check(notebook: Path, max_examples: int, work: Path) -> dict:
    urls = colab_cell_urls(notebook)
    if not urls:
        raise SystemExit(f"colab check: {notebook} has no Colab cell installing course-utils")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    venv = work / "venv"
    run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    # Bytecode is written on first import, as on Colab (which sets no PYTHONDONTWRITEBYTECODE): compiling every
    # module at install, as pip does by default, took longer than the notebook's whole capped run.
    quick = {**os.environ, "PIP_COMPILE": "0"}  # pip install --compile off (what PIP_NO_COMPILE=1 would mean, pip reads as on)
    quick.pop("PYTHONDONTWRITEBYTECODE", None)
    run([python, "-m", "pip", "install", "-q", *lock_pins(PREINSTALLED)], env=quick)
    run([python, "-m", "ipykernel", "install", "--prefix", str(venv), "--name", KERNEL])
    fake_colab(venv)
    timings["preinstalled (torch, kernel)"] = round(time.perf_counter() - start, 1)

    content = work / "content"
    content.mkdir()
    copy = content / notebook.name
    shutil.copy(notebook, copy)
    env = {k: v for k, v in quick.items() if not k.startswith(("COURSE_", "HF_", "JUPYTER_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(
        GIT_CONFIG_GLOBAL=str(git_config(work, urls[0])), GIT_CONFIG_NOSYSTEM="1",
        JUPYTER_PATH=str(venv / "share" / "jupyter"), JUPYTER_DATA_DIR=str(work / "jupyter"),
        COURSE_CACHE=str(work / "course-cache"), HF_HOME=str(work / "hf-home"),
        COURSE_MAX_EXAMPLES=str(max_examples), COURSE_QUIET="1", TQDM_DISABLE="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1",
        PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    begin = time.perf_counter()
    done = run([python, "-c", _RUNNER, str(copy), KERNEL], cwd=content, env=env, timeout=3600)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    timings["notebook"] = round(time.perf_counter() - begin, 1)
    install_seconds = cell_seconds(nbformat.read(copy, as_version=4))[0]  # the Colab cell
    # asked from Colab's working folder, as the kernel imported it (the checkout's own copy is elsewhere)
    where = run([python, "-c", "import course_utils, os; print(os.path.realpath(course_utils.__file__))"],
                cwd=content, env=env).stdout.strip()
    problems = []
    if result["error"]:
        problems.append(f"a cell failed: {result['error']}")
    if not Path(where).is_relative_to(venv.resolve()):
        problems.append(f"the kernel's course_utils came from {where}, not from the Colab cell's install")
    return {
        "notebook": str(notebook.relative_to(ROOT)) if notebook.is_relative_to(ROOT) else str(notebook),
        "python": run([python, "-c", "import platform; print(platform.python_version())"]).stdout.strip(),
        "max_examples": max_examples,
        "course_utils": where,
        "colab_cell_seconds": None if install_seconds is None else round(install_seconds, 1),
        "seconds": timings,
        "passed": not problems,
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", type=Path, default=ROOT / "notebooks" / "01_trainer_weighted_loss.ipynb")
    parser.add_argument("--max-examples", type=int, default=72, help="COURSE_MAX_EXAMPLES for the run (default 72)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one, removed)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="colab-check-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = check(args.notebook.resolve(), args.max_examples, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
