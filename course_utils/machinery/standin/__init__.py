"""Stand-in datasets for the offline (``smoke``) profile, served by its local Hub under the real ids.

Each generator builds, deterministically from a seed, a :class:`datasets.DatasetDict` with
the same split names, columns and :class:`datasets.Features` as the real Hub dataset it
stands in for. Every sentence and word list is original to this package.

* :func:`make_emotion` stands in for ``dair-ai/emotion``
  (used in notebooks/01_trainer_weighted_loss.ipynb, 03_hub.ipynb, 05_accelerate.ipynb);
* :func:`make_cola` stands in for GLUE CoLA, ``nyu-mll/glue`` config ``cola``
  (used in notebooks/02_keras_to_tf_dataset.ipynb);
* :func:`make_corpus` stands in for ``Salesforce/wikitext`` config ``wikitext-2-raw-v1``
  (used in notebooks/04_training_tokenizers.ipynb).

Importing this package is cheap: the generators live in submodules that are imported on
first use, and those import ``datasets`` only when a generator is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    from .cola import make_cola
    from .corpus import make_corpus
    from .emotion import make_emotion

__all__ = ["make_cola", "make_corpus", "make_emotion"]

_LAZY = {"make_emotion": "emotion", "make_cola": "cola", "make_corpus": "corpus"}


def __getattr__(name: str) -> Any:
    """Import the generator submodules on first access (PEP 562)."""
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{_LAZY[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# --- small helpers shared by the submodules (standard library only) -----------------------


def _split_sizes(
    sizes: Mapping[str, int | None] | None, defaults: Mapping[str, int]
) -> dict[str, int]:
    """Validate ``sizes`` (or take ``defaults``) and return a plain ``{split: n}`` dict.

    The keys of ``sizes`` are the splits that get generated, in the given order; a value of
    ``None`` means the default size of that split (as in ``NotebookAssets.splits``).
    """
    chosen = dict(defaults if sizes is None else sizes)
    if not chosen:
        raise ValueError("sizes must name at least one split")
    out: dict[str, int] = {}
    for split, n in chosen.items():
        if not isinstance(split, str) or not split:
            raise ValueError(f"split names must be non-empty strings, got {split!r}")
        if n is None:
            if split not in defaults:
                raise ValueError(f"split {split!r} has no default size; give a number")
            n = defaults[split]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"size of split {split!r} must be a non-negative int, got {n!r}")
        out[split] = n
    return out


def _largest_remainder(total: int, proportions: Mapping[str, float]) -> dict[str, int]:
    """Split ``total`` into integer counts proportional to ``proportions``.

    Largest-remainder (Hamilton) rounding: the counts sum to ``total`` exactly and each is
    within one of ``total * share``. Ties go to the key listed first.
    """
    norm = sum(proportions.values())
    quotas = {k: total * v / norm for k, v in proportions.items()}
    counts = {k: int(q) for k, q in quotas.items()}
    left = total - sum(counts.values())
    order = sorted(quotas, key=lambda k: (-(quotas[k] - counts[k]), list(quotas).index(k)))
    for k in order[:left]:
        counts[k] += 1
    return counts
