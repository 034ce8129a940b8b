"""Execute the course notebooks, each in its own environment's kernel, and report.

Called by ``./course run`` (and ``./course refresh``, which also stores the outputs back in
``notebooks/``). Writes executed notebooks and HTML under the build folder and prints a
table: notebook, environment, status, seconds, headline (the text output of the cell
tagged ``headline``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.environments import KERNELS, notebook_environment  # noqa: E402
from course_utils.profiles import PROFILE_ENV_VAR, active_profile  # noqa: E402

HEADLINE_TAG = "headline"


@dataclass
class Result:
    notebook: str
    environment: str
    status: str
    seconds: float
    headline: str


def headline_of(nb: nbformat.NotebookNode) -> str:
    """First line of text printed by the cell tagged ``headline`` (empty when there is none)."""
    for cell in nb.cells:
        if cell.cell_type != "code" or HEADLINE_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            lines = [line.strip() for line in str(text).splitlines() if line.strip()]
            if lines:
                return lines[0]
    return ""


def clean_metadata(nb: nbformat.NotebookNode) -> None:
    """Drop volatile metadata so committed notebooks diff cleanly."""
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("papermill", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)


def execute(path: Path, timeout: int) -> tuple[nbformat.NotebookNode, Result]:
    nb = nbformat.read(path, as_version=4)
    env = notebook_environment(path)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNELS[env],
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    start = time.perf_counter()
    status = "ok"
    try:
        client.execute()
    except CellTimeoutError:
        status = "timeout"
    except DeadKernelError:
        status = "kernel died"
    except CellExecutionError as exc:
        last = [line for line in str(exc).splitlines() if line.strip()]
        status = "failed: " + (last[-1][:80] if last else "error")
    seconds = time.perf_counter() - start
    clean_metadata(nb)
    headline = headline_of(nb) if status == "ok" else ""
    return nb, Result(path.stem, env, status, round(seconds, 1), headline)


def write_html(nb: nbformat.NotebookNode, target: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


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
    args = parser.parse_args(argv)

    profile = active_profile()
    if args.update and profile != "smoke":
        parser.error("committed notebooks carry smoke-profile outputs: run refresh without COURSE_PROFILE=full")
    os.environ[PROFILE_ENV_VAR] = profile
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    out_nb = args.build / profile / "notebooks"
    out_html = args.build / profile / "html"
    out_nb.mkdir(parents=True, exist_ok=True)
    out_html.mkdir(parents=True, exist_ok=True)

    results = []
    for path in paths:
        path = path.resolve()
        print(f"running {path.name} ...", flush=True)
        nb, result = execute(path, args.timeout)
        results.append(result)
        nbformat.write(nb, out_nb / path.name)
        write_html(nb, out_html / f"{path.stem}.html")
        if args.update and result.status == "ok":
            nbformat.write(nb, path)

    print(f"\nprofile: {profile}; executed notebooks and HTML in {out_nb.parent.relative_to(ROOT) if out_nb.is_relative_to(ROOT) else out_nb.parent}\n")
    table = print_table(results)
    (args.build / profile / "summary.json").write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    (args.build / profile / "summary.txt").write_text(table + "\n")
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
