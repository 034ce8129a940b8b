"""Benchmark: notebook 05's Accelerate training on one process or two, and with one thread or two.

Runs notebook 05's ``training_function`` (its Accelerate loop on the emotion data, the offline
MiniLM, the profile's epochs and learning rate) in three ways, each in a fresh process:

* ``1 process x 1 thread``: one process, ``torch.set_num_threads(1)``;
* ``1 process x 2 threads``: one process, two threads (PyTorch's intra-op parallelism);
* ``2 processes x 1 thread``: ``notebook_launcher(..., num_processes=2)`` with one thread each, data
  parallel over gloo (``Accelerator(cpu=True)``), as the notebook does.

For each: training examples per second (training and evaluation time, without start-up and model
loading), and the validation macro F1 (gathered over the processes). The two-process way also
runs with more seeds, for the notebook's check cell: the smallest margin of its macro F1 over the
majority baseline. On a GPU machine the same ways run with one device per process.

    .venvs/main/bin/python benchmarks/accelerate_scaling.py [--seeds 42 0 1] [--epochs N] [--learning-rate LR]

Writes ``benchmarks/results/accelerate_scaling.json`` and prints a table. Used to size notebook 05.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import Any

from results_file import write_results

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "accelerate_scaling.json"
WAYS = {"1 process x 1 thread": (1, 1), "1 process x 2 threads": (1, 2), "2 processes x 1 thread": (2, 1)}


def assets_for(epochs: int | None, learning_rate: float | None) -> Any:
    """Notebook 05's smoke assets, with the epochs or learning rate overridden. Used by this benchmark only."""
    from course_utils.machinery.profiles import notebook_assets

    assets = notebook_assets("05_accelerate", "smoke")
    settings = dict(assets.settings)
    if epochs is not None:
        settings["epochs"] = epochs
    if learning_rate is not None:
        settings["learning_rate"] = learning_rate
    return dataclasses.replace(assets, settings=MappingProxyType(settings))


def child(processes: int, threads: int, seed: int, epochs: int | None, learning_rate: float | None, results: str) -> None:
    """Run one way in this (fresh) process; the rank reports land in ``results``. Used by this benchmark only."""
    import torch
    from accelerate import notebook_launcher
    from accelerate.utils import patch_environment

    from course_utils.notebook_setup import setup

    setup("05_accelerate", "smoke")  # the local Hub that serves the emotion stand-in under its real id, as in the notebook
    from course_utils.accelerate_training import training_function

    assets = assets_for(epochs, learning_rate)
    if processes == 1:
        torch.set_num_threads(threads)
        training_function(assets, results, seed)
    else:
        with patch_environment(omp_num_threads=threads):
            notebook_launcher(training_function, args=(assets, results, seed), num_processes=processes)


def run_way(name: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """One way, one seed, in a subprocess: seconds, examples per second, macro F1. Used by this benchmark only."""
    from course_utils.accelerate_training import read_rank_reports

    processes, threads = WAYS[name]
    with tempfile.TemporaryDirectory(prefix="accelerate-bench-") as results:
        command = [sys.executable, __file__, "--child", str(processes), str(threads), str(seed), results]
        if args.epochs is not None:
            command += ["--epochs", str(args.epochs)]
        if args.learning_rate is not None:
            command += ["--learning-rate", str(args.learning_rate)]
        subprocess.run(command, check=True, capture_output=True, text=True,
                       env={**os.environ, "COURSE_QUIET": "1", "TQDM_DISABLE": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1"})
        reports = read_rank_reports(results)
    assets = assets_for(args.epochs, args.learning_rate)
    examples = assets.splits["train"] * assets.settings["epochs"]
    seconds = max(report["seconds"] for report in reports)
    return {
        "way": name,
        "seed": seed,
        "processes": len(reports),
        "batches_per_process": [report["batches"] for report in reports],
        "optimizer_steps_per_process": [report["optimizer_steps"] for report in reports],
        "seconds": round(seconds, 1),
        "examples_per_second": round(examples / seconds, 1),
        "f1_macro": round(reports[0]["f1_macro"], 4),
        "evaluated": reports[0]["evaluated"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 0, 1])
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--learning-rate", type=float)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    if args.child:
        processes, threads, seed, results = args.child
        child(int(processes), int(threads), int(seed), args.epochs, args.learning_rate, results)
        return 0

    from course_utils.metrics import majority_baseline
    from course_utils.machinery.standin import make_emotion

    assets = assets_for(args.epochs, args.learning_rate)
    print(f"epochs {assets.settings['epochs']}, learning rate {assets.settings['learning_rate']}, "
          f"batches of {assets.settings['batch_size']} per process", flush=True)
    runs = []
    for name in WAYS:
        seeds = args.seeds if name == "2 processes x 1 thread" else args.seeds[:1]
        for seed in seeds:
            run = run_way(name, seed, args)
            runs.append(run)
            print(f"  {name:<24} seed {seed:>2}: {run['examples_per_second']:6.1f} examples/s "
                  f"({run['seconds']} s), macro F1 {run['f1_macro']:.3f}, batches per process {run['batches_per_process']}",
                  flush=True)
    emotions = make_emotion(seed=0, sizes={name: n for name, n in assets.splits.items() if n})
    baseline = majority_baseline(emotions["train"]["label"], emotions["validation"]["label"], num_labels=6)["f1_macro"]
    first = {run["way"]: run for run in runs if run["seed"] == args.seeds[0]}
    two = [run["f1_macro"] for run in runs if run["way"] == "2 processes x 1 thread"]
    summary = {
        "speed_up_2_processes_vs_1_thread": round(
            first["2 processes x 1 thread"]["examples_per_second"] / first["1 process x 1 thread"]["examples_per_second"], 2),
        "speed_up_2_threads_vs_1_thread": round(
            first["1 process x 2 threads"]["examples_per_second"] / first["1 process x 1 thread"]["examples_per_second"], 2),
        "majority_baseline_f1_macro": round(baseline, 4),
        "two_processes_f1_macro_min": min(two),
        "two_processes_smallest_margin_over_baseline": round(min(two) - baseline, 4),
    }
    write_results(
        args.output, "accelerate_scaling",
        {"notebook": "05_accelerate", "settings": dict(assets.settings), "runs": runs, "summary": summary},
    )
    print(json.dumps(summary, indent=2))
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
