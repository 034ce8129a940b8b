"""The rehearsal Hub for the tests of :mod:`course_utils.machinery.rehearsal` and :mod:`course_utils.machinery.fetch`.

``rehearsal_hub`` (session scope) serves ``build/rehearsal/hub-data``, the folder the rehearsal
step of ``./course test`` uses too, so the stand-ins are built once per machine: seeding is
idempotent, and whatever the tests seed the rehearsal finds up to date. The main environment
seeds datasets, tokenizers and PyTorch weights in-process; the TensorFlow weights come from the
keras environment when it is installed next to this one. Without it, ``keras_python`` is None
and the tests that need it skip, saying so.

Clients in this pytest process already read ``HF_ENDPOINT`` (the session Hub's), so tests pass
``endpoint=`` explicitly or run their clients in subprocesses with :meth:`RehearsalHub.env`.

Used by tests/test_rehearsal.py and tests/test_fetch.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from course_utils.machinery.environments import current_environment

REPO_ROOT = Path(__file__).resolve().parents[1]
HUB_DATA = REPO_ROOT / "build" / "rehearsal" / "hub-data"

__all__ = ["RehearsalHub", "rehearsal_hub"]


@dataclass
class RehearsalHub:
    endpoint: str
    token: str
    seeded: dict[str, str]
    keras_python: Path | None

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        """The environment of a subprocess that talks to this Hub with its own Hugging Face home."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        env.update(
            HF_ENDPOINT=self.endpoint, HF_TOKEN=self.token, HF_HOME=str(home), HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_PROGRESS_BARS="1", HF_DATASETS_DISABLE_PROGRESS_BARS="1", TF_CPP_MIN_LOG_LEVEL="3",
            HF_HUB_DISABLE_XET="1",
        )
        env.update(extra)
        return env


def _keras_python() -> Path | None:
    candidate = Path(sys.prefix).parent / "keras" / "bin" / "python"
    return candidate if candidate.is_file() else None


@pytest.fixture(scope="session")
def rehearsal_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RehearsalHub]:
    if current_environment() != "main":
        pytest.skip("the rehearsal Hub is seeded from the main environment")
    from huggingface_hub import HfApi

    from course_utils.machinery.hub_server import LocalHub
    from course_utils.machinery.rehearsal import KERAS_PARTS, MAIN_PARTS, ORGS, TOKEN, USER, seed

    with LocalHub(HUB_DATA, user=USER, orgs=ORGS, token=TOKEN, fsync=False) as hub:
        seeded = seed(HfApi(endpoint=hub.endpoint, token=hub.token), MAIN_PARTS, log=lambda line: None)
        rehearsal = RehearsalHub(hub.endpoint, hub.token, seeded, _keras_python())
        if rehearsal.keras_python is not None:
            subprocess.run(
                [str(rehearsal.keras_python), "-m", "course_utils.machinery.rehearsal", "seed", "--parts", *KERAS_PARTS],
                cwd=REPO_ROOT, env=rehearsal.env(tmp_path_factory.mktemp("keras-seed-home")), check=True,
                capture_output=True,
            )
        yield rehearsal
