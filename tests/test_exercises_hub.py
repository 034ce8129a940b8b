"""Notebook 03's exercise checkers, against the session's local Hub: right answers pass, typical
mistakes get the sentence that says what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.main_env


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from course_utils.machinery.assets import offline_minilm_path

    return AutoTokenizer.from_pretrained(offline_minilm_path())


@pytest.fixture
def api(session_hub_env):
    from huggingface_hub import HfApi

    return HfApi()


# --- 1. a tokenizer release, loaded by its tag ----------------------------------------------------


def load_release(repo_id, tag):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(repo_id, revision=tag)


def test_tokenizer_release_walks_the_learner_through_the_steps(api, repo_name, tokenizer) -> None:
    from course_utils.exercises.hub import check_tokenizer_release

    repo_id = f"learner/{repo_name}"
    steps = []
    steps.append(check_tokenizer_release(repo_id, "v1.0", load_release, tokenizer))
    api.create_repo(repo_id, private=True)
    api.create_tag(repo_id, tag="v1.0")  # tagged before anything was pushed
    steps.append(check_tokenizer_release(repo_id, "v1.0", load_release, tokenizer))
    tokenizer.push_to_hub(repo_id)
    steps.append(check_tokenizer_release(repo_id, "v2.0", load_release, tokenizer))
    api.create_tag(repo_id, tag="v2.0")
    steps.append(check_tokenizer_release(repo_id, "v2.0", lambda repo_id, tag: None, tokenizer))
    steps.append(check_tokenizer_release(repo_id, "v2.0", lambda repo_id, tag: tokenizer, tokenizer))  # the local one
    steps.append(check_tokenizer_release(repo_id, "v2.0", load_release, tokenizer))
    expected = [
        "there is no repository",
        "the commit tagged 'v1.0' has no tokenizer.json, tokenizer_config.json",
        "has no tag 'v2.0' (its tags: v1.0)",
        "load_release() returned None",
        "loaded from",
        "load_release gets exactly that version",
    ]
    assert [feedback.passed for feedback in steps] == [False] * 5 + [True]
    for feedback, sentence in zip(steps, expected):
        assert sentence in feedback.message, feedback
    assert [ref.name for ref in api.list_repo_refs(repo_id).tags] == ["v1.0", "v2.0"]  # its probe tag is gone


def test_tokenizer_release_notices_a_function_that_ignores_the_tag(api, repo_name, tokenizer) -> None:
    from transformers import AutoTokenizer

    from course_utils.exercises.hub import check_tokenizer_release

    repo_id = f"learner/{repo_name}"
    tokenizer.push_to_hub(repo_id, private=True)
    api.create_tag(repo_id, tag="v1.0")

    def load_main(repo_id, tag):
        return AutoTokenizer.from_pretrained(repo_id)

    feedback = check_tokenizer_release(repo_id, "v1.0", load_main, tokenizer)
    assert not feedback.passed and "pass revision=tag" in feedback.message
    assert [ref.name for ref in api.list_repo_refs(repo_id).tags] == ["v1.0"]


def test_tokenizer_release_notices_another_tokenizer(api, repo_name, tokenizer) -> None:
    from transformers import AutoTokenizer

    from course_utils.exercises.hub import check_tokenizer_release

    repo_id = f"learner/{repo_name}"
    tokenizer.push_to_hub(repo_id)
    api.create_tag(repo_id, tag="v1.0")
    other = AutoTokenizer.from_pretrained(repo_id, revision="v1.0", do_lower_case=False)
    feedback = check_tokenizer_release(repo_id, "v1.0", load_release, other)
    assert not feedback.passed and "encodes" in feedback.message


# --- 2. a light download ---------------------------------------------------------------------------------


@pytest.fixture
def model_repo(api, repo_name, tokenizer, tmp_path):
    """A repository with a tiny BERT (config, weights), the tokenizer and a README."""
    from transformers import BertConfig, BertForSequenceClassification

    repo_id = f"learner/{repo_name}"
    model = BertForSequenceClassification(BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32))
    model.save_pretrained(tmp_path / "model")
    tokenizer.save_pretrained(tmp_path / "model")
    (tmp_path / "model" / "README.md").write_text("---\nlicense: apache-2.0\n---\n# demo\n")
    api.create_repo(repo_id)
    api.upload_folder(folder_path=tmp_path / "model", repo_id=repo_id)
    return repo_id


def test_light_download_accepts_json_only(model_repo, tmp_path) -> None:
    from huggingface_hub import snapshot_download

    from course_utils.exercises.hub import check_light_download

    snapshot_download(model_repo)  # the weights are in the shared cache already, as in notebook 03
    folder = snapshot_download(model_repo, allow_patterns=["*.json"], local_dir=tmp_path / "light")
    feedback = check_light_download(folder)
    assert feedback.passed, feedback
    assert "3 files" in feedback.message and "enough for AutoConfig and AutoTokenizer" in feedback.message


def test_light_download_into_the_shared_cache_says_to_use_a_folder_of_its_own(model_repo) -> None:
    from huggingface_hub import snapshot_download

    from course_utils.exercises.hub import check_light_download

    snapshot_download(model_repo)
    feedback = check_light_download(snapshot_download(model_repo, allow_patterns=["*.json"]))
    assert not feedback.passed and "local_dir=" in feedback.message


@pytest.mark.parametrize(
    "patterns, expected",
    [
        (None, "the folder holds model.safetensors"),
        (["config.json"], "tokenizer.json, tokenizer_config.json are missing"),
        (["tokenizer*"], "config.json is missing"),
    ],
    ids=["everything", "config only", "tokenizer only"],
)
def test_light_download_rejects_typical_mistakes(model_repo, tmp_path, patterns, expected: str) -> None:
    from huggingface_hub import snapshot_download

    from course_utils.exercises.hub import check_light_download

    feedback = check_light_download(snapshot_download(model_repo, allow_patterns=patterns, local_dir=tmp_path / "light"))
    assert not feedback.passed and expected in feedback.message


def test_light_download_without_a_folder(tmp_path) -> None:
    from course_utils.exercises.hub import check_light_download

    assert "is None" in check_light_download(None).message
    assert "is not a folder" in check_light_download(tmp_path / "nope").message


# --- 3. undo with a new commit -------------------------------------------------------------------------


def commit_config(api, repo_id: str, config: dict, message: str) -> None:
    api.upload_file(path_or_fileobj=json.dumps(config).encode(), path_in_repo="config.json", repo_id=repo_id, commit_message=message)


def test_revert_by_a_new_commit(api, repo_name, tmp_path) -> None:
    from huggingface_hub import hf_hub_download

    from course_utils.exercises.hub import check_revert

    repo_id = f"learner/{repo_name}"
    api.create_repo(repo_id)
    commit_config(api, repo_id, {"labels": ["joy"]}, "First")
    api.create_tag(repo_id, tag="v1.0")
    commit_config(api, repo_id, {"labels": ["Joy"]}, "Capitalise")
    before = check_revert(repo_id)
    assert not before.passed and "config.json on main still differs from v1.0 (in labels)" in before.message

    old = Path(hf_hub_download(repo_id, "config.json", revision="v1.0"))
    api.upload_file(path_or_fileobj=old, path_in_repo="config.json", repo_id=repo_id, commit_message="Back to the v1.0 labels")
    after = check_revert(repo_id)
    assert after.passed, after
    assert "in commit 'Back to the v1.0 labels'; the 2 commit(s) since v1.0 stay in the history" in after.message


def test_revert_refuses_an_unchanged_main(api, repo_name) -> None:
    from course_utils.exercises.hub import check_revert

    repo_id = f"learner/{repo_name}"
    api.create_repo(repo_id)
    commit_config(api, repo_id, {"labels": ["joy"]}, "First")
    api.create_tag(repo_id, tag="v1.0")
    feedback = check_revert(repo_id)
    assert not feedback.passed and "points at the v1.0 commit itself" in feedback.message
