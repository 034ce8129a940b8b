"""Tokens, namespaces, private repositories, rejected names and paths, body limits.

Bad inputs are sent both through the real client (which validates some of them itself) and as
raw HTTP with ``http.client`` (which sends them byte for byte), and the data folder is checked
afterwards for anything written where it should not be.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from course_utils.machinery.hub_server import LocalHub
from course_utils.machinery.hub_server.validation import HubError, validate_name_part, validate_ref_name, validate_repo_path
from hub_fixtures import raw_request

pytestmark = pytest.mark.main_env


def ndjson(*items: dict) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def file_line(path: str, content: bytes) -> dict:
    return {"key": "file", "value": {"path": path, "content": base64.b64encode(content).decode(), "encoding": "base64"}}


HEADER = {"key": "header", "value": {"summary": "test", "description": ""}}


def all_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_writes_need_the_right_token(hub, hub_api):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    hub_api.create_repo("learner/guarded")
    anonymous = HfApi(endpoint=hub.url, token=False)
    impostor = HfApi(endpoint=hub.url, token="hf_wrong_token")

    for api, status in ((anonymous, 401), (impostor, 401)):
        with pytest.raises(HfHubHTTPError) as info:
            api.create_repo("learner/sneaky")
        assert info.value.response.status_code == status
        with pytest.raises(HfHubHTTPError) as info:
            api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="learner/guarded")
        assert info.value.response.status_code == status
        with pytest.raises(HfHubHTTPError) as info:
            api.create_tag("learner/guarded", tag="t")
        assert info.value.response.status_code == status
        with pytest.raises(HfHubHTTPError) as info:
            api.delete_repo("learner/guarded")
        assert info.value.response.status_code == status

    # A wrong token is refused even for reads (as huggingface.co does); no token may read public repos.
    with pytest.raises(HfHubHTTPError) as info:
        impostor.repo_info("learner/guarded")
    assert info.value.response.status_code == 401
    assert anonymous.repo_info("learner/guarded").id == "learner/guarded"
    assert raw_request(hub, "GET", "/api/whoami-v2")[0] == 401
    with pytest.raises(HfHubHTTPError) as info:
        impostor.whoami()
    assert info.value.response.status_code == 401

    assert hub_api.list_repo_files("learner/guarded") == [".gitattributes"]
    assert hub_api.repo_exists("learner/guarded") and not hub_api.repo_exists("learner/sneaky")

    status, headers, body = raw_request(hub, "POST", "/api/repos/create", {"name": "raw"})
    assert status == 401 and "Authentication required" in body["error"]
    status, headers, body = raw_request(hub, "POST", "/api/repos/create", {"name": "raw"}, token="nope")
    assert status == 401 and body["error"] == headers["x-error-message"] == "Invalid credentials in Authorization header"


def test_other_namespaces_are_forbidden(hub, hub_api):
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as info:
        hub_api.create_repo("someone-else/model")
    assert info.value.response.status_code == 403
    assert "someone-else" in str(info.value)

    # A repository that exists in another namespace (made directly in storage) cannot be written to.
    from course_utils.machinery.hub_server.storage import RepoKey

    hub.storage.create_repo(RepoKey("model", "someone-else", "theirs"), private=False, author="someone-else")
    before = hub_api.repo_info("someone-else/theirs").sha
    for action in (
        lambda: hub_api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="someone-else/theirs"),
        lambda: hub_api.create_tag("someone-else/theirs", tag="mine"),
        lambda: hub_api.delete_repo("someone-else/theirs"),
        lambda: hub_api.create_branch("someone-else/theirs", branch="mine"),
    ):
        with pytest.raises(HfHubHTTPError) as info:
            action()
        assert info.value.response.status_code == 403
    assert hub_api.repo_info("someone-else/theirs").sha == before
    assert hub_api.list_repo_refs("someone-else/theirs").tags == []

    # The organization the server was started with is allowed.
    assert hub_api.create_repo("course-org/shared").repo_id == "course-org/shared"
    hub_api.upload_file(path_or_fileobj=b"ok", path_in_repo="ok.txt", repo_id="course-org/shared")


def test_private_repositories_need_the_token_to_read(hub, hub_api, tmp_path):
    from huggingface_hub import HfApi, hf_hub_download, snapshot_download
    from huggingface_hub.errors import RepositoryNotFoundError

    hub_api.create_repo("learner/secret", private=True)
    hub_api.upload_file(path_or_fileobj=b"classified", path_in_repo="s.txt", repo_id="learner/secret")
    anonymous = HfApi(endpoint=hub.url, token=False)

    with pytest.raises(RepositoryNotFoundError):
        anonymous.repo_info("learner/secret")
    with pytest.raises(RepositoryNotFoundError):
        anonymous.list_repo_files("learner/secret")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("learner/secret", "s.txt", endpoint=hub.url, token=False, cache_dir=tmp_path / "a")
    with pytest.raises(RepositoryNotFoundError):
        snapshot_download("learner/secret", endpoint=hub.url, token=False, cache_dir=tmp_path / "b")
    assert not anonymous.repo_exists("learner/secret")
    # Same answer as a repository that does not exist: existence does not leak.
    missing = raw_request(hub, "GET", "/learner/nothing-here/resolve/main/s.txt")
    hidden = raw_request(hub, "GET", "/learner/secret/resolve/main/s.txt")
    assert missing[0] == hidden[0] == 404
    assert missing[1]["x-error-code"] == hidden[1]["x-error-code"] == "RepoNotFound"

    path = hf_hub_download("learner/secret", "s.txt", endpoint=hub.url, token=hub.token, cache_dir=tmp_path / "c")
    assert Path(path).read_bytes() == b"classified"
    assert hub_api.repo_info("learner/secret").private is True


@pytest.mark.parametrize(
    "bad", ["../x", "a/../../b", "/abs", "a\\b", "a//b", "a/./b", "trailing/", ".git/config", "nul\x00byte",
            "new\nline", "x" * 1001, "", "..", "a/" + "b" * 256],
)
def test_validate_repo_path_rejects(bad):
    with pytest.raises(HubError) as info:
        validate_repo_path(bad)
    assert info.value.status == expected_status(bad)


def expected_status(bad: str) -> int:
    """422 for a relative path (backslash, '.' or '..' segment), as the Hub answers; 400 for the rest."""
    relative = "\\" in bad or any(part in (".", "..") for part in bad.split("/"))
    return 422 if relative else 400


@pytest.mark.parametrize("good", ["a.txt", "dir/sub/file.bin", ".gitattributes", "a..b/c", "spaces ok/é.txt"])
def test_validate_repo_path_accepts(good):
    assert validate_repo_path(good) == good


@pytest.mark.parametrize("bad", ["", "..", "a..b", "refs/heads/x", "-x", "a//b", "HEAD", "0" * 40, "x.lock", "a b"])
def test_validate_ref_name_rejects(bad):
    with pytest.raises(HubError):
        validate_ref_name(bad)


def test_traversal_and_bad_paths_are_rejected(hub, hub_api, tmp_path):
    from huggingface_hub.errors import HfHubHTTPError

    hub_api.create_repo("learner/target")
    hub_api.upload_file(path_or_fileobj=b"safe", path_in_repo="safe.txt", repo_id="learner/target")
    head = hub_api.repo_info("learner/target").sha
    data_dir = tmp_path / "data"
    files_before = all_files(data_dir)

    # Through the client: it refuses '..' itself; the server refuses what the client lets through.
    for bad in ("../x", "a/../../b"):
        with pytest.raises(ValueError):
            hub_api.upload_file(path_or_fileobj=b"evil", path_in_repo=bad, repo_id="learner/target")
    for bad in ("a\\b", "a//b", "dir/./b"):
        with pytest.raises(HfHubHTTPError) as info:
            hub_api.upload_file(path_or_fileobj=b"evil", path_in_repo=bad, repo_id="learner/target")
        assert info.value.response.status_code == expected_status(bad)
    # The client strips the leading '/' of '/abs' (it becomes 'abs', inside the repository).
    hub_api.upload_file(path_or_fileobj=b"rel", path_in_repo="/abs", repo_id="learner/target")
    assert "abs" in hub_api.list_repo_files("learner/target")
    head = hub_api.repo_info("learner/target").sha
    files_before = all_files(data_dir)

    # Raw HTTP: commit lines, preupload, downloads and tree listings with each bad path.
    bad_paths = ["../x", "a/../../b", "/abs", "a\\b", "a//b", "../../../../../../tmp/evil", "..", "x/\x00"]
    for bad in bad_paths:
        status, _, body = raw_request(
            hub, "POST", "/api/models/learner/target/commit/main", ndjson(HEADER, file_line(bad, b"evil")),
            token=hub.token, headers={"Content-Type": "application/x-ndjson"},
        )
        assert status == expected_status(bad) and "Invalid path" in body["error"], (bad, body)
        status, _, body = raw_request(
            hub, "POST", "/api/models/learner/target/preupload/main", {"files": [{"path": bad, "size": 1, "sample": ""}]},
            token=hub.token,
        )
        assert status == expected_status(bad) and "error" in body, bad
    for target in (
        "/learner/target/resolve/main/../../../../etc/passwd",
        "/learner/target/resolve/main/..%2F..%2Fsafe.txt",
        "/learner/target/resolve/main/a%5Cb",
        "/learner/target/resolve/main/a//b",
        "/learner/target/resolve/main/%2Fetc%2Fpasswd",
        "/api/models/learner/target/tree/main/..%2F..",
        "/api/models/learner/target/tree/main/a%00b",
        "/api/models/learner/target/revision/..%2F..%2Fmain",
        "/learner/%ff/resolve/main/x",
    ):
        status, _, body = raw_request(hub, "GET", target)
        assert status in (400, 422) and isinstance(body["error"], str), (target, status, body)

    # Repository names that would climb out of repos/ or are not names at all.
    for payload in (
        {"name": ".."}, {"name": "../../evil"}, {"name": "x", "organization": "../.."}, {"name": "a..b"},
        {"name": "-lead"}, {"name": "x" * 97}, {"name": "sp ace"}, {"name": "a", "organization": "datasets"},
        {"name": "ok", "type": "kernel-of-evil"},
    ):
        status, _, body = raw_request(hub, "POST", "/api/repos/create", payload, token=hub.token)
        assert status == 400 and "error" in body, payload
    for target in ("/api/models/learner/..%2F..", "/api/models/../learner", "/api/models/learner/..", "/../learner/x/resolve/main/f"):
        status, _, body = raw_request(hub, "GET", target)
        assert status in (400, 404) and "error" in body, target

    # Nothing was written: same files in the data folder, nothing beside it, same head.
    assert all_files(data_dir) == files_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    assert not any(p.name in ("evil", "x", "b", "passwd") for p in tmp_path.rglob("*"))
    assert hub_api.repo_info("learner/target").sha == head
    assert sorted(hub_api.list_repo_files("learner/target")) == [".gitattributes", "abs", "safe.txt"]


def test_body_limits_and_malformed_requests(tmp_path, hub_online):
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    with LocalHub(tmp_path / "data", max_commit_bytes=64 << 10, max_json_bytes=2048) as hub:
        api = HfApi(endpoint=hub.url, token=hub.token)
        api.create_repo("learner/small")

        status, _, body = raw_request(hub, "POST", "/api/repos/create", {"name": "x" * 50, "pad": "y" * 4096},
                                      token=hub.token)
        assert status == 413 and "too large" in body["error"]
        # A commit announced larger than the limit is refused before its body is read.
        status, headers, body = raw_request(
            hub, "POST", "/api/models/learner/small/commit/main", b"{}",
            token=hub.token, headers={"Content-Type": "application/x-ndjson", "Content-Length": str(65 << 10)},
        )
        assert status == 413 and "too large" in body["error"]
        # The client is told at preupload time that a file cannot fit.
        with pytest.raises(HfHubHTTPError) as info:  # a regular file: 4/3 of its size in base64
            api.upload_file(path_or_fileobj=os.urandom(60 << 10), path_in_repo="big.txt", repo_id="learner/small")
        assert info.value.response.status_code == 413
        with pytest.raises(HfHubHTTPError) as info:  # an LFS file travels raw, but the limit still holds
            api.upload_file(path_or_fileobj=os.urandom(65 << 10), path_in_repo="big.bin", repo_id="learner/small")
        assert info.value.response.status_code == 413
        api.upload_file(path_or_fileobj=os.urandom(60 << 10), path_in_repo="raw.bin", repo_id="learner/small")
        api.upload_file(path_or_fileobj=os.urandom(10 << 10), path_in_repo="fits.bin", repo_id="learner/small")

        for target, payload, expected in [
            ("/api/repos/create", b"{not json", 400),
            ("/api/repos/create", b"[1, 2]", 400),
            ("/api/models/learner/small/tag/main", b'{"tag": "../x"}', 400),
            ("/api/models/learner/small/tag/main", b'{"tag": 12}', 400),
            ("/api/models/learner/small/branch/..", b"{}", 400),
            ("/api/models/learner/small/tag/nope", b'{"tag": "t"}', 404),
            ("/api/models/learner/small/nonsense/main", b"{}", 404),
        ]:
            status, _, body = raw_request(hub, "POST", target, payload, token=hub.token,
                                          headers={"Content-Type": "application/json"})
            assert status == expected and isinstance(body["error"], str), (target, status, body)
        status, _, body = raw_request(hub, "POST", "/api/models/learner/small/commit/main", ndjson(HEADER),
                                      token=hub.token, headers={"Content-Type": "text/plain"})
        assert status == 415 and "ndjson" in body["error"]
        status, _, body = raw_request(hub, "POST", "/api/models/learner/small/commit/refs%2Fpr%2F7",
                                      ndjson(HEADER), token=hub.token,
                                      headers={"Content-Type": "application/x-ndjson"})
        assert status == 404 and "refs/pr/7" in body["error"]  # no such pull request to commit to
        assert sorted(api.list_repo_files("learner/small")) == [".gitattributes", "fits.bin", "raw.bin"]


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (".GIT/config", "'.git' folder"), ("sub/.Git/HEAD", "'.git' folder"), ("CON", "device name"),
        ("aux.txt", "device name"), ("logs/com1.log", "device name"), ("LPT9", "device name"),
        ("a:b.txt", "on Windows"), ("what?.md", "on Windows"), ('say"hi".txt', "on Windows"),
        ("trailing.", "dot or a space"), ("folder /x", "dot or a space"), ("cafe\u0301.txt", "NFC"),
    ],
)
def test_names_unsafe_on_a_learners_disk_are_refused_with_the_reason(bad, why):
    with pytest.raises(HubError, match=why) as info:
        validate_repo_path(bad)
    assert info.value.status == 400


def test_the_nfc_form_of_a_refused_path_is_accepted():
    assert validate_repo_path("caf\u00e9.txt") == "caf\u00e9.txt"
    assert validate_repo_path("config.json") == "config.json"
    assert validate_repo_path("console.log") == "console.log"  # only the exact device names


@pytest.mark.parametrize("bad", ["demo\n", "demo\r", "x.git", "x.GIT", "x.Git"])
def test_repository_names_with_a_final_newline_or_git_suffix_are_refused(bad):
    with pytest.raises(HubError) as info:
        validate_name_part(bad)
    assert info.value.status == 400


def test_a_repository_name_ending_in_a_newline_cannot_be_created(hub, hub_online):
    status, _, body = raw_request(
        hub, "POST", "/api/repos/create", {"name": "demo\n", "organization": hub.user},
        headers={"Authorization": f"Bearer {hub.token}"},
    )
    assert status == 400, body
    assert not (hub.data_dir / "repos" / "models" / hub.user / "demo\n").exists()


def test_a_commit_id_with_a_final_newline_is_not_a_commit_id():
    from course_utils.machinery.hub_server.validation import is_commit_sha

    assert is_commit_sha("a" * 40)
    assert not is_commit_sha("a" * 40 + "\n")


def test_a_yaml_bomb_in_a_card_is_refused_quickly(hub, hub_api):
    import time

    levels = "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
    bomb = f"---\na: &a [x, x, x, x, x, x, x, x, x]\n{levels}---\n# bomb\n"
    assert len(bomb) < 600  # 9^9 values once expanded
    start = time.monotonic()
    status, _, body = raw_request(hub, "POST", "/api/validate-yaml", {"content": bomb, "repoType": "model"})
    assert status == 400 and "expands to more than 100,000 values" in json.dumps(body)
    # Committed all the same (git takes any file), the card is not expanded when anyone reads the repository.
    hub_api.create_repo("bomb")
    lines = [
        {"key": "header", "value": {"summary": "a bomb"}},
        {"key": "file", "value": {"path": "README.md", "content": base64.b64encode(bomb.encode()).decode(), "encoding": "base64"}},
    ]
    status, _, body = raw_request(
        hub, "POST", f"/api/models/{hub.user}/bomb/commit/main", "\n".join(json.dumps(line) for line in lines).encode(),
        token=hub.token, headers={"Content-Type": "application/x-ndjson"},
    )
    assert status == 200, body
    status, _, info = raw_request(hub, "GET", f"/api/models/{hub.user}/bomb")
    assert status == 200 and "cardData" not in info
    assert time.monotonic() - start < 5


def test_the_data_folder_is_private_to_the_servers_user(hub):
    import stat

    assert stat.S_IMODE(hub.data_dir.stat().st_mode) == 0o700


def test_paths_info_answers_a_bounded_number_of_paths(hub, hub_api):
    import time

    hub_api.create_repo("many")
    ok = [f"f{i}.txt" for i in range(1000)]
    start = time.monotonic()
    status, _, body = raw_request(hub, "POST", f"/api/models/{hub.user}/many/paths-info/main", {"paths": ok, "expand": True})
    assert status == 200 and body == []  # none of them exists: an empty answer, quickly
    status, _, body = raw_request(hub, "POST", f"/api/models/{hub.user}/many/paths-info/main", {"paths": ok + ["one.txt"], "expand": True})
    assert status == 400 and "At most 1000 paths" in json.dumps(body)
    assert time.monotonic() - start < 10


def test_json_nested_thousands_deep_is_refused_with_400_and_no_traceback(hub, hub_online, caplog):
    # Issue 21: 50,000 nested lists got a 500 (RecursionError) and a logged traceback on 15 endpoints.
    deep = b"[" * 50_000 + b"]" * 50_000
    with caplog.at_level("INFO"):
        status, _, body = raw_request(hub, "POST", "/api/repos/create", deep,
                                      headers={"Authorization": f"Bearer {hub.token}", "Content-Type": "application/json"})
    assert status == 400, body
    assert "nested too deeply" in body["error"]
    assert not any(record.exc_info for record in caplog.records), "no traceback in the server's log"


def test_a_nul_in_a_request_never_reaches_a_header(hub, hub_online, repo_name):
    # Issue 21: GET .../discussions/1%00 got a 500 with an empty body: the NUL went into X-Error-Message.
    name = repo_name
    created, _, _ = raw_request(hub, "POST", "/api/repos/create", {"name": name}, token=hub.token)
    assert created == 200
    status, headers, body = raw_request(hub, "GET", f"/api/models/{hub.user}/{name}/discussions/1%00")
    assert status in (400, 404), (status, body)
    assert "\x00" not in headers.get("X-Error-Message", "") and body
