"""The one call at the top of every notebook: profile, seeds, progress bars, plot style.

Used in every notebook: ``assets = setup("01_trainer_weighted_loss", PROFILE)``.
"""

from __future__ import annotations

import importlib.util
import os
import random
import sys

from course_utils.profiles import STANDIN, NotebookAssets, notebook_assets
from course_utils.standin import STANDIN_NOTE

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


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy, torch (when installed) and TensorFlow (when already imported).

    Imports no Hugging Face library, so a notebook can still set ``HF_ENDPOINT`` afterwards
    (``huggingface_hub`` reads it once, at import).
    """
    random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    try:
        import numpy as np

        np.random.seed(seed)
    except ImportError:  # pragma: no cover - numpy is in both environments
        pass
    if importlib.util.find_spec("torch") is not None:
        import torch

        torch.manual_seed(seed)
        if torch.cuda.is_available():
            torch.cuda.manual_seed_all(seed)
    if "tensorflow" in sys.modules:  # never import it here: TF_USE_LEGACY_KERAS must come first
        sys.modules["tensorflow"].random.set_seed(seed)


def _silence_progress_bars() -> None:
    # The libraries read these variables when they are imported; for any already imported,
    # switch their bars off directly. Nothing is imported here (see seed_everything).
    os.environ.update(_QUIET_VARIABLES)
    for module, function in (
        ("huggingface_hub.utils", "disable_progress_bars"),
        ("datasets", "disable_progress_bars"),
        ("transformers.utils.logging", "disable_progress_bar"),
    ):
        if module in sys.modules:
            getattr(sys.modules[module], function)()


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
    if assets.dataset and assets.dataset.startswith(STANDIN):
        print(STANDIN_NOTE)
    return assets
