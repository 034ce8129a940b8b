"""Seed a local Hub with repositories shaped like the real ones, under the real ids.

One mechanism, two catalogues: the smoke profile's Hub (:mod:`course_utils.machinery.smoke_hub`: stand-in
datasets at the smoke sizes, the genuine offline MiniLM and GPT-2's genuine tokenizer) and the full
profile's dress rehearsal (:mod:`course_utils.machinery.rehearsal`: stand-ins at the real sizes, the talks'
architectures with random weights). Both describe their repositories with :class:`DatasetRepo` and
:class:`ModelRepo` and seed them with :func:`seed`, through the real ``huggingface_hub`` client, so the
notebooks' unchanged calls (``load_dataset("dair-ai/emotion", "split")``,
``AutoTokenizer.from_pretrained("openai-community/gpt2")``) find what they would find on the Hub.

* Datasets are Parquet files per config and split, with the dataset card's ``configs`` and
  ``dataset_info`` metadata, as the Hub's Parquet layout has them.
* Every card says what the repository is and that it is not the real one (where it is not), and
  carries a fingerprint of what was seeded: a repository whose card has the current fingerprint and
  holds the files asked for is left alone (seeding is idempotent).
* Each environment builds what its libraries can (``parts``): the main environment PyTorch weights,
  the keras environment TensorFlow weights; datasets and tokenizers both.

Used by :mod:`course_utils.machinery.smoke_hub` and :mod:`course_utils.machinery.rehearsal`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from datasets import DatasetDict
    from huggingface_hub import HfApi

#: Bump when anything seeded changes: every repository is then seeded again.
SEED_VERSION = 2
#: What each environment can build.
PARTS = ("datasets", "tokenizers", "torch", "tensorflow")
MAIN_PARTS = ("datasets", "tokenizers", "torch")
KERAS_PARTS = ("datasets", "tokenizers", "tensorflow")

_MARKER = "course-seed"


def environment_parts() -> tuple[str, ...]:
    """What the running environment's libraries can build (keras: TensorFlow weights; main: PyTorch)."""
    from course_utils.machinery.environments import current_environment

    return KERAS_PARTS if current_environment() == "keras" else MAIN_PARTS


def fingerprint(description: Mapping[str, Any]) -> str:
    """A short hash of what a repository's seed is made of (and of :data:`SEED_VERSION`)."""
    text = json.dumps({"version": SEED_VERSION, **description}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------- datasets


@dataclass(frozen=True)
class DatasetConfig:
    """One config of a dataset repository: its name, its splits and their sizes."""

    name: str
    sizes: Mapping[str, int]
    make: Callable[[Mapping[str, int]], "DatasetDict"]


@dataclass(frozen=True)
class DatasetRepo:
    """A dataset repository seeded under a real id: its configs (none marked default unless ``default``)."""

    repo_id: str
    configs: tuple[DatasetConfig, ...]
    about: str
    purpose: str
    default: str | None = None

    def fingerprint(self) -> str:
        configs = {c.name: dict(c.sizes) for c in self.configs}
        return fingerprint({"repo": self.repo_id, "configs": configs, "default": self.default, "purpose": self.purpose})

    def files(self, parts: Iterable[str]) -> list[str] | None:
        """The files ``parts`` build (``None``: not checked one by one; the card's fingerprint says it all)."""
        return None if "datasets" in set(parts) else []


def _emotion(seed: int, sizes: Mapping[str, int]) -> "DatasetDict":
    from course_utils.machinery import standin

    return standin.make_emotion(seed=seed, sizes=dict(sizes))


def _cola(seed: int, sizes: Mapping[str, int]) -> "DatasetDict":
    from course_utils.machinery import standin

    return standin.make_cola(seed=seed, sizes=dict(sizes))


def _wikitext(seed: int, sizes: Mapping[str, int]) -> "DatasetDict":
    from datasets import DatasetDict

    from course_utils.machinery import standin

    # make_corpus writes a tenth of the train lines to validation and to test: ask for enough, then cut.
    largest_eval = max(sizes["validation"], sizes["test"])
    corpus = standin.make_corpus(seed=seed, n_train_lines=max(sizes["train"], 10 * largest_eval))
    return DatasetDict({split: corpus[split].select(range(n)) for split, n in sizes.items()})


def talk_datasets(seed: int, sizes: Mapping[str, Mapping[str, int]], purpose: str) -> tuple[DatasetRepo, ...]:
    """The talks' three datasets as stand-ins (:mod:`course_utils.machinery.standin`), generated from ``seed``.

    ``sizes`` gives the splits of ``"emotion"`` (config ``split``), ``"emotion-unsplit"`` (config
    ``unsplit``, generated from ``seed + 1``), ``"cola"`` and ``"wikitext"``. Used by the smoke Hub's
    and the rehearsal's catalogues.
    """
    return (
        DatasetRepo(
            "dair-ai/emotion",
            (
                DatasetConfig("split", sizes["emotion"], partial(_emotion, seed)),
                DatasetConfig("unsplit", sizes["emotion-unsplit"], partial(_emotion, seed + 1)),
            ),
            "English posts labelled with six emotions",
            purpose,
        ),
        DatasetRepo(
            "nyu-mll/glue",
            (DatasetConfig("cola", sizes["cola"], partial(_cola, seed)),),
            "GLUE's CoLA: sentences labelled acceptable or unacceptable",
            purpose,
        ),
        DatasetRepo(
            "Salesforce/wikitext",
            (DatasetConfig("wikitext-2-raw-v1", sizes["wikitext"], partial(_wikitext, seed)),),
            "WikiText-2, raw: lines of Wikipedia articles",
            purpose,
        ),
    )


def write_dataset_repo(spec: DatasetRepo, folder: Path) -> None:
    """Write ``spec``'s Parquet files and card into ``folder``, as the Hub's Parquet layout has them."""
    import yaml
    from datasets.info import DatasetInfo, DatasetInfosDict
    from datasets.splits import SplitDict, SplitInfo
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    metadata: dict[str, Any] = {}
    infos = {}
    described = []
    for config in spec.configs:
        data = config.make(config.sizes)
        (folder / config.name).mkdir(parents=True)
        splits = SplitDict()
        download_size = 0
        for split, dataset in data.items():
            path = folder / config.name / f"{split}-00000-of-00001.parquet"
            dataset.to_parquet(str(path))
            download_size += path.stat().st_size
            splits.add(SplitInfo(name=split, num_bytes=dataset.data.nbytes, num_examples=len(dataset)))
        features = next(iter(data.values())).features
        infos[config.name] = DatasetInfo(
            features=features, splits=splits, download_size=download_size, dataset_size=sum(s.num_bytes for s in splits.values())
        )
        entry: dict[str, Any] = {"data_files": [{"split": s, "path": f"{config.name}/{s}-*"} for s in data]}
        if spec.default == config.name:
            entry["default"] = True
        metadata[config.name] = entry
        described.append(f"`{config.name}` (" + ", ".join(f"{split} {len(d):,}" for split, d in data.items()) + ")")
    card = DatasetCardData(pretty_name=f"{spec.repo_id} (course stand-in)", tags=["course-stand-in"])
    MetadataConfigs(metadata).to_dataset_card_data(card)
    DatasetInfosDict(infos).to_dataset_card_data(card)
    header = yaml.safe_dump(card.to_dict(), sort_keys=False, allow_unicode=True)
    (folder / "README.md").write_text(
        f"---\n{header}---\n\n# Course stand-in for `{spec.repo_id}`\n\n"
        f"**Not the real dataset.** {spec.about}, imitated by the course's stand-in generator "
        f"(`course_utils.machinery.standin`) {spec.purpose}: same repository id, configs {', '.join(described)}, "
        f"features and file layout, made-up text.\n\n"
        f"<!-- {_MARKER}: {spec.fingerprint()} -->\n",
        encoding="utf-8",
    )


# ------------------------------------------------------------------------------- checkpoints


@dataclass(frozen=True)
class ModelRepo:
    """A model repository seeded under a real id.

    ``files`` maps each file to the part that builds it; ``build(folder, names)`` writes the named files
    into ``folder``; ``card()`` is its README.
    """

    repo_id: str
    files: Mapping[str, str]
    build: Callable[[Path, list[str]], None]
    card: Callable[[], str]
    description: Mapping[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        return fingerprint({"repo": self.repo_id, "files": dict(self.files), **dict(self.description)})

    def files_for(self, parts: Iterable[str]) -> list[str]:
        parts = set(parts)
        return [name for name, part in self.files.items() if part in parts]


def card_with_marker(text: str, spec: ModelRepo | DatasetRepo) -> str:
    """``text`` with the seed's fingerprint appended, as :func:`seed` looks for it."""
    return f"{text.rstrip()}\n\n<!-- {_MARKER}: {spec.fingerprint()} -->\n"


# ------------------------------------------------------------------------------------ seeding


def seed(
    api: "HfApi",
    repos: Iterable[DatasetRepo | ModelRepo],
    parts: Iterable[str],
    log: Callable[[str], None] = print,
) -> dict[str, tuple[str, list[str]]]:
    """Seed ``repos`` with what ``parts`` build; return ``{repo: (what happened, files seeded)}``.

    ``api`` is an ``HfApi`` that may write to the repositories' namespaces. A repository whose card has
    the current fingerprint and which holds the files ``parts`` build is left as it is ("up to date");
    otherwise its files are built and committed in one commit.
    """
    parts = tuple(parts)
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"Unknown seeding part(s) {unknown}; choose from {', '.join(PARTS)}.")
    done: dict[str, tuple[str, list[str]]] = {}
    if "datasets" in parts:
        from datasets.utils.logging import disable_progress_bar

        disable_progress_bar()
    with tempfile.TemporaryDirectory(prefix="course-seed-") as scratch:
        for spec in repos:
            if isinstance(spec, DatasetRepo):
                if "datasets" not in parts:
                    continue
                folder = Path(scratch) / "datasets" / spec.repo_id
                result = _seed_repo(
                    api, spec.repo_id, "dataset", spec.fingerprint(), None, lambda f=folder, s=spec: write_dataset_repo(s, f), folder
                )
                done[spec.repo_id] = (result, [])
                log(f"{spec.repo_id} (dataset): {result}")
                continue
            wanted = spec.files_for(parts)
            if not wanted:
                continue
            folder = Path(scratch) / "models" / spec.repo_id

            def build(f: Path = folder, s: ModelRepo = spec, names: list[str] = wanted) -> None:
                f.mkdir(parents=True, exist_ok=True)
                s.build(f, names)
                (f / "README.md").write_text(card_with_marker(s.card(), s), encoding="utf-8")

            result = _seed_repo(api, spec.repo_id, "model", spec.fingerprint(), wanted, build, folder)
            done[spec.repo_id] = (result, wanted)
            log(f"{spec.repo_id} (model, {', '.join(wanted)}): {result}")
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
        commit_message=f"Seed the course's copy (course_utils.machinery.seeding, version {SEED_VERSION})",
        # An outdated seed is replaced whole; files another environment seeds stay.
        delete_patterns=None if current else ["*"],
    )
    return "seeded" if not present else "updated" if not current else "completed"
