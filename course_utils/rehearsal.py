"""A dress rehearsal of the full profile: a local Hub seeded under the full profile's own ids.

The full profile loads the talks' datasets and checkpoints from huggingface.co, which no
machine of the project reaches. Its code paths (repository ids, config and split names,
columns, label names, tokenizer files) would go untested until someone ran it on a GPU.
:func:`seed` fills a local Hub (:mod:`course_utils.hub_server`) with repositories shaped like
the real ones, so the notebooks' unchanged loading calls work against it:

* datasets as Parquet files per config and split, with the dataset card's ``configs`` and
  ``dataset_info`` metadata, at the real split sizes, filled by the stand-in generators of
  :mod:`course_utils.standin`;
* checkpoints with their real architectures' configurations, the files the notebooks load
  (randomly initialised weights), and tokenizers: the uncased BERT vocabulary of the offline
  weights package for MiniLM and DistilBERT, and a byte-level BPE stand-in of GPT-2's size.

Every card says it is a rehearsal stand-in. What is known of the real repositories, and what
is not, is in :data:`LAYOUT_NOTES`. Seeding is idempotent: a repository whose card carries the
current seed's fingerprint and that has its files is left alone.

Each environment seeds what its libraries can build (``parts``): the main environment the
datasets, tokenizers and PyTorch weights; the keras environment the TensorFlow weights.
``python -m course_utils.rehearsal seed`` does it against ``$HF_ENDPOINT`` with ``$HF_TOKEN``.

Used by ``./course rehearse`` and ``./course test`` (``scripts/full_profile.py``) and the tests.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from datasets import DatasetDict
    from huggingface_hub import HfApi

#: Bump when anything seeded changes: every repository is then seeded again.
SEED_VERSION = 1
#: The rehearsal Hub's user, and the organisations it writes to (the full profile's namespaces).
USER = "rehearsal"
ORGS = ("dair-ai", "nyu-mll", "Salesforce", "microsoft", "distilbert", "openai-community")
#: The rehearsal Hub's token: it guards nothing but stand-ins, on 127.0.0.1.
TOKEN = "hf_rehearsal_local_only_0000000000"
#: What each environment can build.
PARTS = ("datasets", "tokenizers", "torch", "tensorflow")
MAIN_PARTS = ("datasets", "tokenizers", "torch")
KERAS_PARTS = ("tensorflow",)

_MARKER = "rehearsal-seed"

#: Examples per split in a rehearsal, by notebook (``None``: uncapped). Small enough for a CPU; large
#: enough that the checks about the code, not about learning, still hold: 04 compares the memory of a
#: whole list with batches of 1,000 texts, so its corpus must span several batches; 02's padding claims
#: need the long tail of sentence lengths and enough batches per bucket. Measured on the seeded CoLA
#: (batches of 16): at 160 examples per-batch padding saves 1.71-1.75x but buckets process 1.20x the
#: real tokens; at 320, 1.79-1.83x and 1.10x; on all 8,551, 2.1x (and 1.08x at 1,200).
REHEARSAL_MAX_EXAMPLES: dict[str, int | None] = {"00": None, "01": 64, "02": 320, "03": 64, "04": 4000, "05": 64}

LAYOUT_NOTES = """\
Known and assumed about the real repositories (written without access to huggingface.co):
- dair-ai/emotion: Parquet per split under split/ (config "split", the default) and unsplit/
  (config "unsplit", 416,809 rows, not seeded); features text, label (6 names).
- nyu-mll/glue: one folder per task (cola/...); only cola is seeded; test labels are -1.
- Salesforce/wikitext: one folder per config; only wikitext-2-raw-v1 is seeded.
- microsoft/MiniLM-L12-H384-uncased: config.json, vocab.txt, pytorch_model.bin (seeded), and
  tf_model.h5 (not seeded: no notebook loads MiniLM in TensorFlow). Whether the real repository
  also has model.safetensors or a tokenizer_config.json is not known here.
- distilbert/distilbert-base-uncased: config.json, vocab.txt, tokenizer.json,
  tokenizer_config.json and tf_model.h5 (seeded); model.safetensors, pytorch_model.bin and the
  Flax/Rust weights are not (notebook 02 loads the TensorFlow weights).
- openai-community/gpt2: config.json, vocab.json, merges.txt, tokenizer.json,
  tokenizer_config.json, generation_config.json (seeded); the weights (about 500 MB per format)
  are not seeded: notebook 04 loads only the tokenizer.
The configuration files follow the real ones as remembered; file lists beyond these are guesses.
"""


# ---------------------------------------------------------------------------------- datasets


@dataclass(frozen=True)
class RehearsalDataset:
    """A dataset repository seeded under a real id: one config, its splits and their sizes."""

    repo_id: str
    config: str
    sizes: Mapping[str, int]
    default: bool
    make: Callable[[Mapping[str, int]], "DatasetDict"]
    about: str

    def fingerprint(self) -> str:
        return _fingerprint({"repo": self.repo_id, "config": self.config, "sizes": dict(self.sizes), "default": self.default})


def _emotion(sizes: Mapping[str, int]) -> "DatasetDict":
    from course_utils import standin

    return standin.make_emotion(seed=101, sizes=dict(sizes))


def _cola(sizes: Mapping[str, int]) -> "DatasetDict":
    from course_utils import standin

    return standin.make_cola(seed=101, sizes=dict(sizes))


def _wikitext(sizes: Mapping[str, int]) -> "DatasetDict":
    from datasets import DatasetDict

    from course_utils import standin

    # make_corpus writes a tenth of the train lines to validation and to test: ask for enough, then cut.
    largest_eval = max(sizes["validation"], sizes["test"])
    corpus = standin.make_corpus(seed=101, n_train_lines=max(sizes["train"], 10 * largest_eval))
    return DatasetDict({split: corpus[split].select(range(n)) for split, n in sizes.items()})


DATASETS: tuple[RehearsalDataset, ...] = (
    RehearsalDataset(
        "dair-ai/emotion", "split", {"train": 16000, "validation": 2000, "test": 2000}, True, _emotion,
        "English posts labelled with six emotions",
    ),
    RehearsalDataset(
        "nyu-mll/glue", "cola", {"train": 8551, "validation": 1043, "test": 1063}, False, _cola,
        "GLUE's CoLA: sentences labelled acceptable or unacceptable",
    ),
    RehearsalDataset(
        "Salesforce/wikitext", "wikitext-2-raw-v1", {"train": 36718, "validation": 3760, "test": 4358}, False,
        _wikitext, "WikiText-2, raw: lines of Wikipedia articles",
    ),
)


def write_dataset_repo(spec: RehearsalDataset, folder: Path) -> None:
    """Write ``spec``'s Parquet files and card into ``folder``, as the Hub's Parquet layout has them."""
    import yaml
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    data = spec.make(spec.sizes)
    (folder / spec.config).mkdir(parents=True)
    splits = SplitDict()
    download_size = 0
    for split, dataset in data.items():
        path = folder / spec.config / f"{split}-00000-of-00001.parquet"
        dataset.to_parquet(str(path))
        download_size += path.stat().st_size
        splits.add(SplitInfo(name=split, num_bytes=dataset.data.nbytes, num_examples=len(dataset)))
    features = next(iter(data.values())).features
    info = DatasetInfo(
        features=features, splits=splits, download_size=download_size, dataset_size=sum(s.num_bytes for s in splits.values())
    )
    card = DatasetCardData(pretty_name=f"{spec.repo_id} (rehearsal stand-in)", tags=["course-rehearsal-stand-in"])
    config: dict[str, Any] = {"data_files": [{"split": s, "path": f"{spec.config}/{s}-*"} for s in data]}
    if spec.default:
        config["default"] = True
    MetadataConfigs({spec.config: config}).to_dataset_card_data(card)
    DatasetInfosDict({spec.config: info}).to_dataset_card_data(card)
    header = yaml.safe_dump(card.to_dict(), sort_keys=False, allow_unicode=True)
    sizes = ", ".join(f"{split} {len(dataset):,}" for split, dataset in data.items())
    (folder / "README.md").write_text(
        f"---\n{header}---\n\n# Rehearsal stand-in for `{spec.repo_id}`\n\n"
        f"**Not the real dataset.** {spec.about}, imitated by the course's stand-in generator "
        f"(`course_utils.standin`) so that the full profile's loading code can be tested offline: same "
        f"repository id, config `{spec.config}`, splits ({sizes}), features and file layout, made-up text.\n\n"
        f"<!-- {_MARKER}: {spec.fingerprint()} -->\n",
        encoding="utf-8",
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
GPT2_VOCAB_SIZE = 50257


@dataclass(frozen=True)
class RehearsalCheckpoint:
    """A model repository seeded under a real id: ``files`` maps each file to the part that builds it."""

    repo_id: str
    config: Mapping[str, Any]
    files: Mapping[str, str]
    license: str
    about: str

    def fingerprint(self) -> str:
        return _fingerprint({"repo": self.repo_id, "config": dict(self.config), "files": dict(self.files)})


CHECKPOINTS: tuple[RehearsalCheckpoint, ...] = (
    RehearsalCheckpoint(
        "microsoft/MiniLM-L12-H384-uncased",
        _MINILM_CONFIG,
        {"config.json": "tokenizers", "vocab.txt": "tokenizers", "pytorch_model.bin": "torch"},
        "mit",
        "MiniLM, 12 layers, hidden size 384, uncased BERT vocabulary",
    ),
    RehearsalCheckpoint(
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
    ),
    RehearsalCheckpoint(
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
        "GPT-2 (124M) configuration and a byte-level BPE tokenizer of GPT-2's size (50,257 tokens)",
    ),
)


def _bert_vocab() -> Path:
    from course_utils.assets import offline_minilm_path

    return offline_minilm_path() / "vocab.txt"


def write_checkpoint_files(spec: RehearsalCheckpoint, folder: Path, parts: Iterable[str]) -> list[str]:
    """Write the files of ``spec`` that ``parts`` build into ``folder``; return their names."""
    parts = set(parts)
    wanted = [name for name, part in spec.files.items() if part in parts]
    if not wanted:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    config = dict(spec.config)
    for name in wanted:
        path = folder / name
        if name == "config.json":
            path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        elif name == "generation_config.json":
            path.write_text(json.dumps({"bos_token_id": 50256, "eos_token_id": 50256}, indent=2) + "\n", encoding="utf-8")
        elif name == "vocab.txt":
            shutil.copyfile(_bert_vocab(), path)
        elif name == "tokenizer_config.json" and config["model_type"] == "distilbert":
            path.write_text(json.dumps({"do_lower_case": True, "model_max_length": 512}) + "\n", encoding="utf-8")
        elif name == "tokenizer.json" and config["model_type"] == "distilbert":
            _bert_tokenizer_json(path)
        elif config["model_type"] == "gpt2" and name in {"vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"}:
            if not (folder / "tokenizer.json").is_file() or name == "tokenizer.json":
                _gpt2_tokenizer(folder)
        elif name == "pytorch_model.bin":
            _torch_weights(config, path)
        elif name == "tf_model.h5":
            _tensorflow_weights(config, folder)
        else:  # pragma: no cover - a file added to CHECKPOINTS without a builder
            raise ValueError(f"No builder for {name} of {spec.repo_id}")
    return wanted


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


def _gpt2_tokenizer(folder: Path) -> None:
    """A byte-level BPE tokenizer built like GPT-2's, with its 50,257 tokens, trained on made-up text."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    from course_utils import standin

    texts = list(standin.make_emotion(seed=102, sizes={"train": 16000})["train"]["text"])
    texts += list(standin.make_cola(seed=102, sizes={"train": 8000})["train"]["sentence"])
    # The stand-ins' vocabulary is too small for 50,257 tokens: add made-up words (seeded, so the same each time).
    rng = random.Random("rehearsal-gpt2")
    syllable = lambda: rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") + ("" if rng.random() < 0.6 else rng.choice("nrstlm"))  # noqa: E731
    words = ["".join(syllable() for _ in range(rng.randint(2, 5))) for _ in range(200_000)]
    texts += [" ".join(words[i : i + 10]) for i in range(0, len(words), 10)]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=GPT2_VOCAB_SIZE - 1,
        special_tokens=[],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    # GPT-2's only special token is its last id.
    tokenizer.add_special_tokens(["<|endoftext|>"])
    if tokenizer.get_vocab_size() != GPT2_VOCAB_SIZE:
        raise RuntimeError(f"The GPT-2 stand-in has {tokenizer.get_vocab_size()} tokens, not {GPT2_VOCAB_SIZE}.")
    tokenizer.save(str(folder / "tokenizer.json"))
    tokenizer.model.save(str(folder))  # vocab.json and merges.txt, as the real repository has them
    (folder / "tokenizer_config.json").write_text(json.dumps({"model_max_length": 1024}) + "\n", encoding="utf-8")


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


def _checkpoint_card(spec: RehearsalCheckpoint) -> str:
    files = "\n".join(f"- `{name}`" for name in spec.files)
    return (
        f"---\nlicense: {spec.license}\ntags:\n- course-rehearsal-stand-in\n---\n\n"
        f"# Rehearsal stand-in for `{spec.repo_id}`\n\n"
        f"**Not the real model.** {spec.about}: the real architecture's configuration, with randomly "
        "initialised weights and a stand-in tokenizer where noted, so that the course's full profile can be "
        "tested offline. Its predictions mean nothing.\n\n"
        f"Files:\n{files}\n\n<!-- {_MARKER}: {spec.fingerprint()} -->\n"
    )


# ------------------------------------------------------------------------------------ seeding


def seed(api: "HfApi", parts: Iterable[str] = MAIN_PARTS, log: Callable[[str], None] = print) -> dict[str, str]:
    """Seed every rehearsal repository with what ``parts`` build; return ``{repo: what happened}``.

    ``api`` is an ``HfApi`` logged in as :data:`USER` on the rehearsal Hub. A repository whose
    card has the current fingerprint and which holds the files ``parts`` build is left as it is
    ("up to date"); otherwise the files are built and committed in one commit per repository.
    """
    parts = tuple(parts)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"Unknown seeding part(s) {unknown}; choose from {', '.join(PARTS)}.")
    done: dict[str, str] = {}
    if "datasets" in parts:
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="rehearsal-seed-") as scratch:
        if "datasets" in parts:
            for spec in DATASETS:
                folder = Path(scratch) / "datasets" / spec.repo_id
                done[spec.repo_id] = _seed_repo(
                    api, spec.repo_id, "dataset", spec.fingerprint(), None, lambda f=folder, s=spec: write_dataset_repo(s, f), folder
                )
                log(f"{spec.repo_id} (dataset): {done[spec.repo_id]}")
        for spec in CHECKPOINTS:
            wanted = [name for name, part in spec.files.items() if part in parts]
            if not wanted:
                continue
            folder = Path(scratch) / "models" / spec.repo_id

            def build(f: Path = folder, s: RehearsalCheckpoint = spec) -> None:
                write_checkpoint_files(s, f, parts)
                (f / "README.md").write_text(_checkpoint_card(s), encoding="utf-8")

            done[spec.repo_id] = _seed_repo(api, spec.repo_id, "model", spec.fingerprint(), wanted, build, folder)
            log(f"{spec.repo_id} (model, {', '.join(wanted)}): {done[spec.repo_id]}")
    return done


def _seed_repo(
    api: "HfApi", repo_id: str, repo_type: str, fingerprint: str, files: list[str] | None, build: Callable[[], None], folder: Path
) -> str:
    from huggingface_hub.utils import EntryNotFoundError, RepositoryNotFoundError

    try:
        present = set(api.list_repo_files(repo_id, repo_type=repo_type))
        # Never through the Hugging Face cache: it is not keyed by endpoint, and a stand-in's card under a
        # real id would then shadow the real one.
        card_path = api.hf_hub_download(repo_id, "README.md", repo_type=repo_type, cache_dir=folder.parent / ".cards")
        card = Path(card_path).read_text(encoding="utf-8")
    except (RepositoryNotFoundError, EntryNotFoundError):
        present, card = set(), ""
    current = f"<!-- {_MARKER}: {fingerprint} -->" in card
    if current and (files is None or set(files) <= present):
        return "up to date"
    build()
    api.create_repo(repo_id, repo_type=repo_type, exist_ok=True)
    api.upload_folder(
        folder_path=str(folder),
        repo_id=repo_id,
        repo_type=repo_type,
        commit_message=f"Seed the rehearsal stand-in (course_utils.rehearsal, version {SEED_VERSION})",
        # An outdated seed is replaced whole; files another environment seeds stay.
        delete_patterns=None if current else ["*"],
    )
    return "seeded" if not present else "updated" if not current else "completed"


def _fingerprint(description: Mapping[str, Any]) -> str:
    text = json.dumps({"version": SEED_VERSION, **description}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.rehearsal seed [--parts ...]``: seed ``$HF_ENDPOINT`` with ``$HF_TOKEN``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_utils.rehearsal", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["seed", "layout"])
    parser.add_argument("--parts", nargs="+", choices=PARTS, help="what to build (default: what this environment can)")
    args = parser.parse_args(argv)
    if args.command == "layout":
        print(LAYOUT_NOTES, end="")
        return 0
    from huggingface_hub import HfApi

    from course_utils.environments import current_environment

    parts = args.parts or (KERAS_PARTS if current_environment() == "keras" else MAIN_PARTS)
    seed(HfApi(), parts, log=lambda line: print("  seed:", line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
