"""Push a ``datasets`` DatasetDict to a Hub as Parquet, in a way that works on the local Hub too.

``DatasetDict.push_to_hub`` (datasets 5.2) writes each shard to a temporary file, hands it to
``preupload_lfs_files`` (which, on huggingface.co, uploads it through LFS/Xet right away), deletes
it, and only then creates the commit. The local Hub stores every file as a regular git file sent
inside the commit, so by commit time the shard is gone and the client raises FileNotFoundError.

:func:`upload_dataset_dict` writes the splits as ``data/{split}-00000-of-00001.parquet`` (the layout
``load_dataset`` recognises without any metadata) and commits them with ``upload_folder``; it works
on huggingface.co as well.

Used in notebooks/03_hub.ipynb and the tests.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["upload_dataset_dict"]

_SPLIT_RE = re.compile(r"^\w+(\.\w+)*$")


def upload_dataset_dict(
    dataset: Any,
    repo_id: str,
    *,
    token: str | bool | None = None,
    endpoint: str | None = None,
    private: bool | None = None,
    commit_message: str = "Upload dataset as Parquet",
) -> Any:
    """Upload a ``DatasetDict`` (or a single ``Dataset``, as split ``train``) to a dataset repository.

    Creates the repository if needed, writes one Parquet file per split under ``data/``, removes
    Parquet files of splits that are no longer there, and commits. Returns the ``CommitInfo``.
    ``load_dataset(repo_id)`` then gives the same splits back.

    Used in notebooks/03_hub.ipynb and the tests.
    """
    from huggingface_hub import HfApi

    splits = dict(dataset.items()) if hasattr(dataset, "items") else {"train": dataset}
    for name in splits:
        if not _SPLIT_RE.match(str(name)):
            raise ValueError(f"Split name {name!r} is not a valid datasets split name (letters, digits, '_', '.')")
    api = HfApi(endpoint=endpoint, token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dataset-upload-") as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        for name, split in splits.items():
            split.to_parquet(str(data / f"{name}-00000-of-00001.parquet"))
        return api.upload_folder(
            folder_path=tmp, repo_id=repo_id, repo_type="dataset", commit_message=commit_message,
            delete_patterns=["data/*.parquet"],
        )
