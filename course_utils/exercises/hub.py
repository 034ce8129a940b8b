"""Checkers for the exercises of notebook 03 (sharing on the Hub).

1. :func:`check_tokenizer_release`: push a tokenizer, tag the commit, load it back by the tag.
2. :func:`check_light_download`: download only what tokenizing and configuring need, not the weights.
3. :func:`check_revert`: undo a change the git way, with a new commit that restores the old file.

They ask the Hub the notebook is connected to (``HF_ENDPOINT``, the token of ``login``), through
``huggingface_hub``, so call them after ``connect_hub``. Main environment. Used in
notebooks/03_hub.ipynb and its solutions notebook.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from course_utils.exercises import Feedback, correct, not_yet

#: Sentences the released tokenizer must encode exactly like the original.
SAMPLE_TEXTS = ("i feel like the whole world is smiling at me today", "Hub, tags & revisions: v1.0!")
#: Files that ``AutoTokenizer`` and ``AutoConfig`` need, and files that hold weights.
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".h5", ".msgpack", ".pt", ".ckpt", ".onnx")


def check_tokenizer_release(repo_id: str, tag: str, released: Any, original: Any) -> Feedback:
    """Exercise 1: ``repo_id`` holds a tokenizer at the tag ``tag``, and ``released`` was loaded from it.

    ``released`` is the tokenizer loaded back with ``AutoTokenizer.from_pretrained(repo_id,
    revision=tag)``; it must encode the sample texts exactly like ``original``. Used in
    notebooks/03_hub.ipynb.
    """
    from huggingface_hub import HfApi

    api = HfApi()
    if not api.repo_exists(repo_id):
        return not_yet(f"there is no repository {repo_id} yet: push the tokenizer with tokenizer.push_to_hub({repo_id!r}).")
    tags = [ref.name for ref in api.list_repo_refs(repo_id).tags]
    if tag not in tags:
        found = f"its tags: {', '.join(tags)}" if tags else "it has no tag"
        return not_yet(f"{repo_id} has no tag {tag!r} ({found}): create it with api.create_tag({repo_id!r}, tag={tag!r}).")
    files = set(api.list_repo_files(repo_id, revision=tag))
    missing = [name for name in _TOKENIZER_FILES if name not in files]
    if missing:
        return not_yet(f"the commit tagged {tag!r} has no {', '.join(missing)}: push the tokenizer first, then tag.")
    if released is None:
        return not_yet(f"the release is on the Hub; now load it into `released` with AutoTokenizer.from_pretrained(repo_id, revision={tag!r}).")
    source = getattr(released, "name_or_path", None)
    if source != repo_id:
        return not_yet(f"`released` was loaded from {source!r}: load it from the Hub repository {repo_id!r}, by its tag.")
    for text in SAMPLE_TEXTS:
        if released(text)["input_ids"] != original(text)["input_ids"]:
            return not_yet(f"the released tokenizer encodes {text!r} differently from the original: push the tokenizer you trained with.")
    return correct(
        f"{repo_id} at {tag!r} holds the tokenizer, and loading it by the tag gives the same ids as the original, "
        "whatever gets committed to main later."
    )


def check_light_download(folder: Any) -> Feedback:
    """Exercise 2: ``folder`` (from ``snapshot_download``) has the configuration and tokenizer, no weights.

    The configuration and the tokenizer must load from it. Used in notebooks/03_hub.ipynb.
    """
    if folder is None:
        return not_yet("`light_folder` is None: set it to the folder that snapshot_download returns.")
    root = Path(folder)
    if not root.is_dir():
        return not_yet(f"{str(folder)!r} is not a folder: use the path that snapshot_download returns.")
    files = sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
    weights = [name for name in files if name.endswith(_WEIGHT_SUFFIXES)]
    if weights:
        return not_yet(f"{', '.join(weights)} came down too: pass allow_patterns (e.g. ['*.json']) so that only the small files are downloaded.")
    missing = [name for name in ("config.json", *_TOKENIZER_FILES) if name not in files]
    if missing:
        return not_yet(f"{', '.join(missing)} is missing: the patterns must also match the configuration and the tokenizer files.")
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
