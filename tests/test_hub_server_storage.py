"""Storage hygiene: deleting repositories frees their unreferenced contents, and nothing else."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from course_utils.machinery.hub_server.storage import RepoKey, Storage

pytestmark = pytest.mark.main_env


def commit_files(storage: Storage, key: RepoKey, files: dict[str, bytes]) -> None:
    staged = [storage.stage_blob(content) for content in files.values()]
    operations = [("add", path, blob.entry) for path, blob in zip(files, staged)]
    storage.commit(key, "main", operations, staged, summary="add", description="", author="learner")


def blobs(storage: Storage) -> set[str]:
    return {p.parent.name + p.name for p in storage.blobs_dir.glob("*/*")}


def test_deleting_a_repository_frees_what_only_it_referenced(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "data", fsync=False)
    mine, theirs = RepoKey("model", "learner", "mine"), RepoKey("model", "learner", "theirs")
    for key in (mine, theirs):
        storage.create_repo(key, private=False, author="learner")
    commit_files(storage, mine, {"own.bin": b"only mine" * 1000, "shared.txt": b"in both"})
    commit_files(storage, theirs, {"shared.txt": b"in both"})
    own = storage.stage_blob(b"only mine" * 1000).entry.sha256
    shared = storage.stage_blob(b"in both").entry.sha256
    assert {own, shared} <= blobs(storage)

    storage.delete_repo(mine)
    assert own not in blobs(storage), "contents only the deleted repository referenced are freed"
    assert shared in blobs(storage), "contents another repository references stay"
    head = storage.resolve(theirs, "main")
    assert storage.blob_path(head.files["shared.txt"].sha256).read_bytes() == b"in both"
    assert storage.collect_garbage() == (0, 0), "nothing left to free"


def test_content_staged_by_a_commit_survives_a_collection_in_between(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "data", fsync=False)
    old, new = RepoKey("model", "learner", "old"), RepoKey("model", "learner", "new")
    for key in (old, new):
        storage.create_repo(key, private=False, author="learner")
    commit_files(storage, old, {"weights.bin": b"same bytes" * 500})
    staged = storage.stage_blob(b"same bytes" * 500)  # already stored: reused, not written again
    storage.delete_repo(old)  # no commit references it any more: the collector removes the stored copy
    storage.commit(new, "main", [("add", "weights.bin", staged.entry)], [staged], summary="s", description="", author="learner")
    head = storage.resolve(new, "main")
    assert storage.blob_path(head.files["weights.bin"].sha256).read_bytes() == b"same bytes" * 500


def test_commits_and_collections_at_once_lose_nothing(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "data", fsync=False)
    keeper = RepoKey("model", "learner", "keeper")
    storage.create_repo(keeper, private=False, author="learner")
    errors: list[BaseException] = []

    def churn() -> None:
        try:
            for i in range(15):
                doomed = RepoKey("model", "learner", f"doomed-{i}")
                storage.create_repo(doomed, private=False, author="learner")
                commit_files(storage, doomed, {"f.bin": b"shared content", "g.bin": f"own {i}".encode()})
                storage.delete_repo(doomed)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=churn)
    thread.start()
    for i in range(15):
        commit_files(storage, keeper, {f"f{i}.bin": b"shared content"})
    thread.join()
    assert not errors
    head = storage.resolve(keeper, "main")
    for path, entry in head.files.items():
        assert storage.blob_path(entry.sha256).exists(), path


def test_a_blob_that_cannot_be_written_leaves_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    storage = Storage(tmp_path / "data", fsync=False)
    real_open = builtins.open

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            self.handle.write(bytes(data)[:10])
            raise OSError(28, "No space left on device")

    def open_full(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        return FullDisk(handle) if "w" in mode and "blob-" in str(path) else handle

    monkeypatch.setattr(builtins, "open", open_full)
    with pytest.raises(OSError, match="No space left"):
        storage.stage_blob(b"x" * 1000)
    monkeypatch.setattr(builtins, "open", real_open)
    assert list(storage.tmp_dir.iterdir()) == []


def test_moves_duplicates_squashes_and_deletes_at_once_lose_no_file(tmp_path: Path) -> None:
    # Issue 21: a move renamed its folder outside the collector's order, and a collection run by a
    # concurrent delete missed the repository mid-rename and deleted its files for good.
    import time

    storage = Storage(tmp_path / "data", fsync=False)
    names = [RepoKey("model", "alice", "model"), RepoKey("model", "alice", "model-v2")]
    storage.create_repo(names[0], private=False, author="alice")
    alices = {f"u{i}.txt": f"alice's file {i}".encode() for i in range(10)}
    commit_files(storage, names[0], alices)
    kept: dict[RepoKey, bytes] = {}
    errors: list[BaseException] = []
    deadline = time.monotonic() + 4

    def alice() -> None:
        moves = 0
        try:
            while time.monotonic() < deadline:
                storage.move_repo(names[moves % 2], names[(moves + 1) % 2])
                moves += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def bob(worker: int) -> None:
        round_ = 0
        try:
            while time.monotonic() < deadline:
                scratch = RepoKey("model", "bob", f"scratch-{worker}-{round_}")
                copy = RepoKey("model", "bob", f"copy-{worker}-{round_}")
                content = f"bob {worker} {round_}".encode()
                storage.create_repo(scratch, private=False, author="bob")
                commit_files(storage, scratch, {"b.txt": content})
                storage.squash(scratch, "main", "squashed", "bob")
                storage.duplicate_repo(scratch, copy, private=None)
                storage.delete_repo(scratch)
                if round_ % 3:
                    storage.delete_repo(copy)
                else:
                    kept[copy] = content
                round_ += 1
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=alice), *(threading.Thread(target=bob, args=(w,)) for w in range(2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    [home] = [key for key in names if storage.repo_exists(key)]
    for key, expected in [(home, alices), *((copy, {"b.txt": content}) for copy, content in kept.items())]:
        files = storage.resolve(key, "main").files
        for path, content in expected.items():
            try:
                stored = storage.blob_path(files[path].sha256).read_bytes()
            except FileNotFoundError:
                raise AssertionError(f"{key.repo_id}/{path}: its stored content is gone") from None
            assert stored == content, f"{key.repo_id}/{path}"
    assert kept, "the churn made and kept some copies"


def test_creating_one_name_in_three_letter_cases_at_once_makes_one_repository(tmp_path: Path) -> None:
    # Issue 21: the per-repository lock was case-sensitive, and concurrent creates of alice/race0,
    # Alice/RACE0 and ALICE/Race0 made three repositories.
    from course_utils.machinery.hub_server.storage import HubError

    storage = Storage(tmp_path / "data", fsync=False)
    for round_ in range(5):
        keys = [RepoKey("model", ns, name) for ns, name in (("alice", f"race{round_}"), ("Alice", f"RACE{round_}"),
                                                              ("ALICE", f"Race{round_}"))]
        start = threading.Barrier(len(keys))
        outcomes: list[str] = []

        def create(key: RepoKey) -> None:
            start.wait()
            try:
                storage.create_repo(key, private=False, author="alice")
                outcomes.append("created")
            except HubError as error:
                outcomes.append(str(error.status))

        threads = [threading.Thread(target=create, args=(key,)) for key in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["409", "409", "created"], outcomes
        made = [path for path in storage.repos_dir.glob("models/*/*") if path.name.casefold() == f"race{round_}"]
        assert len(made) == 1, made


def test_temporary_files_a_killed_write_left_are_removed_at_the_next_start(tmp_path: Path) -> None:
    # Issue 21: kill -9 during an atomic JSON write left .refs.json.*.tmp and commits/.<sha>.json.*.tmp
    # files that no restart removed.
    import os
    import time

    storage = Storage(tmp_path / "data", fsync=False)
    key = RepoKey("model", "learner", "crashed")
    storage.create_repo(key, private=False, author="learner")
    folder = storage.repo_dir(key)
    left = [folder / ".refs.json.0a1b2c.tmp", folder / "commits" / f".{'a' * 40}.json.3d4e5f.tmp"]
    live = folder / ".repo.json.777777.tmp"  # being written right now by another server on the same folder
    for path in [*left, live]:
        path.write_text("{")
    an_hour_ago = time.time() - 3600
    for path in left:
        os.utime(path, (an_hour_ago, an_hour_ago))
    storage.close()

    restarted = Storage(tmp_path / "data", fsync=False)
    assert not any(path.exists() for path in left)
    assert live.exists(), "a fresh temporary file may belong to a live writer: kept"
    assert restarted.resolve(key, "main").files  # the repository itself is untouched
