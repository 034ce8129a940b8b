"""Checkers for the exercises of notebook 03 (sharing on the Hub).

1. :func:`check_tokenizer_release`: push a tokenizer, tag the commit, write a function that loads it by the tag.
2. :func:`check_light_download`: download only what tokenizing and configuring need, not the weights.
3. :func:`check_revert`: undo a change the git way, with a new commit that restores the old file.

They ask the Hub the notebook is connected to (``HF_ENDPOINT``, the token of ``login``), through
``huggingface_hub``, so call them after ``connect_hub``. Main environment. Used in
notebooks/03_hub.ipynb and its solutions notebook.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Callable

from course_utils.exercises import Feedback, LearnerCodeError, call_learner_code, correct, not_yet

#: Sentences the released tokenizer must encode exactly like the original.
SAMPLE_TEXTS = ("i feel like the whole world is smiling at me today", "Hub, tags & revisions: v1.0!")
#: Files that ``AutoTokenizer`` and ``AutoConfig`` need, and files that hold weights.
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".pt", ".ckpt", ".onnx")


def check_tokenizer_release(repo_id: str, tag: str, load_release: Callable[[str, str], Any], original: Any) -> Feedback:
    """Exercise 1: ``repo_id`` holds a tokenizer at the tag ``tag``, and ``load_release`` loads by tag.

    ``load_release(repo_id, tag)`` must return the tokenizer as it is at ``tag``, encoding the
    sample texts exactly like ``original``. To tell loading by tag from loading ``main``, the
    checker also calls it with a tag of its own on the repository's first commit (which holds no
    tokenizer, so loading must fail), then deletes that tag. Used in notebooks/03_hub.ipynb.
    """
    from huggingface_hub import HfApi

    api = HfApi()
    if not api.repo_exists(repo_id):
        return not_yet(
            f"there is no repository {repo_id} yet: push the tokenizer with "
            f"tokenizer.push_to_hub({repo_id!r}, private=True)."
        )
    tags = [ref.name for ref in api.list_repo_refs(repo_id).tags]
    if tag not in tags:
        found = f"its tags: {', '.join(tags)}" if tags else "it has no tag"
        return not_yet(f"{repo_id} has no tag {tag!r} ({found}): create it with api.create_tag({repo_id!r}, tag={tag!r}).")
    files = set(api.list_repo_files(repo_id, revision=tag))
    missing = [name for name in _TOKENIZER_FILES if name not in files]
    if missing:
        return not_yet(f"the commit tagged {tag!r} has no {', '.join(missing)}: push the tokenizer first, then tag.")
    try:
        released = call_learner_code(load_release, repo_id, tag)
    except LearnerCodeError as error:
        return error.feedback
    if released is None:
        return not_yet("load_release() returned None: return AutoTokenizer.from_pretrained(repo_id, revision=tag).")
    source = getattr(released, "name_or_path", None)
    if source != repo_id:
        return not_yet(f"load_release() returned a tokenizer loaded from {source!r}: load it from the Hub repository {repo_id!r}.")
    for text in SAMPLE_TEXTS:
        if released(text)["input_ids"] != original(text)["input_ids"]:
            return not_yet(f"the released tokenizer encodes {text!r} differently from the original: push the tokenizer you trained with.")
    if _loads_without_its_tag(api, repo_id, load_release):
        return not_yet("load_release() returns main's tokenizer whatever the tag: pass revision=tag to from_pretrained.")
    return correct(
        f"{repo_id} at {tag!r} holds the tokenizer, and load_release gets exactly that version, whatever is "
        "committed to main later."
    )


def _loads_without_its_tag(api: Any, repo_id: str, load_release: Callable[[str, str], Any]) -> bool:
    """Whether ``load_release`` still returns a tokenizer for a tag on a commit that has none."""
    probe = f"course-check-{uuid.uuid4().hex[:8]}"
    first_commit = api.list_repo_commits(repo_id)[-1].commit_id
    api.create_tag(repo_id, tag=probe, revision=first_commit)
    try:
        return load_release(repo_id, probe) is not None
    except Exception:  # noqa: BLE001 - loading a tag without tokenizer files must fail
        return False
    finally:
        api.delete_tag(repo_id, tag=probe)


def check_light_download(folder: Any) -> Feedback:
    """Exercise 2: ``folder`` (from ``snapshot_download(..., local_dir=...)``) has the configuration and tokenizer, no weights.

    The configuration and the tokenizer must load from it. The ``.cache`` folder that
    ``local_dir`` downloads keep for their own bookkeeping is not counted. Used in
    notebooks/03_hub.ipynb.
    """
    if folder is None:
        return not_yet("`light_folder` is None: set it to the folder that snapshot_download returns.")
    root = Path(folder)
    if not root.is_dir():
        return not_yet(f"{str(folder)!r} is not a folder: use the path that snapshot_download returns.")
    files = sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and ".cache" not in path.relative_to(root).parts
    )
    weights = [name for name in files if name.endswith(_WEIGHT_SUFFIXES)]
    if weights:
        return not_yet(
            f"the folder holds {', '.join(weights)}: pass allow_patterns (e.g. ['*.json']) and a folder of its own "
            "(local_dir=...), so that only the small files are downloaded there."
        )
    missing = [name for name in ("config.json", *_TOKENIZER_FILES) if name not in files]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return not_yet(f"{', '.join(missing)} {verb} missing: the patterns must also match the configuration and the tokenizer files.")
    from transformers import AutoConfig, AutoTokenizer

    try:
        AutoConfig.from_pretrained(root)
        AutoTokenizer.from_pretrained(root)(SAMPLE_TEXTS[0])
    except Exception as error:  # noqa: BLE001 - reported as feedback
        return not_yet(f"the files are there but do not load ({type(error).__name__}: {error}).")
    size = sum((root / name).stat().st_size for name in files)
    return correct(
        f"{len(files)} files, {size / 1e6:.1f} MB instead of the whole repository: enough for AutoConfig and AutoTokenizer, "
        "which is all an app needs before it decides to load the weights."
    )


def check_revert(repo_id: str, tag: str = "v1.0", changed_file: str = "config.json") -> Feedback:
    """Exercise 3: ``changed_file`` on ``main`` is back to what it was at ``tag``, by a new commit.

    The history must keep the commit that changed it (undoing is a new commit, not a rewrite).
    Used in notebooks/03_hub.ipynb.
    """
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi()
    old = json.loads(Path(hf_hub_download(repo_id, changed_file, revision=tag)).read_text())
    now = json.loads(Path(hf_hub_download(repo_id, changed_file)).read_text())
    if now != old:
        differing = sorted(key for key in set(old) | set(now) if old.get(key) != now.get(key))
        return not_yet(
            f"{changed_file} on main still differs from {tag} (in {', '.join(differing)}): download it at revision={tag!r} "
            "and commit it to main with api.upload_file."
        )
    commits = api.list_repo_commits(repo_id)
    tagged = next(ref.target_commit for ref in api.list_repo_refs(repo_id).tags if ref.name == tag)
    if commits[0].commit_id == tagged:
        return not_yet(f"main points at the {tag} commit itself: restore the file with a new commit instead.")
    position = [c.commit_id for c in commits].index(tagged)
    return correct(
        f"main has {tag}'s {changed_file} again, in commit {commits[0].title!r}; the {position} commit(s) since {tag} "
        "stay in the history, so the change can be looked at (or restored) later."
    )
