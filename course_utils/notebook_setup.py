"""The one call at the top of every notebook: profile, seeds, progress bars, plot style.

Used in every notebook: ``assets = setup("01_trainer_weighted_loss", PROFILE)``.
"""

from __future__ import annotations

import os
import random
import sys

from course_utils.profiles import NotebookAssets, notebook_assets

#: Set by the course's run and test commands: progress bars off, output stable.
QUIET_ENV_VAR = "COURSE_QUIET"

_QUIET_VARIABLES = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TQDM_DISABLE": "1",
}


def quiet() -> bool:
    """True under the course's run and test commands (``COURSE_QUIET=1``).

    Learners in Jupyter see progress bars; executed-and-compared notebooks do not.
    """
    return os.environ.get(QUIET_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def show_progress() -> bool:
    """The opposite of :func:`quiet`: pass ``disable_tqdm=not show_progress()`` to the Trainer."""
    return not quiet()


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, and torch or TensorFlow when they are installed."""
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is in both environments
        pass
    try:
        from transformers import set_seed

        set_seed(seed)
    except ImportError:  # pragma: no cover - transformers is in both environments
        pass


def _silence_progress_bars() -> None:
    os.environ.update(_QUIET_VARIABLES)
    for module, function in (
        ("huggingface_hub.utils", "disable_progress_bars"),
        ("datasets", "disable_progress_bars"),
        ("transformers.utils.logging", "disable_progress_bar"),
    ):
        try:
            getattr(__import__(module, fromlist=[function]), function)()
        except (ImportError, AttributeError):
            pass


def _plot_style() -> None:
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover
        return
    plt.rcParams.update(
        {"figure.figsize": (7, 3.5), "figure.dpi": 90, "axes.spines.top": False, "axes.spines.right": False}
    )


def setup(notebook: str, profile: str | None = None, seed: int = 42) -> NotebookAssets:
    """Prepare a notebook run and print which profile runs with which assets.

    ``profile`` is the notebook's ``PROFILE`` parameter; ``None`` means ``$COURSE_PROFILE``
    or the default (smoke). Raises :class:`course_utils.profiles.UnknownProfileError` for an
    unknown name. Returns the notebook's declared assets.
    """
    assets = notebook_assets(notebook, profile)
    seed_everything(seed)
    if quiet():
        _silence_progress_bars()
    _plot_style()
    print(assets.describe())
    if assets.dataset and assets.dataset.startswith("standin:"):
        print(
            "note: the dataset is a stand-in the course generates offline; "
            "COURSE_PROFILE=full uses the talk's real data from the Hub."
        )
    return assets
