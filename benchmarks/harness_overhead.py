"""How much time the notebook harness adds per notebook, apart from the notebook's own work.

Builds a trivial three-cell notebook (course-main kernel) and times, over a few rounds:
* ``exec``: the same code run in this process (the floor);
* ``nbclient``: executing it with a fresh kernel, as ``./course run`` does;
* ``nbval``: ``pytest --nbval`` on it in a subprocess, as ``./course test`` does (includes
  pytest start-up and this project's conftest, which starts the session Hub).

Prints a table and writes benchmarks/results/harness_overhead.json. Run with the main
environment: ``.venvs/main/bin/python benchmarks/harness_overhead.py``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "harness_overhead.json"
CELLS = ["x = sum(range(1000))", "print(x)", "y = [i * i for i in range(100)]\nlen(y)"]
ROUNDS = 3


def make_notebook(folder: Path) -> Path:
    nb = new_notebook(cells=[new_code_cell(src) for src in CELLS])
    nb.metadata["kernelspec"] = {"name": "course-main", "display_name": "main", "language": "python"}
    client = NotebookClient(nb, kernel_name="course-main", record_timing=False)
    client.execute()  # store outputs so nbval has something to compare
    path = folder / "trivial.ipynb"
    nbformat.write(nb, path)
    return path


def time_exec() -> float:
    start = time.perf_counter()
    scope: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for src in CELLS:
            exec(compile(src, "<cell>", "exec"), scope)
    return time.perf_counter() - start


def time_nbclient(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="course-main", record_timing=False).execute()
    return time.perf_counter() - start


def time_nbval(path: Path) -> float:
    command = [
        sys.executable, "-m", "pytest", str(path), "--nbval", "--nbval-current-env", "-q",
        "-p", "no:cacheprovider", f"--rootdir={ROOT}", "-c", str(ROOT / "pyproject.toml"),
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=dict(os.environ, COURSE_QUIET="1"))
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = make_notebook(Path(tmp))
        rounds = {name: [] for name in ("exec", "nbclient", "nbval")}
        for _ in range(ROUNDS):
            rounds["exec"].append(time_exec())
            rounds["nbclient"].append(time_nbclient(path))
            rounds["nbval"].append(time_nbval(path))
    medians = {name: statistics.median(values) for name, values in rounds.items()}
    print(f"{'runner':<10} {'median s':>9}  all rounds")
    for name, values in rounds.items():
        print(f"{name:<10} {medians[name]:>9.2f}  {', '.join(f'{v:.2f}' for v in values)}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "harness_overhead",
                "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "rounds": ROUNDS,
                "seconds_median": {k: round(v, 3) for k, v in medians.items()},
                "seconds_all": {k: [round(v, 3) for v in vs] for k, vs in rounds.items()},
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
