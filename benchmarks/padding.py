"""Benchmark: three ways to pad notebook 02's training data, and its model's quality over seeds.

Part 1, padding. For one epoch of the training split (batches of 16), built with the notebook's
``epoch_batches`` through ``to_tf_dataset``: tokens processed (every position of every batch),
real tokens, their ratio, and the seconds of one training epoch of the notebook's model (a fresh
copy per round, after two untimed warm-up steps that build the graph), for

* ``pad to longest``: every example padded to the longest of the split;
* ``per batch``: the talk's way, shuffled batches each padded to its own longest example;
* ``buckets``: the same per-batch padding, in the order of ``bucketed_order`` (shuffled within
  length buckets of 32 batches).

Goal: buckets within 10% of the real tokens, random order kept, and the time per epoch falling
with the tokens processed. Also the order of ``per batch`` sorted by length (every batch its
sorted neighbours: the no-randomness limit) for reference, computed from the lengths.

Part 2, quality. The notebook's training (per-batch padding, Adam at the profile's learning rate,
the profile's epochs) for several seeds; validation Matthews correlation per seed and its smallest
margin over the majority baseline (0), from which the notebook's check cell takes its threshold.

Runs on the CPU, or on a GPU when TensorFlow sees one (it says which). Keras environment:

    .venvs/keras/bin/python benchmarks/padding.py [--rounds 2] [--seeds 42 0 1] [--output PATH]

Writes ``benchmarks/results/padding.json`` and prints a table. Used to size notebook 02.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from results_file import write_results

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "padding.json"
NOTEBOOK = "02_keras_to_tf_dataset"
WAYS = ("pad to longest", "per batch", "buckets")


def prepare(profile: str) -> dict[str, Any]:
    """The notebook's data, tokenizer, columns and settings. Used by this benchmark only."""
    from course_utils.notebook_setup import setup

    assets = setup(NOTEBOOK, profile)  # before any Hugging Face import: it points them at the profile's Hub
    from datasets import load_dataset
    from transformers import AutoTokenizer

    checkpoint = assets.checkpoint
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    encoded = assets.sized(load_dataset(assets.dataset, assets.dataset_config)).map(lambda batch: tokenizer(batch["sentence"], truncation=True), batched=True)
    columns = [name for name in tokenizer.model_input_names if name in encoded["train"].column_names]
    return {"assets": assets, "checkpoint": checkpoint, "tokenizer": tokenizer, "encoded": encoded, "columns": columns}


def new_model(checkpoint: str, settings: Any, seed: int) -> Any:
    """The notebook's compiled model for ``seed``. Used by this benchmark only."""
    import tensorflow as tf
    import transformers
    from transformers import TFAutoModelForSequenceClassification

    tf.keras.utils.set_random_seed(seed)
    transformers.logging.set_verbosity_error()
    model = TFAutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2, use_safetensors=False)
    transformers.logging.set_verbosity_warning()
    model.compile(
        optimizer=tf.keras.optimizers.Adam(learning_rate=settings["learning_rate"]),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def padding_part(data: dict[str, Any], rounds: int, seed: int) -> dict[str, Any]:
    """Tokens and seconds per epoch for the three ways. Used by this benchmark only."""
    from course_utils.padding import bucketed_order, epoch_batches, padded_tokens, token_counts

    train, settings = data["encoded"]["train"], data["assets"].settings
    batch_size = settings["batch_size"]
    results: dict[str, Any] = {}
    for way in WAYS:
        counts = token_counts(epoch_batches(train, data["columns"], data["tokenizer"], way, batch_size, seed))
        seconds = []
        for round_ in range(rounds):
            model = new_model(data["checkpoint"], settings, seed + round_)
            batches = epoch_batches(train, data["columns"], data["tokenizer"], way, batch_size, seed + round_)
            model.fit(batches.take(2), epochs=1, verbose=0)
            start = time.perf_counter()
            model.fit(batches, epochs=1, verbose=0)
            seconds.append(round(time.perf_counter() - start, 2))
        results[way] = {**{k: round(v, 4) if isinstance(v, float) else v for k, v in counts.items()},
                        "seconds_per_epoch": seconds, "seconds_median": statistics.median(seconds)}
        print(f"  {way:>15}: {counts['processed']:>6} tokens processed ({counts['ratio']:.2f}x real), "
              f"{statistics.median(seconds):.1f} s per epoch", flush=True)
    lengths = [len(ids) for ids in train["input_ids"]]
    import numpy as np

    sorted_order = np.argsort(lengths, kind="stable").tolist()
    results["sorted (no randomness)"] = {"processed": padded_tokens(lengths, sorted_order, batch_size),
                                         "real": int(sum(lengths))}
    results["sorted (no randomness)"]["ratio"] = round(results["sorted (no randomness)"]["processed"] / sum(lengths), 4)
    other_seed = bucketed_order(lengths, batch_size, seed + 1)
    results["buckets"]["order_changes_between_epochs"] = bucketed_order(lengths, batch_size, seed) != other_seed
    base = results["per batch"]
    results["seconds_per_1k_tokens"] = {
        way: round(1000 * results[way]["seconds_median"] / results[way]["processed"], 4) for way in WAYS
    }
    results["time_ratio_vs_token_ratio"] = {
        way: {"tokens": round(results[way]["processed"] / base["processed"], 3),
              "seconds": round(results[way]["seconds_median"] / base["seconds_median"], 3)}
        for way in WAYS
    }
    return results


def quality_part(data: dict[str, Any], seeds: list[int]) -> dict[str, Any]:
    """Validation MCC after the notebook's training, for each seed. Used by this benchmark only."""
    import numpy as np
    import tensorflow as tf
    from sklearn.metrics import matthews_corrcoef

    settings = data["assets"].settings
    validation = data["encoded"]["validation"]
    y_true = np.array(validation["label"])
    mcc = {}
    for seed in seeds:
        tf.keras.utils.set_random_seed(seed)
        train = data["encoded"]["train"].to_tf_dataset(
            columns=data["columns"], label_cols="labels", shuffle=True, batch_size=settings["batch_size"],
            collate_fn=_collator(data["tokenizer"]),
        )
        valid = validation.to_tf_dataset(
            columns=data["columns"], label_cols="labels", shuffle=False, batch_size=settings["batch_size"],
            collate_fn=_collator(data["tokenizer"]),
        )
        model = new_model(data["checkpoint"], settings, seed)
        model.fit(train, epochs=settings["epochs"], verbose=0)
        predictions = model.predict(valid, verbose=0).logits.argmax(axis=-1)
        mcc[str(seed)] = round(float(matthews_corrcoef(y_true, predictions)), 4)
        print(f"  seed {seed}: validation MCC {mcc[str(seed)]:.3f}", flush=True)
    values = list(mcc.values())
    return {"epochs": settings["epochs"], "learning_rate": settings["learning_rate"], "mcc": mcc,
            "mcc_mean": round(statistics.fmean(values), 4), "mcc_min": min(values), "majority_baseline_mcc": 0.0}


def _collator(tokenizer: Any) -> Any:
    from transformers import DataCollatorWithPadding

    return DataCollatorWithPadding(tokenizer, return_tensors="tf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="timed epochs per way")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 0, 1])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_QUIET", "1")
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    sys.path.insert(0, str(REPO_ROOT))
    from course_utils.notebook_setup import quiet_tensorflow_import

    with quiet_tensorflow_import():
        import tensorflow as tf

    data = prepare(args.profile)
    gpus = tf.config.list_physical_devices("GPU")
    device = f"GPU: {len(gpus)} x {gpus[0].name}" if gpus else f"CPU: {platform.machine()}, {os.cpu_count()} cores"
    print(f"device: {device}\npadding, one epoch of {len(data['encoded']['train'])} examples:", flush=True)
    padding = padding_part(data, args.rounds, seed=args.seeds[0])
    print("quality over seeds:", flush=True)
    quality = quality_part(data, args.seeds)
    write_results(
        args.output, "padding",
        {"notebook": NOTEBOOK, "profile": args.profile, "device": device, "tensorflow": tf.__version__,
         "batch_size": data["assets"].settings["batch_size"], "padding": padding, "quality": quality},
    )
    print("\ntime per epoch vs tokens processed, relative to per-batch padding:")
    for way, ratios in padding["time_ratio_vs_token_ratio"].items():
        print(f"  {way:>15}: tokens {ratios['tokens']:.2f}x, seconds {ratios['seconds']:.2f}x")
    print(f"buckets: {padding['buckets']['ratio']:.3f}x the real tokens (sorted limit {padding['sorted (no randomness)']['ratio']:.3f}x); "
          f"MCC over seeds {quality['mcc']} (min {quality['mcc_min']:.3f})")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
