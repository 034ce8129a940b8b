"""conftest.py for huggingface_hub's own tests run against the course's local Hub (copied there by scripts/hub_compat.py).

The source distribution ships the tests without the repository's conftest, so this one provides what
the selected tests ask for: the ``api`` and ``repo_factory`` fixtures, and ``RepoFactory``. It also
skips the tests outside a practice Hub's scope, each with its reason, and brackets every test
with two marker requests (``GET /__compat__/start|end/<n>``) so that the server's log tells which
tests reached it.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi

from .testing_constants import ENDPOINT_STAGING, TOKEN, USER
from .testing_utils import repo_name

SCOPE = json.loads(Path(os.environ["HUB_COMPAT_SCOPE"]).read_text())


class RepoFactory:
    """Creates repositories for one test and deletes them afterwards."""

    def __init__(self, api: HfApi) -> None:
        self.api = api
        self.created: list[tuple[str, str | None, HfApi]] = []

    def __call__(self, repo_type: str | None = None, *, repo_id: str | None = None, token: str | None = None, **kwargs):
        repo_id = repo_id or repo_name()
        if "/" not in repo_id:
            repo_id = f"{USER}/{repo_id}"
        api = self.api if token is None else HfApi(endpoint=ENDPOINT_STAGING, token=token)
        url = api.create_repo(repo_id, repo_type=repo_type, **kwargs)
        self.created.append((url.repo_id, repo_type, api))
        return url

    def cleanup(self) -> None:
        for repo_id, repo_type, api in self.created:
            try:
                api.delete_repo(repo_id, repo_type=repo_type, missing_ok=True)
            except Exception:  # noqa: BLE001 - a test may have moved or deleted it
                pass


@pytest.fixture
def api() -> HfApi:
    return HfApi(endpoint=ENDPOINT_STAGING, token=TOKEN)


@pytest.fixture
def repo_factory(api: HfApi):
    factory = RepoFactory(api)
    yield factory
    factory.cleanup()


def _reason(item: pytest.Item) -> str | None:
    """Why a test is out of scope (the first rule that matches its id or its source), or ``None``."""
    def source_of(obj: object) -> str:
        try:
            return inspect.getsource(obj) if obj is not None else ""  # type: ignore[arg-type]
        except (OSError, TypeError):
            return ""

    own = source_of(item.obj)
    texts = {"id": item.nodeid, "source": own, "class": own + source_of(getattr(item, "cls", None))}
    for rule in SCOPE["rules"]:
        where = texts[rule["in"]]
        if any(word in where for word in rule["words"]):
            return rule["reason"]
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        reason = _reason(item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"out of scope: {reason}"))


@pytest.fixture(autouse=True)
def _bracket(request: pytest.FixtureRequest):
    number = SCOPE["numbers"].setdefault(request.node.nodeid, len(SCOPE["numbers"]))
    with open(os.environ["HUB_COMPAT_INDEX"], "a", encoding="utf-8") as fh:
        fh.write(f"{number}\t{request.node.nodeid}\n")
    httpx.get(f"{ENDPOINT_STAGING}/__compat__/start/{number}", timeout=10)
    yield
    httpx.get(f"{ENDPOINT_STAGING}/__compat__/end/{number}", timeout=10)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Every phase's outcome, for scripts/hub_compat.py to count."""
    if report.when != "call" and report.outcome == "passed":
        return
    message = ""
    if report.skipped and isinstance(report.longrepr, tuple):
        message = str(report.longrepr[2]).removeprefix("Skipped: ")
    elif report.failed:
        message = report.longreprtext.strip().splitlines()[-1][:300] if report.longreprtext.strip() else ""
    with open(os.environ["HUB_COMPAT_OUTCOMES"], "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": report.nodeid, "when": report.when, "outcome": report.outcome, "message": message}) + "\n")
