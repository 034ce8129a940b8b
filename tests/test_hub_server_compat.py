"""Behaviour a learner meets on the real Hub: pull requests, repository management, ids, history, errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from course_utils.machinery.hub_server import LocalHub
from hub_fixtures import raw_request

pytestmark = pytest.mark.main_env


@pytest.fixture()
def api(tmp_path, hub_online):
    from huggingface_hub import HfApi

    with LocalHub(tmp_path / "data", fsync=False) as hub:
        client = HfApi(endpoint=hub.url, token=hub.token)
        client.hub = hub  # type: ignore[attr-defined]
        yield client


def read(api, repo_id: str, path: str, revision: str | None = None, **kwargs) -> bytes:
    with open(api.hf_hub_download(repo_id, path, revision=revision, **kwargs), "rb") as fh:
        return fh.read()


def test_a_pull_request_is_a_ref_that_can_be_listed_downloaded_extended_and_merged(api, tmp_path):
    api.create_repo("learner/pr")
    api.upload_file(path_or_fileobj=b"v1", path_in_repo="a.txt", repo_id="learner/pr")
    info = api.upload_file(path_or_fileobj=b"v2", path_in_repo="a.txt", repo_id="learner/pr", create_pr=True)
    assert info.pr_num == 1 and info.pr_revision == "refs/pr/1"
    (ref,) = api.list_repo_refs("learner/pr", include_pull_requests=True).pull_requests
    assert ref.ref == "refs/pr/1"
    cache = tmp_path / "cache"
    assert read(api, "learner/pr", "a.txt", "refs/pr/1", cache_dir=cache) == b"v2"
    assert read(api, "learner/pr", "a.txt", cache_dir=cache) == b"v1"  # main did not move
    api.upload_file(path_or_fileobj=b"b", path_in_repo="b.txt", repo_id="learner/pr", revision="refs/pr/1")
    api.upload_file(path_or_fileobj=b"c", path_in_repo="c.txt", repo_id="learner/pr")  # main moves meanwhile
    api.merge_pull_request("learner/pr", 1)
    assert sorted(api.list_repo_files("learner/pr")) == [".gitattributes", "a.txt", "b.txt", "c.txt"]
    assert read(api, "learner/pr", "a.txt", cache_dir=tmp_path / "c2") == b"v2"
    assert api.list_repo_commits("learner/pr")[0].title.startswith("Merge pull request #1")
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as info:  # merged once
        api.merge_pull_request("learner/pr", 1)
    assert info.value.response.status_code == 409


def test_a_pull_request_that_conflicts_with_its_branch_is_not_merged(api):
    from huggingface_hub.errors import HfHubHTTPError

    api.create_repo("learner/conflict")
    api.upload_file(path_or_fileobj=b"v1", path_in_repo="a.txt", repo_id="learner/conflict")
    api.upload_file(path_or_fileobj=b"theirs", path_in_repo="a.txt", repo_id="learner/conflict", create_pr=True)
    api.upload_file(path_or_fileobj=b"ours", path_in_repo="a.txt", repo_id="learner/conflict")
    head = api.repo_info("learner/conflict").sha
    with pytest.raises(HfHubHTTPError) as info:
        api.merge_pull_request("learner/conflict", 1)
    assert info.value.response.status_code == 409 and "a.txt" in str(info.value)
    assert api.repo_info("learner/conflict").sha == head


def test_move_duplicate_squash_auth_check_and_own_repositories(api, tmp_path):
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    api.create_repo("learner/old")
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="learner/old")
    api.create_tag("learner/old", tag="v1")
    api.move_repo("learner/old", "learner/new")
    assert not api.repo_exists("learner/old") and api.list_repo_files("learner/new") == [".gitattributes", "x.txt"]
    assert [t.name for t in api.list_repo_refs("learner/new").tags] == ["v1"]

    url = api.duplicate_repo("learner/new", "learner/copy", private=True)
    assert url.repo_id == "learner/copy" and api.repo_info("learner/copy").private
    assert api.list_repo_files("learner/copy") == [".gitattributes", "x.txt"]
    with pytest.raises(HfHubHTTPError) as info:
        api.duplicate_repo("learner/new", "learner/copy")
    assert info.value.response.status_code == 409

    api.upload_file(path_or_fileobj=b"y", path_in_repo="y.txt", repo_id="learner/copy")
    api.super_squash_history("learner/copy", commit_message="One commit")
    assert [c.title for c in api.list_repo_commits("learner/copy")] == ["One commit"]
    assert sorted(api.list_repo_files("learner/copy")) == [".gitattributes", "x.txt", "y.txt"]

    api.auth_check("learner/new")
    with pytest.raises(RepositoryNotFoundError):
        api.auth_check("learner/none")
    mine = {repo.id: repo for repo in api.list_user_repos()}
    assert set(mine) == {"learner/new", "learner/copy"}
    assert mine["learner/copy"].visibility == "private" and mine["learner/new"].storage > 0


def test_ids_ignore_case_short_shas_resolve_and_formatted_titles(api, tmp_path):
    api.create_repo("learner/CaseRepo")
    commit = api.upload_file(path_or_fileobj=b"<b>", path_in_repo="a.txt", repo_id="learner/CaseRepo",
                             commit_message="Add <b> & more").oid
    assert api.repo_exists("LEARNER/caserepo")
    assert read(api, "learner/caserepo", "a.txt", cache_dir=tmp_path / "c") == b"<b>"
    from huggingface_hub.errors import HfHubHTTPError

    with pytest.raises(HfHubHTTPError) as info:
        api.create_repo("learner/caserepo")
    assert info.value.response.status_code == 409
    assert read(api, "learner/CaseRepo", "a.txt", revision=commit[:7], cache_dir=tmp_path / "c2") == b"<b>"
    (latest, *_) = api.list_repo_commits("learner/CaseRepo", formatted=True)
    assert latest.formatted_title == "Add &lt;b&gt; &amp; more"


def test_a_repository_without_namespace_is_repo_not_found_and_deleting_a_folder_by_name_works(api):
    assert api.repo_exists("gpt2") is False
    status, headers, _ = raw_request(api.hub, "HEAD", "/gpt2/resolve/main/config.json")
    assert status == 404 and headers["x-error-code"] == "RepoNotFound" and "x-request-id" in headers
    api.create_repo("learner/folders")
    api.upload_file(path_or_fileobj=b"1", path_in_repo="sub/a.txt", repo_id="learner/folders")
    api.upload_file(path_or_fileobj=b"2", path_in_repo="sub/b.txt", repo_id="learner/folders")
    api.delete_file("sub", repo_id="learner/folders")  # a folder named as a file, as the Hub accepts
    assert api.list_repo_files("learner/folders") == [".gitattributes"]


def test_the_cli_says_what_is_wrong_with_a_bad_user_name_in_one_line(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "course_utils.machinery.hub_server", "--data-dir", str(tmp_path / "d"), "--port", "0",
         "--user", "bad name"],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: cannot start the local hub: Invalid") and done.stderr.count("\n") == 1


def test_card_metadata_is_checked_as_the_hub_does(api):
    from huggingface_hub import CommitOperationAdd

    api.create_repo("learner/cards")
    with pytest.raises(ValueError, match="Invalid metadata in README.md"):
        api.create_commit("learner/cards", [CommitOperationAdd("README.md", b"\n---\nmodel-index: foo\n---\n")],
                          commit_message="bad index")
    with pytest.warns(UserWarning, match="Empty or missing yaml metadata"):
        api.create_commit("learner/cards", [CommitOperationAdd("README.md", b"No metadata here")],
                          commit_message="no metadata")
    good = b"---\nlicense: mit\nmodel-index:\n- name: m\n  results: []\n---\n# Card\n"
    api.create_commit("learner/cards", [CommitOperationAdd("README.md", good)], commit_message="good")
    assert api.list_repo_commits("learner/cards")[0].title == "good"


def test_an_empty_pull_request_can_be_opened_and_read_back_and_a_stale_parent_is_refused(api):
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import HfHubHTTPError

    api.create_repo("learner/open")
    pr = api.create_pull_request("learner/open", title="Try something")
    assert pr.num == 1 and pr.is_pull_request and pr.status == "open" and pr.git_reference == "refs/pr/1"
    assert pr.target_branch == "refs/heads/main"
    parent = api.repo_info("learner/open").sha
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="learner/open")
    with pytest.raises(HfHubHTTPError) as info:
        api.create_commit("learner/open", [CommitOperationAdd("y.txt", b"y")], commit_message="late", parent_commit=parent)
    assert info.value.response.status_code == 412 and "The branch was updated since you opened this page" in str(info.value)


def test_downloads_by_a_moved_repositorys_old_id_are_redirected(api, tmp_path):
    api.create_repo("learner/before", private=True)
    api.upload_file(path_or_fileobj=b"content", path_in_repo="file.txt", repo_id="learner/before")
    api.move_repo("learner/before", "learner/after")
    status, headers, _ = raw_request(api.hub, "GET", "/learner/before/resolve/main/file.txt", token=api.hub.token)
    assert status == 307 and headers["location"] == "/learner/after/resolve/main/file.txt"
    assert read(api, "learner/before", "file.txt", cache_dir=tmp_path / "c") == b"content"
    api.create_repo("learner/before")  # a new repository under the old id wins over the redirect
    status, _, _ = raw_request(api.hub, "GET", "/learner/before/resolve/main/file.txt", token=api.hub.token)
    assert status == 404


def test_review_findings_stay_fixed(api, tmp_path):
    """A move onto itself, a redirect that would reveal a private name, squashed history, odd digits."""
    from huggingface_hub.errors import HfHubHTTPError

    api.create_repo("learner/self")
    with pytest.raises(HfHubHTTPError) as info:
        api.move_repo("learner/self", "learner/SELF")  # used to take the same lock twice and hang
    assert info.value.response.status_code == 400
    api.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="learner/self")  # not locked

    api.create_repo("learner/hidden", private=True)
    api.upload_file(path_or_fileobj=b"s", path_in_repo="s.txt", repo_id="learner/hidden")
    api.move_repo("learner/hidden", "learner/new-secret-name")
    status, headers, _ = raw_request(api.hub, "GET", "/learner/hidden/resolve/main/s.txt")  # anonymous
    assert status == 404 and "location" not in headers

    old = api.list_repo_commits("learner/self")[-1].commit_id
    api.super_squash_history("learner/self")
    status, _, _ = raw_request(api.hub, "GET", f"/learner/self/resolve/{old}/.gitattributes", token=api.hub.token)
    assert status == 404  # the squashed history is gone, not just hidden

    for target in ("/learner/self.git/info/lfs/objects/" + "a" * 64 + "/%C2%B2",
                   "/api/models/learner/self/revision/refs%2Fpr%2F%C2%B2"):
        assert raw_request(api.hub, "PUT" if "lfs" in target else "GET", target, b"")[0] in (403, 404)
