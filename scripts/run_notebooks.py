"""Execute the course notebooks, each in its own environment's kernel, and report.

Called by ``./course run`` (and ``./course refresh``, which also stores the outputs back in
``notebooks/``). Runs every lesson notebook (``notebooks/NN_*.ipynb``) and every solutions
notebook (``notebooks/solutions/NN_*.ipynb``). Writes executed notebooks and HTML under the build
folder and prints a table: notebook, environment, status, seconds, headline (the text output of
the cell tagged ``headline``). Below the table, each failure's whole message and the executed
notebook to open.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import zmq
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.machinery.environments import KERNELS, course_notebooks, notebook_environment  # noqa: E402
from course_utils.machinery.headline import headline_of  # noqa: E402,F401  (also used by the tests through this module)
from course_utils.machinery.profiles import PROFILE_ENV_VAR, UnknownProfileError, active_profile  # noqa: E402


@dataclass
class Result:
    notebook: str
    environment: str
    status: str
    seconds: float
    headline: str
    error: str = ""  # a failure's whole message, in plain text
    cells: list[float | None] = field(default_factory=list)  # seconds per code cell, in order (None: not run)


def cell_seconds(nb: nbformat.NotebookNode) -> list[float | None]:
    """Each code cell's execution time, from the timing metadata nbclient records (``None``: not run)."""
    from datetime import datetime

    seconds: list[float | None] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        timing = cell.metadata.get("execution", {})
        begin, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if begin and end:
            delta = datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(begin.replace("Z", "+00:00"))
            seconds.append(round(delta.total_seconds(), 3))
        else:
            seconds.append(None)
    return seconds


def clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop volatile metadata so committed notebooks diff cleanly."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)


#: Libraries whose versions each executed notebook records, by environment (the site shows them).
RECORDED_LIBRARIES = {
    "main": ("python", "torch", "transformers", "datasets", "tokenizers", "huggingface_hub", "accelerate"),
    "keras": ("python", "tensorflow", "transformers", "datasets", "tokenizers", "huggingface_hub"),
}
_VERSIONS: dict[str, dict[str, str]] = {}


def environment_versions(env: str) -> dict[str, str]:
    """The versions of :data:`RECORDED_LIBRARIES` in the Python of ``env``'s kernel (asked once per run)."""
    if env not in _VERSIONS:
        from jupyter_client.kernelspec import KernelSpecManager

        python = KernelSpecManager().get_kernel_spec(KERNELS[env]).argv[0]
        code = (
            "import json, platform; from importlib import metadata\n"
            f"names = {RECORDED_LIBRARIES[env]!r}\n"
            "print(json.dumps({n: platform.python_version() if n == 'python' else metadata.version(n).split('+')[0] for n in names}))"
        )
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
        _VERSIONS[env] = json.loads(done.stdout)
    return _VERSIONS[env]


def record_execution(nb: nbformat.NotebookNode, env: str, profile: str) -> None:
    """Store how the notebook was executed in its metadata (``course``): profile, environment, versions."""
    nb.metadata["course"] = {"profile": profile, "environment": env, "versions": environment_versions(env)}


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def plain(text: str) -> str:
    """``text`` without terminal colour codes (IPython colours exception names)."""
    return ANSI_ESCAPE.sub("", text)


def display_name(path: Path) -> str:
    """``01_trainer_weighted_loss``, or ``solutions/01_trainer_weighted_loss`` for a solutions notebook."""
    return f"{path.parent.name}/{path.stem}" if path.parent.name == "solutions" else path.stem


def execute(path: Path, timeout: int) -> tuple[nbformat.NotebookNode, Result]:
    nb = nbformat.read(path, as_version=4)
    env = notebook_environment(path)
    # Encrypted transport between runner and kernel (the kernelspecs declare CurveZMQ support):
    # without it, every kernel warns on the terminal that it runs over plain TCP.
    manager = KernelManager(kernel_name=KERNELS[env], transport_encryption="auto" if zmq.has("curve") else "disabled")
    client = NotebookClient(
        nb,
        km=manager,
        timeout=timeout,
        kernel_name=KERNELS[env],
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=True,  # each cell's start and end, kept in cell_seconds (benchmarks/notebook_profile.py)
    )
    start = time.perf_counter()
    status, error = "ok", ""
    try:
        client.execute()
    except CellTimeoutError as exc:
        status, error = "timeout", plain(str(exc).strip().splitlines()[-1] if str(exc).strip() else "")
    except DeadKernelError as exc:
        status, error = "kernel died", plain(str(exc))
    except CellExecutionError as exc:
        status, error = f"failed: {plain(exc.ename)}", plain(f"{exc.ename}: {exc.evalue}")
    finally:
        if manager.has_kernel:  # the client leaves a kernel it was given running
            manager.shutdown_kernel()
    seconds = time.perf_counter() - start
    timings = cell_seconds(nb)
    clean_metadata(nb)
    record_execution(nb, env, active_profile())
    headline = headline_of(nb) if status == "ok" else ""
    return nb, Result(display_name(path), env, status, round(seconds, 1), headline, error, timings)


def write_html(nb: nbformat.NotebookNode, target: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def failure_report(results: list[Result], executed: dict[str, Path]) -> str:
    """Each failed notebook's whole message and the executed notebook to open (empty when all passed)."""
    blocks = []
    for result in results:
        if result.status == "ok":
            continue
        where = executed.get(result.notebook)
        blocks.append(
            f"{result.notebook}: {result.status}"
            + (f"\n  executed notebook: {where}" if where else "")
            + ("\n  " + "\n  ".join(result.error.splitlines()) if result.error else "")
        )
    return "\n\n".join(blocks)


def print_table(results: list[Result]) -> str:
    header = ("notebook", "env", "status", "seconds", "headline")
    rows = [(r.notebook, r.environment, r.status, f"{r.seconds:.1f}", r.headline) for r in results]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    table = "\n".join(lines)
    print(table)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument("--update", action="store_true", help="store outputs back into notebooks/ (smoke profile only)")
    parser.add_argument("--no-html", action="store_true", help="write the executed notebooks only, no HTML copies")
    args = parser.parse_args(argv)

    try:
        profile = active_profile()
    except UnknownProfileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.update and profile != "smoke":
        parser.error("committed notebooks carry smoke-profile outputs: run refresh without COURSE_PROFILE=full")
    os.environ[PROFILE_ENV_VAR] = profile
    paths = args.notebooks or course_notebooks(ROOT / "notebooks")
    out_nb = args.build / profile / "notebooks"
    out_html = args.build / profile / "html"
    out_nb.mkdir(parents=True, exist_ok=True)
    out_html.mkdir(parents=True, exist_ok=True)

    results, executed = [], {}
    for path in paths:
        path = path.resolve()
        name = display_name(path)
        print(f"running {name} ...", flush=True)
        nb, result = execute(path, args.timeout)
        results.append(result)
        target = out_nb / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        executed[name] = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
        if not args.no_html:
            html = out_html / f"{name}.html"
            html.parent.mkdir(parents=True, exist_ok=True)
            write_html(nb, html)
        if args.update and result.status == "ok":
            nbformat.write(nb, path)

    print(f"\nprofile: {profile}; executed notebooks and HTML in {out_nb.parent.relative_to(ROOT) if out_nb.is_relative_to(ROOT) else out_nb.parent}\n")
    table = print_table(results)
    failures = failure_report(results, executed)
    if failures:
        print(f"\n{failures}")
    (args.build / profile / "summary.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    (args.build / profile / "summary.txt").write_text(table + "\n" + (f"\n{failures}\n" if failures else ""))
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
