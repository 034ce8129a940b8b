"""Learner accounts: one token each, isolated namespaces, organisations, authorship, the host's command."""

from __future__ import annotations

import io
import json
import stat
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from course_utils.machinery.hub_server.accounts import Accounts, AccountsError
from hub_fixtures import raw_request

pytestmark = pytest.mark.main_env


@pytest.fixture
def learners(hub):
    """Two learners, alice and bob, and an organisation with alice alone; returns their HfApi clients."""
    from huggingface_hub import HfApi

    accounts = Accounts(hub.data_dir)
    alice, bob = accounts.add_user("alice"), accounts.add_user("bob")
    accounts.set_org("team-a", ["alice"])
    return {
        "alice": HfApi(endpoint=hub.url, token=alice),
        "bob": HfApi(endpoint=hub.url, token=bob),
        "tokens": {"alice": alice, "bob": bob},
    }


def status_of(call) -> int:
    from huggingface_hub.errors import HfHubHTTPError

    try:
        call()
    except HfHubHTTPError as error:
        return error.response.status_code
    return 200


def test_whoami_reports_the_learner_and_their_organisations(learners) -> None:
    assert learners["alice"].whoami()["name"] == "alice"
    assert [org["name"] for org in learners["alice"].whoami()["orgs"]] == ["team-a"]
    assert learners["bob"].whoami()["name"] == "bob"


def test_learners_cannot_read_write_tag_or_delete_each_others_repositories(learners, tmp_path: Path) -> None:
    from huggingface_hub import CommitOperationAdd

    alice, bob = learners["alice"], learners["bob"]
    alice.create_repo("alice/diary", private=True)
    alice.create_repo("alice/public-model")
    alice.upload_file(path_or_fileobj=b"---\nlicense: mit\n---\n# mine\n", path_in_repo="README.md", repo_id="alice/public-model")

    assert bob.repo_exists("alice/diary") is False  # private: as if it did not exist
    assert alice.repo_exists("alice/diary") is True
    assert bob.repo_exists("alice/public-model") is True  # public: readable
    readme = tmp_path / "README.md"
    readme.write_text("---\nlicense: mit\n---\n# bob was here\n")
    assert status_of(lambda: bob.upload_file(path_or_fileobj=str(readme), path_in_repo="README.md", repo_id="alice/public-model")) == 403
    assert status_of(lambda: bob.create_commit("alice/public-model", [CommitOperationAdd("x.txt", b"x")], commit_message="x")) == 403
    assert status_of(lambda: bob.create_tag("alice/public-model", tag="v1")) == 403
    assert status_of(lambda: bob.update_repo_settings("alice/public-model", private=True)) == 403
    assert status_of(lambda: bob.delete_repo("alice/public-model")) == 403
    assert status_of(lambda: bob.create_repo("alice/squatter")) == 403
    assert status_of(lambda: bob.create_repo("team-a/thing")) == 403  # not a member
    assert alice.list_repo_refs("alice/public-model").tags == []
    assert alice.repo_info("alice/public-model").private is False


def test_members_write_to_their_organisation_and_commits_name_their_author(learners) -> None:
    alice = learners["alice"]
    alice.create_repo("team-a/shared")
    alice.upload_file(path_or_fileobj=b"hello", path_in_repo="hello.txt", repo_id="team-a/shared")
    commits = alice.list_repo_commits("team-a/shared")
    assert commits[0].authors == ["alice"]


def test_the_servers_own_token_keeps_working_next_to_the_accounts(hub, hub_api, learners) -> None:
    assert hub_api.whoami()["name"] == hub.user
    hub_api.create_repo(f"{hub.user}/host-repo")
    assert learners["bob"].repo_exists(f"{hub.user}/host-repo")
    assert status_of(lambda: learners["bob"].delete_repo(f"{hub.user}/host-repo")) == 403


def test_an_account_added_while_the_server_runs_works_at_once_and_a_removed_one_stops(hub) -> None:
    from huggingface_hub import HfApi

    accounts = Accounts(hub.data_dir)
    token = accounts.add_user("carol")
    assert HfApi(endpoint=hub.url, token=token).whoami()["name"] == "carol"
    new = accounts.new_token("carol")
    assert status_of(lambda: HfApi(endpoint=hub.url, token=token).whoami()) == 401
    assert HfApi(endpoint=hub.url, token=new).whoami()["name"] == "carol"
    accounts.remove_user("carol")
    assert status_of(lambda: HfApi(endpoint=hub.url, token=new).whoami()) == 401


def test_tokens_are_stored_hashed_in_a_private_file(hub, learners) -> None:
    stored = (hub.data_dir / "accounts.json").read_text()
    for token in learners["tokens"].values():
        assert token not in stored
    assert json.loads(stored)["orgs"] == {"team-a": ["alice"]}
    assert stat.S_IMODE((hub.data_dir / "accounts.json").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.add_user("alice"), "is taken"),
        (lambda a: a.add_user("team-a"), "is taken"),
        (lambda a: a.add_user("bad\n"), "Invalid repository namespace"),
        (lambda a: a.set_org("team-b", ["alice", "zoe"]), "Not users: zoe"),
        (lambda a: a.set_org("alice", []), "is a user's"),
        (lambda a: a.remove_user("zoe"), "No user 'zoe'"),
    ],
)
def test_impossible_changes_say_why(tmp_path: Path, change, message: str) -> None:
    accounts = Accounts(tmp_path)
    accounts.add_user("alice")
    accounts.set_org("team-a", ["alice"])
    with pytest.raises(AccountsError, match=message):
        change(accounts)


def test_the_hosts_command_prints_each_token_once(tmp_path: Path, hub_online) -> None:
    from course_utils.machinery.hub_server.__main__ import main

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["accounts", "--data-dir", str(tmp_path), "add", "dana", "eli"]) == 0
        assert main(["accounts", "--data-dir", str(tmp_path), "org", "crew", "dana"]) == 0
        assert main(["accounts", "--data-dir", str(tmp_path), "list"]) == 0
    lines = out.getvalue().splitlines()
    tokens = dict(line.split("\t") for line in lines[:2])
    assert set(tokens) == {"dana", "eli"} and all(t.startswith("hf_local_") for t in tokens.values())
    assert lines[2:] == ["dana\tcrew", "eli"]
    assert Accounts(tmp_path).identify(tokens["dana"]).orgs == ("crew",)
    assert main(["accounts", "--data-dir", str(tmp_path), "add", "dana"]) == 2


def test_a_wrong_token_is_still_refused_on_every_endpoint(hub, learners) -> None:
    status, _, _ = raw_request(hub, "GET", "/api/whoami-v2", token="hf_local_not_a_real_token")
    assert status == 401


def test_names_ignore_letter_case_so_no_account_can_take_another_ones_namespace(tmp_path):
    from course_utils.machinery.hub_server import LocalHub
    from hub_fixtures import raw_request

    accounts = Accounts(tmp_path / "data")
    accounts.add_user("Alice")
    with pytest.raises(AccountsError, match="taken"):
        accounts.add_user("alice")
    accounts.add_user("bob")
    with pytest.raises(AccountsError, match="user"):
        accounts.set_org("BOB", ["bob"])
    clash = accounts.add_user("Learner")  # the server's own user is 'learner': unknown to the accounts file
    with LocalHub(tmp_path / "data") as hub:
        status, _, body = raw_request(hub, "GET", "/api/whoami-v2", token=clash)
        assert status == 403 and "clashes" in body["error"]


def test_names_the_server_would_refuse_are_refused_when_added(tmp_path):
    # Issue 21: `accounts add learner` succeeded, and then the server answered that account's token 403.
    from course_utils.machinery.hub_server import LocalHub

    with LocalHub(tmp_path / "data", orgs=("course-org",)):  # the server records its own names at start
        pass
    accounts = Accounts(tmp_path / "data")
    for change in (lambda: accounts.add_user("LEARNER"), lambda: accounts.add_user("course-org"),
                   lambda: accounts.set_org("Course-Org", [])):
        with pytest.raises(AccountsError, match="the server's own user or organisation"):
            change()
    assert accounts.users() == {}


def test_a_removed_users_name_cannot_become_an_organisation_that_reads_its_repositories(tmp_path):
    # Issue 21: a removed user's name re-created as an organisation let its members read the old
    # user's private repositories (they live under that name).
    accounts = Accounts(tmp_path / "data")
    accounts.add_user("bob")
    accounts.add_user("mallory")
    accounts.remove_user("bob")
    with pytest.raises(AccountsError, match="belonged to a removed user"):
        accounts.set_org("Bob", ["mallory"])
    with pytest.raises(AccountsError, match="belonged to a removed user"):
        accounts.add_user("bob")
    assert accounts.users() == {"mallory": []}
