from __future__ import annotations

import random

import pytest

from course_utils import notebook_setup
from course_utils.notebook_setup import quiet, seed_everything, setup, show_progress
from course_utils.profiles import UnknownProfileError


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_quiet_follows_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("COURSE_QUIET", value)
    assert quiet() is expected
    assert show_progress() is not expected


def test_seeding_makes_runs_repeat() -> None:
    import numpy as np

    seed_everything(7)
    first = (random.random(), float(np.random.rand()))
    seed_everything(7)
    assert (random.random(), float(np.random.rand())) == first


def test_setup_prints_the_profile_and_assets(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assets = setup("01_trainer_weighted_loss", None)
    out = capsys.readouterr().out
    assert assets.profile == "smoke"
    assert "profile: smoke" in out and "standin:emotion" in out and "stand-in" in out


def test_setup_refuses_an_unknown_profile() -> None:
    with pytest.raises(UnknownProfileError, match="smoke, full"):
        setup("00_setup_check", "turbo")


def test_quiet_setup_turns_progress_bars_off(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in notebook_setup._QUIET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_QUIET", "1")
    setup("00_setup_check", "smoke")
    import os

    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    from datasets.utils.logging import is_progress_bar_enabled

    assert not is_progress_bar_enabled()
