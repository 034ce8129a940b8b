"""Notebook 01 at the talk's scale: how long, and where the time goes (prepared for a GPU machine).

    python benchmarks/talk_scale.py                       # talk scale: 16,000 examples, 5 epochs
    python benchmarks/talk_scale.py --examples 256 --epochs 1 --eval-examples 64   # a quick CPU check

The talk fine-tuned MiniLM-L12 on the 16,000 emotion training examples for 5 epochs in about
5 minutes on its GPU; the arithmetic alone (about 2.5e14 FLOPs) is under a second of an H100's
bf16 throughput. This runs notebook 01's weighted-loss training the same way (its
``WeightedLossTrainer``, ``compute_metrics`` and ``TrainingArguments`` from ``course_utils``, per-batch
padding), on the MiniLM-L12-H384 architecture with random weights (the real checkpoint is not
reachable offline; the time per step is the same) and the stand-in emotion data at the talk's
sizes. It times each part: tokenization, the training loop, evaluation, and the steps' own time
against the loop's (data loading and Python overhead in between), with bf16 or fp16 where the
GPU supports it. Prints the figures and writes ``benchmarks/results/talk_scale.json``.

Needs the main environment (torch, transformers, datasets); on a machine without one, carry
wheels for ``datasets`` and what it lacks (see the device notes in the closing note of issue 11).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from results_file import write_results  # noqa: E402

MINILM_L12 = {
    "hidden_size": 384, "intermediate_size": 1536, "num_attention_heads": 12, "num_hidden_layers": 12,
    "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": 30522,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=16000)
    parser.add_argument("--eval-examples", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "talk_scale.json")
    args = parser.parse_args(argv)

    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        BertConfig,
        DataCollatorWithPadding,
        TrainerCallback,
    )

    from course_utils.machinery import standin
    from course_utils.machinery.assets import offline_minilm_path
    from course_utils.class_weights import class_weights
    from course_utils.finetuning import training_args
    from course_utils.metrics import compute_metrics
    from course_utils.weighted_trainer import WeightedLossTrainer

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU"
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    data = standin.make_emotion(seed=0, sizes={"train": args.examples, "validation": args.eval_examples})
    names = data["train"].features["label"].names
    tokenizer = AutoTokenizer.from_pretrained(str(offline_minilm_path()))  # the uncased BERT vocabulary MiniLM uses

    start = time.perf_counter()
    encoded = data.map(lambda batch: tokenizer(batch["text"], truncation=True, max_length=args.max_length), batched=True)
    encoded = encoded.rename_column("label", "labels").remove_columns(["text"])
    tokenize_s = time.perf_counter() - start

    torch.manual_seed(0)
    config = BertConfig(**MINILM_L12, num_labels=len(names), id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)})
    model = AutoModelForSequenceClassification.from_config(config)

    class StepTimer(TrainerCallback):
        """Time inside the optimizer steps (GPU-synchronised) against the whole loop."""

        def __init__(self) -> None:
            self.step_s, self.began = 0.0, None

        def on_step_begin(self, *_: object, **__: object) -> None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.began = time.perf_counter()

        def on_step_end(self, *_: object, **__: object) -> None:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.step_s += time.perf_counter() - self.began

    settings = {"epochs": args.epochs, "learning_rate": 2e-5, "batch_size": args.batch_size}
    with tempfile.TemporaryDirectory() as scratch:
        targs = training_args("talk-scale", settings, seed=0)
        targs.output_dir = scratch
        targs.save_strategy = "no"
        targs.load_best_model_at_end = False
        targs.eval_strategy = "no"
        targs.logging_strategy = "no"
        targs.disable_tqdm = True
        if bf16:
            targs.fp16, targs.bf16 = False, True
        timer = StepTimer()
        trainer = WeightedLossTrainer(
            model=model,
            args=targs,
            train_dataset=encoded["train"],
            eval_dataset=encoded["validation"],
            processing_class=tokenizer,
            data_collator=DataCollatorWithPadding(tokenizer),
            compute_metrics=compute_metrics,
            class_weights=class_weights(data["train"]["label"], len(names)),
            callbacks=[timer],
        )
        start = time.perf_counter()
        trainer.train()
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        metrics = trainer.evaluate()
        eval_s = time.perf_counter() - start

    examples = args.examples * args.epochs
    figures = {
        "device": device,
        "torch": torch.__version__,
        "precision": "bf16" if bf16 else ("fp16" if targs.fp16 else "fp32"),
        "examples": args.examples,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seconds": {
            "tokenize": round(tokenize_s, 2),
            "train": round(train_s, 2),
            "inside_steps": round(timer.step_s, 2),
            "between_steps": round(train_s - timer.step_s, 2),
            "evaluate": round(eval_s, 2),
            "total": round(tokenize_s + train_s + eval_s, 2),
        },
        "train_examples_per_s": round(examples / train_s, 1),
        "eval_macro_f1_random_weights": round(metrics.get("eval_f1_macro", float("nan")), 3),
    }
    result = write_results(args.output, "talk_scale", figures)
    print({key: result[key] for key in ("device", "precision", "examples", "epochs", "train_examples_per_s")})
    print(result["seconds"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
