"""The real ``huggingface_hub`` client against the local Hub, endpoint by endpoint.

Each test starts its own server on ``tmp_path`` (fixture ``hub``) and talks to it through
``HfApi(endpoint=...)`` (fixture ``hub_api``), so nothing depends on the global HF_ENDPOINT.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from hub_fixtures import raw_request

pytestmark = pytest.mark.main_env


def git_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def download(hub, tmp_path: Path, repo_id: str, filename: str, **kwargs) -> bytes:
    from huggingface_hub import hf_hub_download

    path = hf_hub_download(
        repo_id, filename, endpoint=hub.url, token=hub.token, cache_dir=tmp_path / "cache", **kwargs
    )
    return Path(path).read_bytes()


def test_whoami_and_repository_lifecycle(hub, hub_api):
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    assert hub_api.whoami()["name"] == "learner"

    url = hub_api.create_repo("learner/lifecycle")
    assert url.repo_id == "learner/lifecycle"
    assert url.endpoint == hub.url
    assert str(url) == f"{hub.url}/learner/lifecycle"
    assert hub_api.repo_exists("learner/lifecycle")

    with pytest.raises(HfHubHTTPError) as info:
        hub_api.create_repo("learner/lifecycle")
    assert info.value.response.status_code == 409
    assert hub_api.create_repo("learner/lifecycle", exist_ok=True).repo_id == "learner/lifecycle"

    repo = hub_api.repo_info("learner/lifecycle")
    assert repo.id == "learner/lifecycle"
    assert len(repo.sha) == 40 and int(repo.sha, 16) >= 0
    assert repo.private is False
    assert [s.rfilename for s in repo.siblings] == [".gitattributes"]  # like huggingface.co's initial commit

    # A repository name without namespace goes to the token's user.
    assert hub_api.create_repo("no-namespace").repo_id == "learner/no-namespace"

    hub_api.delete_repo("learner/lifecycle")
    assert not hub_api.repo_exists("learner/lifecycle")
    with pytest.raises(RepositoryNotFoundError):
        hub_api.delete_repo("learner/lifecycle")
    hub_api.delete_repo("learner/lifecycle", missing_ok=True)
    # Re-created from scratch: the old history is gone.
    hub_api.create_repo("learner/lifecycle")
    assert hub_api.repo_info("learner/lifecycle").sha != repo.sha


def test_upload_list_and_tree(hub, hub_api, tmp_path):
    from huggingface_hub.errors import EntryNotFoundError
    from huggingface_hub.hf_api import RepoFile, RepoFolder

    hub_api.create_repo("learner/tree")
    folder = tmp_path / "folder"
    (folder / "sub" / "deeper").mkdir(parents=True)
    (folder / "top.txt").write_bytes(b"top")
    (folder / "sub" / "a.txt").write_bytes(b"aaa")
    (folder / "sub" / "deeper" / "b.bin").write_bytes(bytes(range(256)) * 10)
    hub_api.upload_folder(folder_path=folder, repo_id="learner/tree")
    hub_api.upload_file(path_or_fileobj=b"single", path_in_repo="single.txt", repo_id="learner/tree")

    assert sorted(hub_api.list_repo_files("learner/tree")) == [
        ".gitattributes", "single.txt", "sub/a.txt", "sub/deeper/b.bin", "top.txt",
    ]
    root = {e.path: e for e in hub_api.list_repo_tree("learner/tree")}
    assert set(root) == {".gitattributes", "single.txt", "sub", "top.txt"}
    assert isinstance(root["sub"], RepoFolder) and isinstance(root["top.txt"], RepoFile)
    assert root["top.txt"].size == 3 and root["top.txt"].blob_id == git_oid(b"top")

    sub = {e.path for e in hub_api.list_repo_tree("learner/tree", path_in_repo="sub")}
    assert sub == {"sub/a.txt", "sub/deeper"}
    deep = {e.path for e in hub_api.list_repo_tree("learner/tree", path_in_repo="sub", recursive=True)}
    assert deep == {"sub/a.txt", "sub/deeper", "sub/deeper/b.bin"}

    with pytest.raises(EntryNotFoundError):
        list(hub_api.list_repo_tree("learner/tree", path_in_repo="missing"))
    # What transformers asks for every tokenizer: must be EntryNotFound (a 404), not a 401/500.
    status, headers, body = raw_request(hub, "GET", "/api/models/learner/tree/tree/main/additional_chat_templates")
    assert status == 404 and headers["x-error-code"] == "EntryNotFound" and "error" in body

    info = hub_api.model_info("learner/tree", files_metadata=True)
    sizes = {s.rfilename: (s.size, s.blob_id) for s in info.siblings}
    assert sizes["sub/a.txt"] == (3, git_oid(b"aaa"))

    paths = {p.path: p for p in hub_api.get_paths_info("learner/tree", ["top.txt", "sub", "nope"])}
    assert set(paths) == {"top.txt", "sub"} and isinstance(paths["sub"], RepoFolder)

    expanded = {e.path: e for e in hub_api.list_repo_tree("learner/tree", expand=True)}
    assert expanded["single.txt"].last_commit.title == "Upload single.txt with huggingface_hub"
    assert expanded["top.txt"].last_commit.oid != expanded["single.txt"].last_commit.oid

    assert download(hub, tmp_path, "learner/tree", "sub/deeper/b.bin") == bytes(range(256)) * 10


def test_errors_raised_by_the_client(hub, hub_api, tmp_path):
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    hub_api.create_repo("learner/errors")
    hub_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="learner/errors")

    with pytest.raises(RepositoryNotFoundError):
        hub_api.model_info("learner/does-not-exist")
    with pytest.raises(RepositoryNotFoundError):
        download(hub, tmp_path, "learner/does-not-exist", "x.txt")
    with pytest.raises(RevisionNotFoundError):
        hub_api.model_info("learner/errors", revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        download(hub, tmp_path, "learner/errors", "x.txt", revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        download(hub, tmp_path, "learner/errors", "x.txt", revision="0" * 40)
    with pytest.raises(EntryNotFoundError):
        download(hub, tmp_path, "learner/errors", "missing.txt")
    assert not hub_api.file_exists("learner/errors", "missing.txt")
    assert hub_api.file_exists("learner/errors", "x.txt")
    assert not hub_api.revision_exists("learner/errors", "nope")

    # The raw replies carry the codes the client keys on, and a JSON error message.
    head = hub_api.repo_info("learner/errors").sha
    for target, code in [
        ("/learner/does-not-exist/resolve/main/x.txt", "RepoNotFound"),
        ("/learner/errors/resolve/nope/x.txt", "RevisionNotFound"),
        ("/learner/errors/resolve/main/missing.txt", "EntryNotFound"),
        ("/api/models/learner/errors/revision/nope", "RevisionNotFound"),
    ]:
        status, headers, body = raw_request(hub, "GET", target)
        assert (status, headers["x-error-code"]) == (404, code), target
        assert isinstance(body["error"], str) and body["error"]
    status, headers, _ = raw_request(hub, "HEAD", "/learner/errors/resolve/main/missing.txt")
    assert status == 404 and headers["x-repo-commit"] == head  # lets the client cache the absence


def test_downloads_are_plain_http_never_xet_and_report_lfs_files_as_the_hub_does(hub, hub_api):
    hub_api.create_repo("learner/plain")
    data = b"0123456789" * 1000
    hub_api.upload_file(path_or_fileobj=data, path_in_repo="d.txt", repo_id="learner/plain")
    hub_api.upload_file(path_or_fileobj=data, path_in_repo="d.bin", repo_id="learner/plain")  # *.bin: LFS
    head = hub_api.repo_info("learner/plain").sha

    status, headers, _ = raw_request(hub, "HEAD", "/learner/plain/resolve/main/d.txt")
    assert status == 200
    assert headers["x-repo-commit"] == head
    assert headers["etag"] == f'"{git_oid(data)}"' and "x-linked-etag" not in headers
    assert headers["content-length"] == str(len(data))
    assert not any(name.startswith("x-xet") for name in headers)

    sha256 = hashlib.sha256(data).hexdigest()
    status, headers, body = raw_request(hub, "GET", "/learner/plain/resolve/main/d.bin")
    assert status == 200 and body == data
    assert headers["x-linked-etag"] == headers["etag"] == f'"{sha256}"'
    assert headers["x-linked-size"] == str(len(data))
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {len(data)}\n".encode()
    (entry,) = hub_api.get_paths_info("learner/plain", ["d.bin"])
    assert entry.blob_id == git_oid(pointer)  # git names an LFS file by its pointer, as the Hub does
    assert entry.lfs.sha256 == sha256 and entry.lfs.size == len(data) and entry.lfs.pointer_size == len(pointer)

    status, headers, body = raw_request(
        hub, "POST", "/api/models/learner/plain/preupload/main", token=hub.token,
        body={"files": [
            {"path": "d.txt", "sample": "", "size": len(data)},
            {"path": "d.bin", "sample": "", "size": len(data)},
            {"path": "new.txt", "sample": "", "size": 1},
            {"path": "huge.txt", "sample": "", "size": 11 << 20},
        ]},
    )
    assert status == 200
    assert body["files"] == [
        {"path": "d.txt", "uploadMode": "regular", "shouldIgnore": False, "oid": git_oid(data)},
        {"path": "d.bin", "uploadMode": "lfs", "shouldIgnore": False, "oid": sha256},  # the client compares sha256
        {"path": "new.txt", "uploadMode": "regular", "shouldIgnore": False},
        {"path": "huge.txt", "uploadMode": "lfs", "shouldIgnore": False},  # over 10 MiB: LFS whatever its name
    ]


def test_range_requests(hub, hub_api):
    hub_api.create_repo("learner/ranges")
    data = bytes(range(256)) * 4
    hub_api.upload_file(path_or_fileobj=data, path_in_repo="r.bin", repo_id="learner/ranges")
    target = "/learner/ranges/resolve/main/r.bin"

    status, headers, body = raw_request(hub, "GET", target, headers={"Range": "bytes=10-19"})
    assert (status, body) == (206, data[10:20])
    assert headers["content-range"] == f"bytes 10-19/{len(data)}"
    status, _, body = raw_request(hub, "GET", target, headers={"Range": "bytes=1000-"})
    assert (status, body) == (206, data[1000:])
    status, _, body = raw_request(hub, "GET", target, headers={"Range": "bytes=-5"})
    assert (status, body) == (206, data[-5:])
    status, headers, _ = raw_request(hub, "GET", target, headers={"Range": "bytes=5000-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(data)}"
    status, _, body = raw_request(hub, "GET", target)
    assert (status, body) == (200, data)


def test_history_tags_and_refs(hub, hub_api, tmp_path):
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RevisionNotFoundError

    repo = "learner/history"
    hub_api.create_repo(repo)
    v1 = hub_api.upload_file(path_or_fileobj=b"version 1", path_in_repo="weights.txt", repo_id=repo).oid
    hub_api.upload_file(path_or_fileobj=b"only in v1", path_in_repo="old.txt", repo_id=repo)
    v1_head = hub_api.repo_info(repo).sha
    hub_api.create_tag(repo, tag="v1", tag_message="first release")
    with pytest.raises(HfHubHTTPError) as info:
        hub_api.create_tag(repo, tag="v1")
    assert info.value.response.status_code == 409
    hub_api.create_tag(repo, tag="v1", exist_ok=True)

    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    v2 = hub_api.create_commit(
        repo,
        operations=[
            CommitOperationAdd(path_in_repo="weights.txt", path_or_fileobj=b"version 2"),
            CommitOperationDelete(path_in_repo="old.txt"),
        ],
        commit_message="v2",
    ).oid
    assert v2 != v1 and hub_api.repo_info(repo).sha == v2
    hub_api.create_tag(repo, tag="v2", revision="main")

    refs = hub_api.list_repo_refs(repo)
    assert [(b.name, b.target_commit) for b in refs.branches] == [("main", v2)]
    assert {(t.name, t.ref, t.target_commit) for t in refs.tags} == {
        ("v1", "refs/tags/v1", v1_head), ("v2", "refs/tags/v2", v2),
    }

    assert download(hub, tmp_path, repo, "weights.txt", revision="v1") == b"version 1"
    assert download(hub, tmp_path, repo, "weights.txt", revision=v1) == b"version 1"  # by commit sha
    assert download(hub, tmp_path, repo, "weights.txt") == b"version 2"
    assert download(hub, tmp_path, repo, "old.txt", revision="v1") == b"only in v1"
    assert hub_api.model_info(repo, revision="v1").sha == v1_head  # by tag
    assert hub_api.model_info(repo, revision=v1_head).sha == v1_head  # by full commit id
    assert hub_api.model_info(repo, revision="main").sha == v2  # by branch
    assert "old.txt" in [s.rfilename for s in hub_api.model_info(repo, revision=v1_head).siblings]

    old = Path(snapshot_download(repo, revision="v1", endpoint=hub.url, token=hub.token, cache_dir=tmp_path / "s"))
    new = Path(snapshot_download(repo, endpoint=hub.url, token=hub.token, cache_dir=tmp_path / "s"))
    assert sorted(p.name for p in old.iterdir()) == [".gitattributes", "old.txt", "weights.txt"]
    assert sorted(p.name for p in new.iterdir()) == [".gitattributes", "weights.txt"]
    assert (old / "weights.txt").read_bytes() == b"version 1" and (new / "weights.txt").read_bytes() == b"version 2"

    commits = hub_api.list_repo_commits(repo)
    assert [c.commit_id for c in commits][:2] == [v2, v1_head]
    assert commits[0].title == "v2" and commits[-1].title == "initial commit"

    hub_api.delete_tag(repo, tag="v1")
    assert [t.name for t in hub_api.list_repo_refs(repo).tags] == ["v2"]
    with pytest.raises(RevisionNotFoundError):
        hub_api.delete_tag(repo, tag="v1")
    with pytest.raises(RevisionNotFoundError):
        hub_api.model_info(repo, revision="v1")
    # The commit outlives its tag.
    assert download(hub, tmp_path / "again", repo, "weights.txt", revision=v1_head) == b"version 1"


def test_create_commit_operations_and_parent_check(hub, hub_api):
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError

    repo = "learner/ops"
    hub_api.create_repo(repo)
    first = hub_api.create_commit(
        repo,
        operations=[CommitOperationAdd(path_in_repo=f"dir/f{i}.txt", path_or_fileobj=b"%d" % i) for i in range(3)]
        + [CommitOperationAdd(path_in_repo="keep.txt", path_or_fileobj=b"keep")],
        commit_message="add",
    )
    assert hub_api.repo_info(repo).sha == first.oid
    assert first.commit_url == f"{hub.url}/learner/ops/commit/{first.oid}"

    hub_api.create_commit(
        repo, operations=[CommitOperationDelete(path_in_repo="dir/")], commit_message="rm dir", parent_commit=first.oid
    )
    assert sorted(hub_api.list_repo_files(repo)) == [".gitattributes", "keep.txt"]

    with pytest.raises(HfHubHTTPError) as info:  # first.oid is no longer the head
        hub_api.create_commit(
            repo, operations=[CommitOperationAdd(path_in_repo="late.txt", path_or_fileobj=b"x")],
            commit_message="stale", parent_commit=first.oid,
        )
    assert info.value.response.status_code == 412
    with pytest.raises(EntryNotFoundError):
        hub_api.delete_file("nope.txt", repo)
    assert sorted(hub_api.list_repo_files(repo)) == [".gitattributes", "keep.txt"]

    # Unchanged content: the preupload oid lets the client skip the commit altogether.
    head = hub_api.repo_info(repo).sha
    hub_api.upload_file(path_or_fileobj=b"keep", path_in_repo="keep.txt", repo_id=repo)
    assert hub_api.repo_info(repo).sha == head


def test_branches(hub, hub_api, tmp_path):
    from huggingface_hub.errors import HfHubHTTPError

    repo = "learner/branches"
    hub_api.create_repo(repo)
    hub_api.upload_file(path_or_fileobj=b"main", path_in_repo="f.txt", repo_id=repo)
    hub_api.create_branch(repo, branch="dev")
    with pytest.raises(HfHubHTTPError) as info:
        hub_api.create_branch(repo, branch="dev")
    assert info.value.response.status_code == 409
    hub_api.upload_file(path_or_fileobj=b"dev", path_in_repo="f.txt", repo_id=repo, revision="dev")
    assert download(hub, tmp_path, repo, "f.txt", revision="dev") == b"dev"
    assert download(hub, tmp_path, repo, "f.txt") == b"main"
    assert {b.name for b in hub_api.list_repo_refs(repo).branches} == {"main", "dev"}
    hub_api.delete_branch(repo, branch="dev")
    assert {b.name for b in hub_api.list_repo_refs(repo).branches} == {"main"}


def test_dataset_and_space_repositories(hub, hub_api, tmp_path):
    hub_api.create_repo("learner/ds", repo_type="dataset")
    hub_api.upload_file(path_or_fileobj=b"a,b\n1,2\n", path_in_repo="data/train.csv", repo_id="learner/ds",
                        repo_type="dataset")
    info = hub_api.dataset_info("learner/ds")
    assert info.id == "learner/ds" and "data/train.csv" in [s.rfilename for s in info.siblings]
    assert download(hub, tmp_path, "learner/ds", "data/train.csv", repo_type="dataset") == b"a,b\n1,2\n"
    # A dataset and a model may share a name: they are different repositories.
    assert not hub_api.repo_exists("learner/ds")
    status, _, _ = raw_request(hub, "GET", "/datasets/learner/ds/resolve/main/data/train.csv")
    assert status == 200

    url = hub_api.create_repo("learner/sp", repo_type="space", space_sdk="static")
    assert url.repo_type == "space"
    hub_api.upload_file(path_or_fileobj=b"<h1>hi</h1>", path_in_repo="index.html", repo_id="learner/sp",
                        repo_type="space")
    assert download(hub, tmp_path, "learner/sp", "index.html", repo_type="space") == b"<h1>hi</h1>"
    hub_api.delete_repo("learner/ds", repo_type="dataset")
    assert not hub_api.repo_exists("learner/ds", repo_type="dataset")


def test_readme_metadata_validation_and_card_data(hub, hub_api):
    hub_api.create_repo("learner/card")
    with pytest.raises(ValueError, match="Invalid metadata"):
        hub_api.upload_file(path_or_fileobj=b"---\nlicense: [unclosed\n---\n# Card\n", path_in_repo="README.md",
                            repo_id="learner/card")
    assert "README.md" not in hub_api.list_repo_files("learner/card")
    card = b"---\nlicense: apache-2.0\npipeline_tag: fill-mask\ntags:\n- course\n---\n# Card\n"
    hub_api.upload_file(path_or_fileobj=card, path_in_repo="README.md", repo_id="learner/card")
    info = hub_api.model_info("learner/card")
    assert info.card_data["license"] == "apache-2.0"
    assert info.pipeline_tag == "fill-mask" and info.tags == ["course"]


def test_visibility_settings_and_listing(hub, hub_api):
    from huggingface_hub import HfApi

    hub_api.create_repo("learner/listed-public")
    hub_api.create_repo("learner/listed-private", private=True)
    assert hub_api.repo_info("learner/listed-private").private is True
    anonymous = HfApi(endpoint=hub.url, token=False)
    assert {m.id for m in anonymous.list_models(author="learner")} == {"learner/listed-public"}
    assert {m.id for m in hub_api.list_models(author="learner")} == {"learner/listed-public", "learner/listed-private"}

    hub_api.update_repo_settings("learner/listed-private", private=False)
    assert anonymous.repo_info("learner/listed-private").private is False
