from __future__ import annotations

import pytest

from course_utils.machinery import profiles
from course_utils.machinery.profiles import (
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
    # The smoke profile's local Hub serves every asset; the full profile always needs the Hugging Face Hub.
    assert all(a.offline for a in all_assets("smoke"))
    assert not any(a.offline for a in all_assets("full"))


def test_full_profile_uses_the_talks_assets() -> None:
    expected = {
        "01_trainer_weighted_loss": ("dair-ai/emotion", "split", "microsoft/MiniLM-L12-H384-uncased"),
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
    assert "local Hub" not in text


def test_describe_says_the_smoke_profile_uses_the_local_hub() -> None:
    lines = notebook_assets("02", "smoke").describe().splitlines()
    assert lines[:2] == [
        "profile: smoke",
        "Hub: the course's local Hub (stand-in datasets under the real ids, genuine pretrained files)",
    ]
    assert "dataset: nyu-mll/glue (cola)" in lines
    assert "checkpoint: sentence-transformers/all-MiniLM-L6-v2" in lines


def test_the_smoke_profile_uses_the_talks_hub_ids() -> None:
    # Both profiles load the same dataset ids and configs; the smoke checkpoints are real Hub ids the local
    # Hub serves: the offline MiniLM under its own id, and GPT-2 (its tokenizer) for notebook 04.
    assert profiles.OFFLINE_MINILM == "sentence-transformers/all-MiniLM-L6-v2"
    for smoke, full in zip(all_assets("smoke"), all_assets("full")):
        assert (smoke.dataset, smoke.dataset_config) == (full.dataset, full.dataset_config), smoke.notebook
    smoke = {a.notebook: (a.dataset, a.dataset_config, a.checkpoint) for a in all_assets("smoke")}
    assert smoke == {
        "00_setup_check": (None, None, profiles.OFFLINE_MINILM),
        "01_trainer_weighted_loss": ("dair-ai/emotion", "split", profiles.OFFLINE_MINILM),
        "02_keras_to_tf_dataset": ("nyu-mll/glue", "cola", profiles.OFFLINE_MINILM),
        "03_hub": ("dair-ai/emotion", "split", profiles.OFFLINE_MINILM),
        "04_training_tokenizers": ("Salesforce/wikitext", "wikitext-2-raw-v1", "openai-community/gpt2"),
        "05_accelerate": ("dair-ai/emotion", "split", profiles.OFFLINE_MINILM),
    }


def test_sized_keeps_the_declared_splits_at_their_sizes() -> None:
    from datasets import Dataset, DatasetDict

    data = DatasetDict({
        name: Dataset.from_dict({"x": list(range(n))}) for name, n in (("train", 1500), ("validation", 300), ("extra", 5))
    })
    sized = notebook_assets("02", "smoke").sized(data)  # train 1200, validation 300
    assert {name: len(split) for name, split in sized.items()} == {"train": 1200, "validation": 300}
    assert sized["validation"]["x"] == list(range(300))  # a split at its size stays as it is
    assert len(set(sized["train"]["x"])) == 1200
    assert sized["train"]["x"] == notebook_assets("02", "smoke").sized(data)["train"]["x"]  # seeded: the same rows
    assert sized["train"]["x"] != notebook_assets("02", "smoke").sized(data, seed=1)["train"]["x"]
    capped = notebook_assets("02", "smoke").capped(10).sized(data)
    assert {name: len(split) for name, split in capped.items()} == {"train": 10, "validation": 10}
    whole = notebook_assets("02", "full").sized(data)  # None: the whole split
    assert {name: len(split) for name, split in whole.items()} == {"train": 1500, "validation": 300}


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
    from course_utils.machinery.profiles import max_examples_from_env

    monkeypatch.setenv("COURSE_MAX_EXAMPLES", value)
    assert max_examples_from_env() == expected


@pytest.mark.parametrize("value", ["0", "ten", "-5", "1.5"])
def test_a_bad_cap_in_the_environment_says_what_it_must_be(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    from course_utils.machinery.profiles import max_examples_from_env

    monkeypatch.setenv("COURSE_MAX_EXAMPLES", value)
    with pytest.raises(ValueError, match="COURSE_MAX_EXAMPLES must be a whole number of at least 1"):
        max_examples_from_env()


def test_run_assets_are_the_notebooks_own_in_a_launched_script(monkeypatch: pytest.MonkeyPatch) -> None:
    # notebook 05's `accelerate launch` script rebuilds its assets from the command line and the environment:
    # in a rehearsal it must train the rehearsal's single epoch, like the notebook, not the full profile's three
    from course_utils.machinery.profiles import run_assets

    monkeypatch.setenv("COURSE_REHEARSAL", "1")
    monkeypatch.setenv("COURSE_MAX_EXAMPLES", "72")
    script = run_assets("05_accelerate", "full", 64)
    assert script.rehearsal and script.settings["epochs"] == 1 and dict(script.splits) == {"train": 64, "validation": 64}
    assert run_assets("05_accelerate", "full").splits["train"] == 72  # no cap given: the environment's
    monkeypatch.delenv("COURSE_REHEARSAL")
    monkeypatch.delenv("COURSE_MAX_EXAMPLES")
    assert run_assets("05_accelerate", "full") == notebook_assets("05_accelerate", "full")
    assert run_assets("05_accelerate", "smoke", 500).settings["epochs"] == 2
