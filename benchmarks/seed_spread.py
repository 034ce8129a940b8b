"""Benchmark: notebook 01's weighted-vs-unweighted comparison, repeated over several seeds.

One seed is one draw: the rare classes have few test examples, so their scores move from run to
run. This reruns notebook 01's two trainings (the same data, checkpoint, tokenization, class
weights, ``training_args`` and Trainers, through the package's copies of the notebook's code)
for each seed, which sets both the new classification head and the order of the training data.
It prints and writes to ``benchmarks/results/seed_spread.json``:

* per class, the test F1 and recall of each model: mean, standard deviation, min and max;
* macro F1 of each model and of the majority baseline;
* how often the weighted loss beat the unweighted one on the rarest class's recall, and the
  smallest margins, from which notebook 01's check cell takes its thresholds.

    python benchmarks/seed_spread.py [--seeds 42 0 1 2 3] [--profile smoke] [--output PATH]

About 3 minutes per seed on a 2-core CPU in the smoke profile. Used by notebook 01 (its
"one seed" caveat shows these figures) and to size its check cell.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from results_file import write_results

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "seed_spread.json"
NOTEBOOK = "01_trainer_weighted_loss"


def one_seed(assets: Any, seed: int) -> dict[str, Any]:
    """Train notebook 01's weighted-loss and unweighted models with ``seed``; test-split scores.

    Used by this benchmark only (the notebook runs the same code with seed 42).
    """
    if assets.offline:  # the talks' ids, served by the smoke profile's local Hub (before any Hugging Face import)
        from course_utils.hub_session import start_local_hub

        start_local_hub()
    import transformers
    from datasets import load_dataset
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer, set_seed

    from course_utils.class_weights import class_weights
    from course_utils.finetuning import training_args
    from course_utils.metrics import compute_metrics, majority_baseline, per_class_report, scores
    from course_utils.training_log import print_logs_as_table_only
    from course_utils.weighted_trainer import WeightedLossTrainer

    emotions = assets.sized(load_dataset(assets.dataset, assets.dataset_config))
    label_feature = emotions["train"].features["label"]  # the notebook's two dictionaries
    id2label = {i: label_feature.int2str(i) for i in range(label_feature.num_classes)}
    label2id = {name: i for i, name in id2label.items()}
    names = list(id2label.values())
    checkpoint = assets.checkpoint
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    settings = assets.settings

    def tokenize(batch: dict[str, Any]) -> Any:
        return tokenizer(batch["text"], truncation=True, max_length=settings["max_length"])

    encoded = emotions.map(tokenize, batched=True).rename_column("label", "labels")
    # The notebook's one-liner (1 - frequency, as a float32 tensor) gives these same weights.
    weights = class_weights(emotions["train"]["label"], len(names))
    collator = DataCollatorWithPadding(tokenizer)

    def new_model() -> Any:
        set_seed(seed)
        transformers.logging.set_verbosity_error()
        model = AutoModelForSequenceClassification.from_pretrained(
            checkpoint, num_labels=len(names), id2label=id2label, label2id=label2id
        )
        transformers.logging.set_verbosity_warning()
        return model

    common = dict(
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        processing_class=tokenizer,
        data_collator=collator,
        compute_metrics=compute_metrics,
    )

    def new_trainer(name: str) -> Any:
        # Built right before it trains, as in the notebook: the Trainer seeds the RNGs when it is created.
        args = training_args(f"seed{seed}-{name}", settings, seed)
        if name == "weighted":
            return WeightedLossTrainer(model=new_model(), args=args, class_weights=weights, **common)
        return Trainer(model=new_model(), args=args, **common)

    result: dict[str, Any] = {"seed": seed}
    y_true = encoded["test"]["labels"]
    for name in ("weighted", "unweighted"):
        trainer = new_trainer(name)
        print_logs_as_table_only(trainer)
        start = time.perf_counter()
        trainer.train()
        predictions = trainer.predict(encoded["test"]).predictions.argmax(axis=-1)
        report = per_class_report(y_true, predictions, names)
        result[name] = {
            "seconds": round(time.perf_counter() - start, 1),
            "f1_macro": scores(y_true, predictions, len(names))["f1_macro"],
            "f1": report["f1"].round(4).to_dict(),
            "recall": report["recall"].round(4).to_dict(),
        }
    result["support"] = report["support"].astype(int).to_dict()
    result["baseline_f1_macro"] = majority_baseline(emotions["train"]["label"], y_true, len(names))["f1_macro"]
    return result


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean, standard deviation, min and max per class and model, and the rarest-class comparison.

    Used by this benchmark only.
    """
    support = runs[0]["support"]
    rarest = min(support, key=support.get)

    def spread(values: list[float]) -> dict[str, float]:
        return {
            "mean": round(statistics.fmean(values), 4),
            "std": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "min": round(min(values), 4),
            "max": round(max(values), 4),
        }

    summary: dict[str, Any] = {"rarest_class": rarest, "support": support}
    for metric in ("f1", "recall"):
        summary[metric] = {
            name: {model: spread([run[model][metric][name] for run in runs]) for model in ("weighted", "unweighted")}
            for name in support
        }
    summary["f1_macro"] = {model: spread([run[model]["f1_macro"] for run in runs]) for model in ("weighted", "unweighted")}
    summary["baseline_f1_macro"] = runs[0]["baseline_f1_macro"]
    gaps = [run["weighted"]["recall"][rarest] - run["unweighted"]["recall"][rarest] for run in runs]
    summary["rarest_recall_gain"] = {**spread(gaps), "seeds_with_gain": sum(gap > 0 for gap in gaps), "seeds": len(runs)}
    summary["smallest_macro_f1_margin_over_baseline"] = round(
        min(min(run["weighted"]["f1_macro"], run["unweighted"]["f1_macro"]) for run in runs) - summary["baseline_f1_macro"], 4
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 0, 1, 2, 3])
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    os.environ.setdefault("COURSE_QUIET", "1")
    sys.path.insert(0, str(REPO_ROOT))

    from course_utils.notebook_setup import setup

    assets = setup(NOTEBOOK, args.profile)
    runs = []
    with tempfile.TemporaryDirectory(prefix="seed-spread-") as scratch:
        os.chdir(scratch)  # training_args writes its checkpoints under outputs/, relative to here
        for seed in args.seeds:
            print(f"seed {seed} ...", flush=True)
            runs.append(one_seed(assets, seed))
            for model in ("weighted", "unweighted"):
                print(f"  {model:>10}: macro F1 {runs[-1][model]['f1_macro']:.3f} in {runs[-1][model]['seconds']} s")
    summary = summarize(runs)
    write_results(
        args.output, "seed_spread",
        {"notebook": NOTEBOOK, "profile": args.profile, "seeds": args.seeds, "summary": summary, "runs": runs},
    )

    rarest = summary["rarest_class"]
    print(f"\n{len(runs)} seeds; test F1 per class, mean ± std (min..max):")
    for name, models in summary["f1"].items():
        line = "  ".join(f"{m} {s['mean']:.3f} ± {s['std']:.3f} ({s['min']:.2f}..{s['max']:.2f})" for m, s in models.items())
        print(f"  {name:>9} (support {summary['support'][name]:>3}): {line}")
    gain = summary["rarest_recall_gain"]
    print(f"recall gain of the weighted loss on {rarest}: mean {gain['mean']:+.3f}, min {gain['min']:+.3f}, "
          f"positive in {gain['seeds_with_gain']} of {gain['seeds']} seeds")
    print(f"macro F1: weighted {summary['f1_macro']['weighted']['mean']:.3f}, unweighted "
          f"{summary['f1_macro']['unweighted']['mean']:.3f}, baseline {summary['baseline_f1_macro']:.3f}; "
          f"smallest margin over the baseline {summary['smallest_macro_f1_margin_over_baseline']:.3f}")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
