"""What notebook 00 reports: library versions, the accelerator, which assets are ready.

Used in notebooks/00_setup_check.ipynb.
"""

from __future__ import annotations

from importlib import metadata

from course_utils.machinery.profiles import OFFLINE_MINILM, all_assets

MAIN_LIBRARIES: tuple[str, ...] = (
    "torch",
    "transformers",
    "tokenizers",
    "datasets",
    "huggingface_hub",
    "accelerate",
    "numpy",
    "pandas",
    "scikit-learn",
)


def library_versions(names: tuple[str, ...] = MAIN_LIBRARIES) -> dict[str, str]:
    """Installed version of each distribution, without local build tags (``2.13.0+cpu`` -> ``2.13.0``).

    A missing library shows as ``not installed``.
    """
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name).split("+", 1)[0]
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def accelerator() -> str:
    """A short description of the device PyTorch will train on (``cpu`` when none)."""
    try:
        import torch
    except ImportError:
        return "cpu (torch not installed)"
    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        bf16 = torch.cuda.is_bf16_supported()
        return f"cuda: {torch.cuda.device_count()} x {name} (bf16: {'yes' if bf16 else 'no'})"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps (Apple GPU)"
    return "cpu"


def fp16_supported() -> bool:
    """True on a CUDA GPU, where ``TrainingArguments(fp16=True)`` works. Used in notebook 01."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def asset_status(profile: str | None = None) -> list[dict[str, str]]:
    """One row per distinct asset of a profile: name, kind, notebooks, and whether it is ready.

    In the smoke profile the course's local Hub serves every asset: stand-in datasets, the offline
    weights (ready once their sha256 matches) and GPT-2's genuine tokenizer. In the full profile, Hub
    assets are ready when the local cache holds them (no network is used here).
    """
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for assets in all_assets(profile):
        loaded = [("dataset", assets.dataset), ("checkpoint", assets.checkpoint)] + [("checkpoint", t) for t in assets.tokenizers]
        for kind, name in loaded:
            if not name:
                continue
            row = rows.setdefault(
                (kind, name), {"asset": name, "kind": kind, "notebooks": "", "status": _status(kind, name, assets.offline)}
            )
            number = assets.notebook.split("_", 1)[0]
            row["notebooks"] = ", ".join(filter(None, [row["notebooks"], number]))
    return list(rows.values())


def _status(kind: str, name: str, local_hub: bool) -> str:
    from course_utils.machinery.assets import AssetUnavailableError, offline_minilm_path

    if local_hub and name == OFFLINE_MINILM:
        try:
            offline_minilm_path()
        except AssetUnavailableError as exc:
            return f"missing: {exc}"
        return "local Hub: genuine weights, sha256 verified"
    if local_hub:
        return "local Hub: a stand-in the course generates" if kind == "dataset" else "local Hub: genuine tokenizer files"
    return "in the local cache" if _in_hub_cache(kind, name) else "not cached (needs the Hub)"


def _in_hub_cache(kind: str, name: str) -> bool:
    try:
        from huggingface_hub import scan_cache_dir
    except ImportError:  # pragma: no cover
        return False
    try:
        cache = scan_cache_dir()
    except Exception:  # no cache folder yet
        return False
    repo_type = "dataset" if kind == "dataset" else "model"
    return any(repo.repo_id == name and repo.repo_type == repo_type for repo in cache.repos)
