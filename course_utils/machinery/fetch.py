"""Fetch the full profile's assets ahead of a workshop, and verify them offline.

A workshop host runs ``./course fetch --cache DIR`` once on good Wi-Fi and hands ``DIR`` around.
It fills ``DIR`` as a Hugging Face home folder (``HF_HOME``): the checkpoints' files in the Hub
cache, the datasets' files there too and prepared in the datasets cache, so that the notebooks'
unchanged loading code finds everything with ``HF_HOME=DIR HF_HUB_OFFLINE=1``. It writes
``DIR/course-manifest.json``: each asset's repository, revision (commit sha), files, sizes and
sha256. ``./course verify --cache DIR`` checks the folder against it without the network, and
names every missing or damaged file.

A fetch that was interrupted, or that finds damaged files, starts again where it stopped: files
whose content matches the Hub's (git object id or LFS sha256) are kept, others are removed and
downloaded again. Only the files the notebooks load are fetched (the weights of one framework,
not every format a repository holds).

Used by ``./course fetch`` and ``./course verify``, and the tests.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from course_utils.machinery.assets import file_sha256
from course_utils.machinery.profiles import all_assets

MANIFEST = "course-manifest.json"
MANIFEST_FORMAT = 1

#: What each notebook loads from its checkpoint's repository, besides configuration and tokenizer files.
WEIGHTS_BY_NOTEBOOK = {
    "02_keras_to_tf_dataset": ("tf_model.h5",),
    "04_training_tokenizers": (),  # the tokenizer only
}
#: PyTorch weights, in the order transformers prefers them; the first the repository has is fetched.
TORCH_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
#: Configuration, tokenizer and card files of a checkpoint.
SMALL_FILES = ("*.json", "vocab.txt", "merges.txt", "*.model", "README.md")


class FetchError(RuntimeError):
    """A fetch or a verification found a problem; the message says what to do."""


@dataclass
class Asset:
    """One repository of the full profile, and what of it the notebooks need."""

    kind: str  # "dataset" or "model"
    repo_id: str
    config: str | None = None
    weights: set[str] = field(default_factory=set)  # model files to fetch besides SMALL_FILES
    notebooks: list[str] = field(default_factory=list)


def full_profile_assets() -> list[Asset]:
    """The Hub assets of every notebook's full profile, one entry per repository (and dataset config)."""
    found: dict[tuple[str, str, str | None], Asset] = {}
    for assets in all_assets("full"):
        if assets.dataset:
            key = ("dataset", assets.dataset, assets.dataset_config)
            found.setdefault(key, Asset("dataset", assets.dataset, assets.dataset_config)).notebooks.append(assets.notebook)
        if assets.checkpoint:
            key = ("model", assets.checkpoint, None)
            asset = found.setdefault(key, Asset("model", assets.checkpoint))
            asset.notebooks.append(assets.notebook)
            asset.weights.update(WEIGHTS_BY_NOTEBOOK.get(assets.notebook, TORCH_WEIGHTS))
        for repo_id in assets.tokenizers:  # their small files only, no weights
            found.setdefault(("model", repo_id, None), Asset("model", repo_id)).notebooks.append(assets.notebook)
    return list(found.values())


# ------------------------------------------------------------------------------------ hashing


def git_oid_of(path: Path) -> str:
    """The git object id of a file (``sha1("blob <size>\\0" + content)``), as the Hub lists regular files."""
    digest = hashlib.sha1(b"blob %d\x00" % path.stat().st_size)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -------------------------------------------------------------------------------------- fetch


def _repo_folder(cache: Path, kind: str, repo_id: str) -> Path:
    return cache / "hub" / f"{kind}s--{repo_id.replace('/', '--')}"


def _snapshot(cache: Path, kind: str, repo_id: str, revision: str) -> Path:
    return _repo_folder(cache, kind, repo_id) / "snapshots" / revision


def _remove_damaged(cache: Path, asset: Asset, revision: str, tree: dict[str, Any], log: Callable[[str], None]) -> None:
    """Remove cached files of ``asset`` whose content differs from the Hub's, so they are downloaded again."""
    snapshot = _snapshot(cache, asset.kind, asset.repo_id, revision)
    for path, entry in tree.items():
        local = snapshot / path
        if not local.exists():
            continue
        lfs = getattr(entry, "lfs", None)
        expected = lfs.sha256 if lfs else entry.blob_id
        actual = file_sha256(local) if lfs else git_oid_of(local)
        if actual != expected:
            log(f"  {asset.repo_id}: {path} is damaged; downloading it again")
            target = local.resolve()
            local.unlink()
            if target != local and target.exists():
                target.unlink()


def _model_files(asset: Asset, names: Iterable[str]) -> list[str]:
    names = list(names)
    chosen = [n for n in names if "/" not in n and any(fnmatch.fnmatch(n, p) for p in SMALL_FILES)]
    torch_weights = [w for w in TORCH_WEIGHTS if w in asset.weights and w in names][:1]
    other_weights = [w for w in sorted(asset.weights - set(TORCH_WEIGHTS)) if w in names]
    missing = sorted(w for w in asset.weights - set(TORCH_WEIGHTS) if w not in names)
    if missing or (set(TORCH_WEIGHTS) & asset.weights and not torch_weights):
        wanted = missing or [" or ".join(TORCH_WEIGHTS)]
        raise FetchError(f"The checkpoint {asset.repo_id!r} has no {', '.join(wanted)}, which notebook(s) {', '.join(asset.notebooks)} load.")
    return sorted(set(chosen) | set(torch_weights) | set(other_weights))


def fetch(cache: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Download every full-profile asset into ``cache`` (an ``HF_HOME``) and write its manifest.

    ``HF_HOME`` must already point at ``cache`` (``main`` sets it before importing the libraries).
    Returns the manifest. Raises :class:`FetchError` naming the asset that could not be fetched.
    """
    import datasets
    from huggingface_hub import HfApi, constants, snapshot_download

    if Path(constants.HF_HOME).resolve() != cache.resolve():
        raise FetchError(f"HF_HOME is {constants.HF_HOME}, not {cache}: set it before importing huggingface_hub.")
    api = HfApi()
    entries = []
    try:  # what an earlier fetch prepared, to find damaged prepared datasets
        previous = {(a["repo_id"], a["config"]): a.get("prepared", []) for a in read_manifest(cache)["assets"]}
    except FetchError:
        previous = {}
    for asset in full_profile_assets():
        log(f"{asset.kind} {asset.repo_id}" + (f" ({asset.config})" if asset.config else "") + f", for {', '.join(asset.notebooks)}")
        try:
            info = api.repo_info(asset.repo_id, repo_type=asset.kind)
            revision = info.sha
            tree = {
                e.path: e for e in api.list_repo_tree(asset.repo_id, repo_type=asset.kind, revision=revision, recursive=True)
                if hasattr(e, "blob_id")
            }
            _remove_damaged(cache, asset, revision, tree, log)
            if asset.kind == "model":
                files = _model_files(asset, tree)
                snapshot_download(asset.repo_id, allow_patterns=files)
            else:
                entry = _prepare_dataset(cache, asset, previous.get((asset.repo_id, asset.config), []), log)
                files = None
        except FetchError:
            raise
        except Exception as exc:
            raise FetchError(
                f"Could not fetch the {asset.kind} {asset.repo_id!r} ({type(exc).__name__}: {exc}). What was fetched "
                "so far is kept: run the same command again to go on."
            ) from exc
        snapshot = _snapshot(cache, asset.kind, asset.repo_id, revision)
        if files is None:  # a dataset: the files load_dataset downloaded
            files = sorted(str(p.relative_to(snapshot)) for p in snapshot.rglob("*") if p.is_file())
        record = {
            "kind": asset.kind,
            "repo_id": asset.repo_id,
            "config": asset.config,
            "revision": revision,
            "notebooks": asset.notebooks,
            "files": [_describe(snapshot / name, name) for name in files],
        }
        if asset.kind == "dataset":
            record["prepared"] = entry
        entries.append(record)
    manifest = {
        "format": MANIFEST_FORMAT,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "endpoint": constants.ENDPOINT,
        "libraries": {"huggingface_hub": _version("huggingface_hub"), "datasets": datasets.__version__},
        "assets": entries,
    }
    _write_json(cache / MANIFEST, manifest)
    total = sum(f["size"] for e in entries for f in e["files"] + e.get("prepared", []))
    log(f"fetched {len(entries)} assets, {total / 1e6:.1f} MB; manifest: {cache / MANIFEST}")
    return manifest


def _prepare_dataset(cache: Path, asset: Asset, previous: list[dict[str, Any]], log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Download and prepare a dataset config (what ``load_dataset`` reads offline); describe the prepared files.

    ``previous`` is what an earlier fetch prepared: if any of it is missing or damaged, the prepared
    folder is removed first, so ``load_dataset`` prepares it again from the downloaded files.
    """
    import datasets

    damaged = [f["path"] for f in previous if not _intact(cache / f["path"], f)]
    if damaged:
        log(f"  {asset.repo_id}: prepared data damaged ({damaged[0]}); preparing it again")
        shutil.rmtree((cache / damaged[0]).parent, ignore_errors=True)
    data = datasets.load_dataset(asset.repo_id, asset.config)
    roots = {Path(f["filename"]).parent for split in data.values() for f in split.cache_files}
    if len(roots) != 1:
        raise FetchError(f"The dataset {asset.repo_id!r} was prepared in {len(roots)} folders; expected one.")
    root = roots.pop()
    return [_describe(p, str(p.relative_to(cache))) for p in sorted(root.iterdir()) if p.is_file() and not p.name.endswith(".lock")]


def _intact(path: Path, expected: dict[str, Any]) -> bool:
    return path.is_file() and path.stat().st_size == expected["size"] and file_sha256(path) == expected["sha256"]


def _describe(path: Path, name: str) -> dict[str, Any]:
    return {"path": name, "size": path.stat().st_size, "sha256": file_sha256(path)}


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def _write_json(path: Path, data: Any) -> None:
    scratch = path.with_name(path.name + ".tmp")
    scratch.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, path)


# ------------------------------------------------------------------------------------- verify


def read_manifest(cache: Path) -> dict[str, Any]:
    """The manifest of a fetched cache; :class:`FetchError` when it is missing or unreadable."""
    path = cache / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FetchError(f"{path} does not exist: this folder was not filled by `./course fetch --cache {cache}`.") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"{path} is unreadable ({exc}): fetch again with `./course fetch --cache {cache}`.") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise FetchError(f"{path} has format {manifest.get('format')!r}, this course reads {MANIFEST_FORMAT}: fetch again.")
    return manifest


def verify(cache: Path) -> list[str]:
    """Check every file the manifest lists, offline; return one line per missing or damaged file."""
    manifest = read_manifest(cache)
    problems = []
    for asset in manifest["assets"]:
        snapshot = _snapshot(cache, asset["kind"], asset["repo_id"], asset["revision"])
        located = [(snapshot / f["path"], f) for f in asset["files"]]
        located += [(cache / f["path"], f) for f in asset.get("prepared", [])]
        refs = _repo_folder(cache, asset["kind"], asset["repo_id"]) / "refs" / "main"
        label = f"{asset['kind']} {asset['repo_id']}"
        if not refs.is_file() or refs.read_text().strip() != asset["revision"]:
            problems.append(f"{label}: the cache's main revision is not {asset['revision'][:12]} (refs/main)")
        for path, expected in located:
            if not path.is_file():
                problems.append(f"{label}: missing {expected['path']}")
            elif not _intact(path, expected):
                problems.append(f"{label}: damaged {expected['path']} (size or sha256 differs from the manifest)")
    return problems


# ---------------------------------------------------------------------------------------- cli


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.machinery.fetch fetch|verify [--cache DIR]`` (``./course fetch``, ``./course verify``)."""
    import argparse

    parser = argparse.ArgumentParser(prog="./course fetch|verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["fetch", "verify"])
    parser.add_argument("--cache", type=Path, help="the folder to fill or check (default: $HF_HOME, else ~/.cache/huggingface)")
    args = parser.parse_args(argv)
    cache = (args.cache or Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")).expanduser().resolve()
    try:
        if args.command == "verify":
            problems = verify(cache)
            manifest = read_manifest(cache)
            if problems:
                print(*problems, sep="\n", file=sys.stderr)
                print(
                    f"{len(problems)} problem(s) in {cache}. Fetch again on a connected machine with "
                    f"`./course fetch --cache {cache}`: it keeps what is intact and downloads the rest.",
                    file=sys.stderr,
                )
                return 1
            count = sum(len(a["files"]) + len(a.get("prepared", [])) for a in manifest["assets"])
            print(f"{cache}: {len(manifest['assets'])} assets, {count} files, all intact (fetched {manifest['created']}).")
            print(f"Run the full profile offline with: HF_HOME={cache} HF_HUB_OFFLINE=1 COURSE_PROFILE=full ...")
            return 0
        cache.mkdir(parents=True, exist_ok=True)
        os.environ["HF_HOME"] = str(cache)
        for name in ("HF_HUB_CACHE", "HF_DATASETS_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ.pop(name, None)
        fetch(cache)
        return 0
    except FetchError as exc:
        print(f"[course] error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
