from __future__ import annotations

import pytest

from course_utils import profiles
from course_utils.profiles import (
    NOTEBOOKS,
    PROFILES,
    UnknownProfileError,
    active_profile,
    all_assets,
    notebook_assets,
)


def test_default_profile_is_smoke(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert active_profile() == "smoke"


def test_environment_variable_chooses_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_PROFILE", " Full ")
    assert active_profile() == "full"


def test_explicit_parameter_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_PROFILE", "full")
    assert active_profile("smoke") == "smoke"
    assert notebook_assets("01", "smoke").profile == "smoke"


@pytest.mark.parametrize("bad", ["fast", "", "smoke-test"])
def test_unknown_profile_lists_the_valid_ones(bad: str) -> None:
    with pytest.raises(UnknownProfileError) as info:
        active_profile(bad)
    message = str(info.value)
    assert repr(bad.strip().lower()) in message
    for name in PROFILES:
        assert name in message


def test_unknown_profile_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_PROFILE", "gpu")
    with pytest.raises(UnknownProfileError, match="COURSE_PROFILE"):
        notebook_assets("00_setup_check")


def test_notebooks_resolve_by_number_or_full_name() -> None:
    by_number = notebook_assets("01", "smoke")
    by_name = notebook_assets("01_trainer_weighted_loss.ipynb", "smoke")
    assert by_number == by_name
    assert by_number.notebook == "01_trainer_weighted_loss"


def test_unknown_notebook_lists_the_known_ones() -> None:
    with pytest.raises(UnknownProfileError) as info:
        notebook_assets("99_missing", "smoke")
    assert "00_setup_check" in str(info.value)


def test_every_notebook_declares_every_profile() -> None:
    for profile in PROFILES:
        declared = all_assets(profile)
        assert [a.notebook for a in declared] == list(NOTEBOOKS)
        assert all(a.profile == profile for a in declared)


def test_smoke_profile_is_offline_and_full_profile_is_not() -> None:
    assert all(a.offline for a in all_assets("smoke"))
    assert not any(a.offline for a in all_assets("full") if a.dataset or a.notebook == "03_hub")


def test_full_profile_uses_the_talks_assets() -> None:
    expected = {
        "01_trainer_weighted_loss": ("dair-ai/emotion", None, "microsoft/MiniLM-L12-H384-uncased"),
        "02_keras_to_tf_dataset": ("nyu-mll/glue", "cola", "distilbert/distilbert-base-uncased"),
        "04_training_tokenizers": ("Salesforce/wikitext", "wikitext-2-raw-v1", "openai-community/gpt2"),
    }
    for notebook, (dataset, config, checkpoint) in expected.items():
        assets = notebook_assets(notebook, "full")
        assert (assets.dataset, assets.dataset_config, assets.checkpoint) == (dataset, config, checkpoint)
    assert notebook_assets("01", "full").settings["epochs"] == 5


def test_smoke_sizes_are_smaller_than_full_sizes() -> None:
    for smoke, full in zip(all_assets("smoke"), all_assets("full")):
        for split, size in smoke.splits.items():
            assert size is None or full.splits.get(split) is None or size < full.splits[split]


def test_declarations_are_read_only() -> None:
    assets = notebook_assets("01", "smoke")
    with pytest.raises(TypeError):
        assets.settings["epochs"] = 100  # type: ignore[index]


def test_describe_names_profile_and_assets() -> None:
    text = notebook_assets("02", "full").describe()
    assert "profile: full" in text
    assert "dataset: nyu-mll/glue (cola)" in text
    assert "checkpoint: distilbert/distilbert-base-uncased" in text
    assert "train=all" in text


def test_standin_names_use_the_standin_prefix() -> None:
    for assets in all_assets("smoke"):
        if assets.dataset:
            assert assets.dataset.startswith(profiles.STANDIN)


def test_a_cap_cuts_every_split_and_keeps_smaller_ones() -> None:
    full = notebook_assets("01", "full").capped(64)
    assert dict(full.splits) == {"train": 64, "validation": 64, "test": 64}
    assert full.max_examples == 64 and "capped at: 64 examples per split" in full.describe()
    smoke = notebook_assets("01", "smoke").capped(500)
    assert dict(smoke.splits) == {"train": 500, "validation": 400, "test": 400}
    assert notebook_assets("01", "smoke").capped(None) == notebook_assets("01", "smoke")


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_a_cap_must_be_a_whole_number(bad: object) -> None:
    with pytest.raises(ValueError, match="MAX_EXAMPLES must be a whole number of at least 1 or None"):
        notebook_assets("01", "smoke").capped(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "expected"), [("", None), ("  ", None), ("128", 128)])
def test_the_cap_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: int | None) -> None:
    from course_utils.profiles import max_examples_from_env

    monkeypatch.setenv("COURSE_MAX_EXAMPLES", value)
    assert max_examples_from_env() == expected


@pytest.mark.parametrize("value", ["0", "ten", "-5", "1.5"])
def test_a_bad_cap_in_the_environment_says_what_it_must_be(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from course_utils.profiles import max_examples_from_env

    monkeypatch.setenv("COURSE_MAX_EXAMPLES", value)
    with pytest.raises(ValueError, match="COURSE_MAX_EXAMPLES must be a whole number of at least 1"):
        max_examples_from_env()
