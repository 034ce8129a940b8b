"""``lastCommit`` of expanded listings: right, and bounded work per request whatever the history."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils.machinery.hub_server import LocalHub
from course_utils.machinery.hub_server.storage import Commit, RepoKey, Storage
from hub_fixtures import raw_request

pytestmark = pytest.mark.main_env

KEY = RepoKey("model", "learner", "history")


def commit_files(storage: Storage, files: dict[str, bytes], summary: str) -> Commit:
    staged = [storage.stage_blob(content) for content in files.values()]
    operations = [("add", path, blob.entry) for path, blob in zip(files, staged)]
    commit, _ = storage.commit(KEY, "main", operations, staged, summary=summary, description="", author="learner")
    return commit


def counting_reads(storage: Storage, monkeypatch) -> list[int]:
    """The file-table sizes of the commits ``storage`` reads from now on (the walk's work)."""
    sizes: list[int] = []
    read = storage.read_commit

    def counted(key: RepoKey, sha: str) -> Commit:
        commit = read(key, sha)
        sizes.append(len(commit.files))
        return commit

    monkeypatch.setattr(storage, "read_commit", counted)
    return sizes


def history(tmp_path: Path, commits: int) -> Storage:
    """``old.txt`` from the first commit on, then ``new.txt`` changed by each of ``commits`` commits."""
    storage = Storage(tmp_path / f"data-{commits}", fsync=False)
    storage.create_repo(KEY, private=False, author="learner")
    commit_files(storage, {"old.txt": b"never changes", **{f"f{i}.txt": b"filler" for i in range(20)}}, "first")
    for n in range(commits):
        commit_files(storage, {"new.txt": f"version {n}".encode()}, f"change {n}")
    return storage


def test_each_path_gets_the_newest_commit_that_changed_it(tmp_path: Path) -> None:
    storage = Storage(tmp_path / "data", fsync=False)
    storage.create_repo(KEY, private=False, author="learner")
    first = commit_files(storage, {"a.txt": b"1", "docs/b.txt": b"1"}, "first")
    second = commit_files(storage, {"docs/deep/c.txt": b"1"}, "second")
    third = commit_files(storage, {"a.txt": b"2"}, "third")
    commit_files(storage, {"a.txt": b"2"}, "same bytes again")  # changes nothing
    head = storage.resolve(KEY, "main")
    wanted = ["a.txt", "docs", "docs/b.txt", "docs/deep", "docs/deep/c.txt", ".gitattributes", "missing.txt"]
    last = {path: commit.summary for path, commit in storage.last_commits(KEY, head, wanted).items()}
    assert last == {
        "a.txt": third.summary, "docs": second.summary, "docs/b.txt": first.summary, "docs/deep": second.summary,
        "docs/deep/c.txt": second.summary, ".gitattributes": storage.read_commit(KEY, first.parent).summary,
    }, "a path the commit lacks gets none"


def test_the_walk_stops_at_its_budget_however_long_the_history(tmp_path: Path, monkeypatch) -> None:
    work = {}
    for commits in (50, 200):
        storage = history(tmp_path, commits)
        head = storage.resolve(KEY, "main")
        sizes = counting_reads(storage, monkeypatch)
        last = storage.last_commits(KEY, head, ["new.txt", "old.txt"], budget=1_000)
        work[commits] = sum(sizes) + len(head.files) * len(sizes)  # entries compared
        assert last["new.txt"].summary == f"change {commits - 1}"
        assert "old.txt" not in last, "a change further back than the budget reaches is left out, not guessed"
        storage.close()
    assert work[50] == work[200] <= 1_000 + 2 * 23, f"work per request grows with the history: {work}"


def test_expanded_paths_info_for_missing_paths_walks_no_history(tmp_path: Path, monkeypatch) -> None:
    """Before, each of 1,000 missing paths walked the whole history (300 files, 300 commits: 23.6 s of CPU)."""
    history(tmp_path, 60).close()
    with LocalHub(tmp_path / "data-60", fsync=False) as hub:
        sizes = counting_reads(hub.storage, monkeypatch)
        status, _, reply = raw_request(hub, "POST", "/api/models/learner/history/paths-info/main",
                                       {"paths": [f"nope/{i}.txt" for i in range(1000)], "expand": True})
        assert (status, reply) == (200, [])
        assert len(sizes) <= 1, f"missing paths made the server read {len(sizes)} commits, not just the head"
        status, _, reply = raw_request(hub, "GET", "/api/models/learner/history/tree/main?expand=true")
        entries = {entry["path"]: entry for entry in reply}
        assert status == 200 and entries["new.txt"]["lastCommit"]["title"] == "change 59"
        assert entries["old.txt"]["lastCommit"]["title"] == "first"  # within the default budget
