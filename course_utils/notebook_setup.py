"""The one call at the top of every notebook: profile, seeds, progress bars, plot style.

Used in every notebook: ``assets = setup("01_trainer_weighted_loss", PROFILE)``.
"""

from __future__ import annotations

import importlib.util
import os
import random
import re
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator

from course_utils.machinery.profiles import NotebookAssets, run_assets

#: Printed under the banner in the smoke profile.
SMOKE_NOTE = (
    "note: the datasets on the course's local Hub are stand-ins it generates (the real ids, columns and labels, "
    "made-up text); COURSE_PROFILE=full uses the talk's real data from the Hugging Face Hub."
)

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


#: Informational lines TensorFlow's C++ runtime writes to stderr while it loads, before its logging
#: is set up (so TF_CPP_MIN_LOG_LEVEL cannot silence them): "oneDNN custom operations are on",
#: "Could not find cuda drivers", and the preamble announcing them.
_NATIVE_STARTUP_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+\] .*)$"
)


#: The start of any entry of the C++ logger (severity letter, date, time, thread, source).
_NATIVE_LOG_ENTRY = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+\] ")


@contextmanager
def quiet_tensorflow_import() -> Iterator[None]:
    """Hide the informational lines TensorFlow prints while it is imported; pass on anything else.

    ``with quiet_tensorflow_import(): import tensorflow as tf``. Those lines come from C++ code,
    straight to file descriptor 2, so they land in the notebook's output whatever the logging
    settings. Only INFO-level lines and their preamble are dropped; warnings and errors are
    written to ``sys.stderr`` as usual. Used in notebooks/02_keras_to_tf_dataset.ipynb.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = _without_startup_noise(captured.read().decode(errors="replace"))
            if kept:
                print(kept, file=sys.stderr)


def _without_startup_noise(text: str) -> str:
    """``text`` minus TensorFlow's informational start-up entries (with their continuation lines)."""
    kept, dropping = [], False
    for line in text.splitlines():
        if _NATIVE_STARTUP_NOISE.match(line):
            dropping = True
        elif _NATIVE_LOG_ENTRY.match(line):  # a warning or an error: a new entry, kept
            dropping = False
            kept.append(line)
        elif not dropping and line.strip():
            kept.append(line)
    return "\n".join(kept)


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


def setup(notebook: str, profile: str | None = None, seed: int = 42, max_examples: int | None = None) -> NotebookAssets:
    """Prepare a notebook run, point the Hugging Face libraries at the profile's Hub, print the assets.

    Smoke profile: starts this kernel's local Hub (:func:`course_utils.hub_session.start_local_hub`; the
    first time on a machine it is seeded, in under a minute) and points ``HF_ENDPOINT`` and ``HF_HOME`` at it,
    so call it before importing ``datasets``, ``transformers`` or ``huggingface_hub``. Full profile: checks
    that the checkpoint and dataset can be loaded (:func:`course_utils.machinery.assets.require_hub_assets`).
    ``profile`` is the notebook's ``PROFILE`` parameter; ``None`` means ``$COURSE_PROFILE``
    or the default (smoke). Raises :class:`course_utils.machinery.profiles.UnknownProfileError` for an
    unknown name. ``max_examples`` (the ``MAX_EXAMPLES`` parameter; ``None``: ``$COURSE_MAX_EXAMPLES``
    or no cap) cuts every split to that many examples, for a quick trial of a profile. In the
    full profile, ``$COURSE_REHEARSAL`` marks a run against the rehearsal Hub. Returns the
    notebook's declared assets.
    """
    assets = run_assets(notebook, profile, max_examples)
    seed_everything(seed)
    if quiet():
        _silence_progress_bars()
    _plot_style()
    if assets.offline:
        from course_utils.hub_session import start_local_hub

        start_local_hub()
    else:
        from course_utils.machinery.assets import require_hub_assets

        require_hub_assets(assets)
    print(assets.describe())
    if assets.offline and assets.dataset:
        print(SMOKE_NOTE)
    return assets
