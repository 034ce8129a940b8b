"""Shared test configuration.

The unit tests run in both course environments (``./course test`` runs them twice). Tests
that need one environment's libraries carry the ``main_env`` or ``keras_env`` marker and are
skipped, with that reason, in the other one, where the same file runs them in full.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils.machinery.environments import current_environment
from hub_fixtures import *  # noqa: E402,F401,F403  (local Hub fixtures and their session hooks)
from rehearsal_fixtures import *  # noqa: E402,F401,F403  (the seeded rehearsal Hub)

ROOT = Path(__file__).resolve().parent.parent
ENV = current_environment()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for marker, env in (("main_env", "main"), ("keras_env", "keras")):
            if item.get_closest_marker(marker) and ENV != env:
                item.add_marker(pytest.mark.skip(reason=f"runs in the {env} environment"))


@pytest.fixture
def repo_root() -> Path:
    return ROOT
