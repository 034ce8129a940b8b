"""Large files through Git LFS: the batch endpoint, raw uploads checked by sha256, commits that name objects."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from course_utils.machinery.hub_server import LocalHub
from course_utils.machinery.hub_server.lfs import git_ignores, lfs_paths, lfs_pointer
from hub_fixtures import raw_request

pytestmark = pytest.mark.main_env

HEADER = {"key": "header", "value": {"summary": "add weights", "description": ""}}


def batch(hub: LocalHub, repo: str, objects: list[tuple[str, int]], token: str | None) -> tuple[int, dict]:
    status, _, body = raw_request(
        hub, "POST", f"/{repo}.git/info/lfs/objects/batch", token=token,
        body={"operation": "upload", "transfers": ["basic"], "hash_algo": "sha256",
              "objects": [{"oid": oid, "size": size} for oid, size in objects]},
        headers={"Accept": "application/vnd.git-lfs+json"},
    )
    return status, json.loads(body) if isinstance(body, bytes) else body  # application/vnd.git-lfs+json


def target_of(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + "?" + parts.query


def upload_link(hub: LocalHub, repo: str, data: bytes) -> str:
    """The signed upload target the batch endpoint gives for ``data`` in ``repo``."""
    (obj,) = batch(hub, repo, [(hashlib.sha256(data).hexdigest(), len(data))], hub.token)[1]["objects"]
    return target_of(obj["actions"]["upload"]["href"])


def upload(hub: LocalHub, repo: str, data: bytes) -> str:
    """Upload ``data`` as an LFS object of ``repo`` through a signed link; its sha256."""
    status, _, _ = raw_request(hub, "PUT", upload_link(hub, repo, data), data)
    assert status == 200
    return hashlib.sha256(data).hexdigest()


def commit_lfs(hub: LocalHub, repo: str, path: str, oid: str, size: int) -> tuple[int, dict]:
    line = {"key": "lfsFile", "value": {"path": path, "algo": "sha256", "oid": oid, "size": size}}
    body = (json.dumps(HEADER) + "\n" + json.dumps(line) + "\n").encode()
    status, _, reply = raw_request(
        hub, "POST", f"/api/models/{repo}/commit/main", body, token=hub.token,
        headers={"Content-Type": "application/x-ndjson"},
    )
    return status, reply


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@pytest.fixture()
def lfs_hub(tmp_path: Path):
    with LocalHub(tmp_path / "data", fsync=False) as hub:
        status, _, _ = raw_request(hub, "POST", "/api/repos/create", {"name": "weights", "type": "model"}, token=hub.token)
        assert status == 200
        yield hub


def test_an_object_goes_up_raw_is_verified_and_committed_by_its_sha256(lfs_hub: LocalHub) -> None:
    data = os.urandom(300_000)
    oid = hashlib.sha256(data).hexdigest()
    status, answer = batch(lfs_hub, "learner/weights", [(oid, len(data))], lfs_hub.token)
    assert status == 200 and answer["transfer"] == "basic"
    (obj,) = answer["objects"]
    status, _, _ = raw_request(lfs_hub, "PUT", target_of(obj["actions"]["upload"]["href"]), data)
    assert status == 200  # no token: the signed link is the authorisation, as with the Hub's storage links
    status, _, _ = raw_request(lfs_hub, "POST", target_of(obj["actions"]["verify"]["href"]),
                               {"oid": oid, "size": len(data)}, token=lfs_hub.token)
    assert status == 200
    status, reply = commit_lfs(lfs_hub, "learner/weights", "model.bin", oid, len(data))
    assert status == 200, reply
    status, headers, body = raw_request(lfs_hub, "GET", "/learner/weights/resolve/main/model.bin")
    assert status == 200 and body == data and headers["x-linked-etag"] == f'"{oid}"'
    # the batch endpoint now says the object is there: nothing to upload
    status, answer = batch(lfs_hub, "learner/weights", [(oid, len(data))], lfs_hub.token)
    assert "actions" not in answer["objects"][0]
    (pending,) = files_in(lfs_hub.data_dir / "lfs-uploads")  # kept a day for concurrent commits of the object,
    assert pending.samefile(lfs_hub.storage.blob_path(oid))  # as a second name of the stored bytes: no space


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda data: data[:-1] + bytes([data[-1] ^ 1]), "sha256"),  # same size, other bytes
        (lambda data: data[:-10], "bytes, not the"),  # shorter than declared
        (lambda data: data + b"extra", "bytes, not the"),  # longer than declared
    ],
    ids=["other-bytes", "too-short", "too-long"],
)
def test_bytes_that_do_not_match_the_declared_object_are_refused_and_leave_nothing(lfs_hub: LocalHub, change, message) -> None:
    data = os.urandom(200_000)
    oid = hashlib.sha256(data).hexdigest()
    status, _, reply = raw_request(lfs_hub, "PUT", upload_link(lfs_hub, "learner/weights", data), change(data))
    assert status == 400 and message in reply["error"] and "nothing was kept" in reply["error"]
    assert files_in(lfs_hub.data_dir / "lfs-uploads") == [] and files_in(lfs_hub.data_dir / "tmp") == []
    status, reply = commit_lfs(lfs_hub, "learner/weights", "model.bin", oid, len(data))
    assert status == 400 and "was not uploaded" in reply["error"]
    assert raw_request(lfs_hub, "GET", "/api/models/learner/weights/tree/main")[2][0]["path"] == ".gitattributes"
    assert len(raw_request(lfs_hub, "GET", "/api/models/learner/weights/tree/main")[2]) == 1


def test_an_interrupted_upload_leaves_nothing_and_can_be_retried(lfs_hub: LocalHub) -> None:
    data = os.urandom(1 << 20)
    oid = hashlib.sha256(data).hexdigest()
    target = upload_link(lfs_hub, "learner/weights", data)
    with socket.create_connection(("127.0.0.1", lfs_hub.port)) as sock:
        sock.sendall(f"PUT {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data[:300_000])
        sock.shutdown(socket.SHUT_WR)  # the client goes mid-body
        sock.settimeout(10)
        while sock.recv(65536):  # until the server has seen the request end early and closed the connection
            pass  # (polling at once could find a clean state before a busy server had even read the request)
    deadline = time.monotonic() + 10  # the server drops the partial file and forgets the connection
    while (lfs_hub.active_connections or files_in(lfs_hub.data_dir / "tmp")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert files_in(lfs_hub.data_dir / "tmp") == [] and files_in(lfs_hub.data_dir / "lfs-uploads") == []
    status, _, _ = raw_request(lfs_hub, "PUT", target, data)  # the same link, again
    assert status == 200
    assert commit_lfs(lfs_hub, "learner/weights", "model.bin", oid, len(data))[0] == 200


def test_upload_links_are_signed_for_one_object_and_one_repository(lfs_hub: LocalHub) -> None:
    data = os.urandom(1000)
    oid = hashlib.sha256(data).hexdigest()
    target = upload_link(lfs_hub, "learner/weights", data)
    forged = target.replace("signature=", "signature=0")
    assert raw_request(lfs_hub, "PUT", forged, data)[0] == 403
    other_repo = target.replace("/learner/weights.git/", "/learner/other.git/")
    assert raw_request(lfs_hub, "PUT", other_repo, data)[0] == 403
    other = os.urandom(1000)
    other_object = target.replace(oid, hashlib.sha256(other).hexdigest())
    assert raw_request(lfs_hub, "PUT", other_object, other)[0] == 403
    expired = target.split("?")[0] + "?expires=1&signature=" + target.split("signature=")[1]
    status, _, reply = raw_request(lfs_hub, "PUT", expired, data)
    assert status == 403 and "new link" in reply["error"]


def test_only_writers_may_ask_for_upload_links(lfs_hub: LocalHub) -> None:
    lfs_hub._auth.accounts.add_user("bob")
    bob = lfs_hub._auth.accounts.add_user("carol")
    oid = hashlib.sha256(b"x").hexdigest()
    assert batch(lfs_hub, "learner/weights", [(oid, 1)], None)[0] == 401
    assert batch(lfs_hub, "learner/weights", [(oid, 1)], bob)[0] == 403
    assert batch(lfs_hub, "learner/missing", [(oid, 1)], lfs_hub.token)[0] == 404
    status, answer = batch(lfs_hub, "learner/weights", [("not-a-sha", 1)], lfs_hub.token)
    assert status == 400 and "sha256" in answer["error"]


def test_an_object_over_the_limit_is_an_error_in_the_batch_answer(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "data", max_commit_bytes=1 << 20) as hub:
        raw_request(hub, "POST", "/api/repos/create", {"name": "w", "type": "model"}, token=hub.token)
        (obj,) = batch(hub, "learner/w", [(hashlib.sha256(b"").hexdigest(), 2 << 20)], hub.token)[1]["objects"]
        assert obj["error"]["code"] == 422 and "--max-commit-mb" in obj["error"]["message"]
        assert "actions" not in obj


def test_deleting_the_repository_frees_its_lfs_objects_and_stale_uploads_expire(lfs_hub: LocalHub) -> None:
    data = os.urandom(50_000)
    oid = hashlib.sha256(data).hexdigest()
    upload(lfs_hub, "learner/weights", data)
    assert commit_lfs(lfs_hub, "learner/weights", "model.bin", oid, len(data))[0] == 200
    stray = os.urandom(10_000)  # uploaded, never committed
    upload(lfs_hub, "learner/weights", stray)
    assert lfs_hub.storage.blob_path(oid).exists()
    assert lfs_hub.storage.forget_stale_uploads(max_age=3600) == 0  # fresh: kept for its commit
    assert lfs_hub.storage.forget_stale_uploads(max_age=0) == 2  # a day later: the stray and the committed one
    assert lfs_hub.storage.blob_path(oid).exists()  # the committed one stays in the store
    upload(lfs_hub, "learner/weights", stray)  # uploaded again
    status, _, _ = raw_request(lfs_hub, "DELETE", "/api/repos/delete", {"name": "weights", "type": "model"}, token=lfs_hub.token)
    assert status == 200
    assert not lfs_hub.storage.blob_path(oid).exists()
    assert files_in(lfs_hub.data_dir / "lfs-uploads") == []  # the repository's pending uploads went with it


def test_pointer_and_patterns_follow_git() -> None:
    sha = hashlib.sha256(b"abc").hexdigest()
    assert lfs_pointer(sha, 3) == f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize 3\n".encode()
    rules = lfs_paths("*.bin filter=lfs diff=lfs merge=lfs -text\n# *.txt filter=lfs\nsaved_model/**/* filter=lfs\n*.md text\n")
    assert rules.match_file("a/b/model.bin") and rules.match_file("saved_model/v1/x.pb")
    assert not rules.match_file("notes.txt") and not rules.match_file("README.md")
    ignored = git_ignores("*.log\n!keep.log\nbuild/\n")
    assert ignored.match_file("a.log") and not ignored.match_file("keep.log") and ignored.match_file("build/x.txt")


def test_the_client_skips_files_its_gitignore_excludes(lfs_hub: LocalHub, tmp_path: Path) -> None:
    from huggingface_hub import HfApi

    folder = tmp_path / "folder"
    (folder / "logs").mkdir(parents=True)
    (folder / ".gitignore").write_text("logs/\n*.tmp\n")
    (folder / "logs" / "run.txt").write_text("log")
    (folder / "scratch.tmp").write_text("tmp")
    (folder / "kept.txt").write_text("kept")
    api = HfApi(endpoint=lfs_hub.url, token=lfs_hub.token)
    api.upload_folder(folder_path=folder, repo_id="learner/weights")
    assert sorted(api.list_repo_files("learner/weights")) == [".gitattributes", ".gitignore", "kept.txt"]


def test_datasetdict_push_to_hub_goes_through_lfs_and_loads_back(session_hub_env, repo_name, tmp_path: Path) -> None:
    import datasets
    from huggingface_hub import HfApi

    repo_id = f"learner/{repo_name}"
    dsd = datasets.DatasetDict({
        "train": datasets.Dataset.from_dict({"text": ["a", "b", "c"], "label": [0, 1, 0]}),
        "test": datasets.Dataset.from_dict({"text": ["d"], "label": [1]}),
    })
    dsd.push_to_hub(repo_id)
    files = {entry.path: entry for entry in HfApi().list_repo_tree(repo_id, repo_type="dataset", recursive=True)
             if entry.path.endswith(".parquet")}
    assert sorted(files) == ["data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet"]
    assert all(entry.lfs is not None for entry in files.values())
    loaded = datasets.load_dataset(repo_id, cache_dir=str(tmp_path / "cache"))
    assert {k: v.to_dict() for k, v in loaded.items()} == {k: v.to_dict() for k, v in dsd.items()}


def test_lfs_objects_belong_to_their_repository(lfs_hub: LocalHub) -> None:
    """Knowing the sha256 of another learner's private file gives neither its bytes nor its existence."""
    secret = os.urandom(5000)
    oid = hashlib.sha256(secret).hexdigest()
    upload(lfs_hub, "learner/weights", secret)
    assert commit_lfs(lfs_hub, "learner/weights", "secret.bin", oid, len(secret))[0] == 200

    mallory = lfs_hub._auth.accounts.add_user("mallory")
    status, _, _ = raw_request(lfs_hub, "POST", "/api/repos/create", {"name": "mine", "type": "model"}, token=mallory)
    assert status == 200
    (obj,) = batch(lfs_hub, "mallory/mine", [(oid, len(secret))], mallory)[1]["objects"]
    assert "upload" in obj["actions"]  # "upload it": the other repository's copy is not revealed
    line = {"key": "lfsFile", "value": {"path": "stolen.bin", "algo": "sha256", "oid": oid, "size": len(secret)}}
    status, _, reply = raw_request(
        lfs_hub, "POST", "/api/models/mallory/mine/commit/main",
        (json.dumps(HEADER) + "\n" + json.dumps(line) + "\n").encode(), token=mallory,
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert status == 400 and "was not uploaded" in reply["error"]
    # within one repository, an object it holds can be named again (a copy needs no upload)
    assert commit_lfs(lfs_hub, "learner/weights", "copy.bin", oid, len(secret))[0] == 200


def test_an_upload_link_for_a_deleted_repository_is_refused_when_the_name_is_taken_again(lfs_hub: LocalHub) -> None:
    data = os.urandom(50_000)
    stale = upload_link(lfs_hub, "learner/weights", data)
    assert raw_request(lfs_hub, "DELETE", "/api/repos/delete", {"name": "weights", "type": "model"}, token=lfs_hub.token)[0] == 200
    assert raw_request(lfs_hub, "POST", "/api/repos/create", {"name": "weights", "type": "model"}, token=lfs_hub.token)[0] == 200
    status, _, reply = raw_request(lfs_hub, "PUT", stale, data)
    assert status == 403 and "ask the batch endpoint for a new link" in reply["error"]
    assert files_in(lfs_hub.data_dir / "lfs-uploads") == []
    status, _, _ = raw_request(lfs_hub, "PUT", upload_link(lfs_hub, "learner/weights", data), data)  # a fresh link works
    assert status == 200
