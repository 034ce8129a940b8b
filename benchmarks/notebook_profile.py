"""Where the notebooks' time goes: each cell's seconds, grouped by what the cell does.

Runs every lesson notebook (or ``--only NN ...``) under nbval, as the test command does, and times
each cell with the ``cell_timer`` plugin: in the default (smoke) profile, or with ``--rehearsal`` in
the full profile's dress rehearsal (scripts/full_profile.py). Groups each cell by its code into
kernel start-up, imports, data preparation, training, evaluation, plotting and the rest; prints the
groups per notebook and the slowest cells, and writes ``benchmarks/results/notebook_profile.json``
(both runs, under ``default`` and ``rehearsal``) and ``notebook_profile.png``.

    .venvs/main/bin/python benchmarks/notebook_profile.py               # the default run, ~10 min
    .venvs/main/bin/python benchmarks/notebook_profile.py --rehearsal   # the rehearsal
    .venvs/main/bin/python benchmarks/notebook_profile.py --from-run build/smoke/summary.json  # after ./course run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from results_file import cpu_model, write_results  # noqa: E402

GROUPS = ("kernel start-up", "imports", "data preparation", "training", "evaluation", "plotting", "rest")
#: What marks a cell as each group, tried in this order (the first match wins).
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("training", re.compile(r"\.train\(|\.fit\(|train_new_from_iterator|train_from_iterator|notebook_launcher|"
                            r"\btrain_(plain|accelerate)\(|training_function\(|accelerate launch|!accelerate|launch_training")),
    ("evaluation", re.compile(r"\.evaluate\(|\.predict\(|\bscores\(|per_class_report\(|majority_baseline\(")),
    ("plotting", re.compile(r"\bplot_\w+\(|plt\.")),
    ("data preparation", re.compile(r"load_dataset\(|\.map\(|to_tf_dataset\(|tokeni[sz]e|DataLoader|\.filter\(|\.shuffle\(")),
    ("imports", re.compile(r"^(?:\s*(?:#.*|import .+|from .+ import .+|PROFILE = .+|assets = setup\(.+\)|)\s*\n?)+\Z")),
)


def group_of(source: str) -> str:
    """The group of a code cell, from its source (:data:`RULES`); ``rest`` when nothing matches."""
    for group, pattern in RULES:
        if pattern.search(source) if group != "imports" else pattern.match(source):
            return group
    if "setup(" in source or "google.colab" in source:
        return "imports"
    return "rest"


def code_cells(notebook: Path) -> list[str]:
    """The sources of a notebook's code cells, in the order nbval numbers them (``Cell 0``, ``Cell 1``...)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


def profile(records: list[dict[str, Any]], notebooks: dict[str, Path]) -> dict[str, Any]:
    """Group the plugin's ``records`` (nodeid, phase, seconds) by notebook and group; list every cell.

    A notebook's first setup phase is its kernel's start-up; every other second counts for the group
    of the cell it was spent in.
    """
    result: dict[str, Any] = {}
    sources_of = {name: code_cells(path) for name, path in notebooks.items()}  # each notebook read once
    for record in records:
        path, _, cell = record["nodeid"].partition("::Cell ")
        name = Path(path).stem
        if name not in notebooks or Path(path).parent.name == "solutions":  # lessons only
            continue
        number = int(cell)
        entry = result.setdefault(name, {"groups": dict.fromkeys(GROUPS, 0.0), "cells": {}})
        sources = sources_of[name]
        if record["phase"] == "setup":
            group = "kernel start-up" if number == 0 else group_of(sources[number])
        else:
            group = group_of(sources[number])
        entry["groups"][group] = round(entry["groups"][group] + record["seconds"], 3)
        if record["phase"] == "call":
            entry["cells"][str(number)] = {
                "seconds": record["seconds"], "group": group,
                "code": sources[number].strip().splitlines()[0][:100] if sources[number].strip() else "",
            }
    for entry in result.values():
        entry["total"] = round(sum(entry["groups"].values()), 1)
    return result


def records_from_run(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The plugin's records, rebuilt from a ``./course run`` summary (``build/smoke/summary.json``).

    The runner keeps each code cell's seconds (``cells``); what the whole notebook took beyond them
    is the kernel's start-up (and shutdown), counted as the first cell's setup phase.
    """
    records = []
    for result in summary:
        name = result["notebook"]
        if "/" in name or not result.get("cells"):  # solutions notebooks: not profiled
            continue
        cells = result["cells"]
        start_up = max(0.0, result["seconds"] - sum(seconds or 0.0 for seconds in cells))
        records.append({"nodeid": f"notebooks/{name}.ipynb::Cell 0", "phase": "setup", "seconds": round(start_up, 3)})
        records += [{"nodeid": f"notebooks/{name}.ipynb::Cell {number}", "phase": "call", "seconds": seconds}
                    for number, seconds in enumerate(cells) if seconds is not None]
    return records


def slowest(result: dict[str, Any], count: int = 10) -> list[dict[str, Any]]:
    cells = [{"notebook": name, "cell": int(number), **cell} for name, entry in result.items() for number, cell in entry["cells"].items()]
    return sorted(cells, key=lambda cell: -cell["seconds"])[:count]


def run(args: argparse.Namespace, notebooks: dict[str, Path]) -> list[dict[str, Any]]:
    from course_utils.machinery.environments import notebook_environment

    with tempfile.TemporaryDirectory(prefix="notebook-profile-") as scratch:
        out = Path(scratch) / "cells.jsonl"
        out.touch()
        env = dict(os.environ, CELL_TIMER_OUT=str(out), PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
        env.setdefault("COURSE_QUIET", "1")
        if args.rehearsal:
            only = [name[:2] for name in notebooks]
            command = [str(args.venvs / "main" / "bin" / "python"), "scripts/full_profile.py", "--rehearsal",
                       "--venvs", str(args.venvs), "--only", *only, "-p", "cell_timer"]
            subprocess.run(command, cwd=ROOT, env=env, check=False)
        else:
            env.pop("COURSE_PROFILE", None)
            for name, notebook in notebooks.items():
                python = args.venvs / notebook_environment(notebook) / "bin" / "python"
                print(f"[profile] {name}", flush=True)
                subprocess.run([str(python), "-m", "pytest", str(notebook.relative_to(ROOT)), "--nbval-lax", "--nbval-current-env",
                                "--nbval-cell-timeout", "900", "-p", "no:cacheprovider", "-q", "-p", "cell_timer"],
                               cwd=ROOT, env=env, check=False)
        return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def plot(results: dict[str, Any], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [run for run in ("default", "rehearsal") if run in results]
    fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 3.6), squeeze=False)
    for ax, run_name in zip(axes[0], runs):
        names = list(results[run_name])
        left = [0.0] * len(names)
        for group in GROUPS:
            widths = [results[run_name][name]["groups"][group] for name in names]
            ax.barh(names, widths, left=left, label=group)
            left = [a + b for a, b in zip(left, widths)]
        ax.invert_yaxis()
        ax.set_xlabel("seconds")
        ax.set_title(f"{run_name} run")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(target, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rehearsal", action="store_true", help="profile the full profile's rehearsal instead of the default run")
    parser.add_argument("--only", nargs="*", default=[], help="notebook numbers (default: every lesson notebook)")
    parser.add_argument("--venvs", type=Path, default=ROOT / ".venvs")
    parser.add_argument("--from-run", type=Path, metavar="SUMMARY",
                        help="group the cell times a ./course run kept (build/smoke/summary.json) instead of running")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "notebook_profile.json")
    args = parser.parse_args(argv)

    lessons = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    notebooks = {nb.stem: nb for nb in lessons if not args.only or nb.name[:2] in args.only}
    if args.from_run:
        records = records_from_run(json.loads(args.from_run.read_text(encoding="utf-8")))
    else:
        records = run(args, notebooks)
    result = profile(records, notebooks)
    run_name = "rehearsal" if args.rehearsal else "default"
    print(f"\n{run_name} run, seconds per group ({cpu_model()})")
    print(f"{'notebook':<28}" + "".join(f"{group[:12]:>13}" for group in GROUPS) + f"{'total':>8}")
    for name, entry in result.items():
        print(f"{name:<28}" + "".join(f"{entry['groups'][group]:>13.1f}" for group in GROUPS) + f"{entry['total']:>8.1f}")
    print("\nslowest cells")
    for cell in slowest(result):
        print(f"  {cell['seconds']:>6.1f} s  {cell['notebook']} cell {cell['cell']:<3} {cell['group']:<17} {cell['code']}")
    previous = json.loads(args.output.read_text()) if args.output.exists() else {}
    runs = {key: previous[key] for key in ("default", "rehearsal") if key in previous}
    runs[run_name] = result
    written = write_results(args.output, "notebook_profile", {**runs, "slowest": {key: slowest(value) for key, value in runs.items()}})
    plot({key: written[key] for key in ("default", "rehearsal") if key in written}, args.output.with_suffix(".png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
