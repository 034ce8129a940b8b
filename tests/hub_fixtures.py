"""Pytest fixtures for the local Hub (:mod:`course_utils.machinery.hub_server`).

Import everything from ``tests/conftest.py``::

    from hub_fixtures import *  # noqa: F401,F403  (fixtures and the two hooks below)

How the clients get the right endpoint:

* ``huggingface_hub`` and ``datasets`` read ``HF_ENDPOINT`` once, when ``huggingface_hub.constants``
  and ``datasets.config`` are first imported (transformers goes through huggingface_hub). The
  ``pytest_configure`` hook below runs before any test module is collected: it starts one
  *session* hub (127.0.0.1, port 0, temporary data folder), sets ``HF_ENDPOINT`` to its URL,
  imports those two modules so that they read it, and then restores the environment. So the
  pytest process talks to the session hub, while subprocesses, notebook kernels started by nbval
  included, inherit nothing from it. ``pytest_unconfigure`` stops the hub and removes its folder.
  The session hub is what the ``transformers`` and ``datasets`` tests use.
* Tests of the ``HfApi`` protocol never depend on that: the ``hub`` fixture starts a fresh server
  per test on ``tmp_path`` and ``hub_api`` is ``HfApi(endpoint=hub.url, token=hub.token)``;
  ``hf_hub_download`` / ``snapshot_download`` take ``endpoint=`` too.
* ``session_hub`` checks that ``huggingface_hub.constants.ENDPOINT`` and ``datasets.config.HF_ENDPOINT``
  really are the session hub's URL; if something imported them earlier with another endpoint, it
  fails with a message that says so instead of letting requests go elsewhere.
* If conftest does not import the hooks, ``session_hub`` starts the hub itself; that works as long
  as nothing imported huggingface_hub.constants / datasets before (the hub tests import lazily).

``hub_online`` lifts ``HF_HUB_OFFLINE`` (if it was set for the offline profile) for one test, so the
client does talk to the local server; everything is restored afterwards.

Used by tests/test_hub_server_*.py.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit

import pytest

from course_utils.machinery.hub_server import LocalHub

REPO_ROOT = Path(__file__).resolve().parents[1]

__all__ = [
    "hub",
    "hub_api",
    "hub_online",
    "pytest_configure",
    "pytest_unconfigure",
    "raw_request",
    "repo_name",
    "session_hub",
    "session_hub_env",
    "start_cli_server",
    "start_session_hub",
    "stop_session_hub",
]

#: Variables set while huggingface_hub / datasets read their configuration, then restored.
# the local Hub has no Xet storage: large files go through Git LFS (read once, at import)
_SESSION_ENV = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_DISABLE_XET": "1"}
_state: dict[str, Any] = {}


def _import_client_configuration(endpoint: str) -> None:
    """Import the modules that read HF_ENDPOINT at import time while it points at ``endpoint``."""
    saved = {k: os.environ.get(k) for k in ("HF_ENDPOINT", *_SESSION_ENV)}
    os.environ.update({"HF_ENDPOINT": endpoint, **_SESSION_ENV})
    try:
        import huggingface_hub.constants  # noqa: F401

        try:
            import datasets.config  # noqa: F401
        except ImportError:  # an environment without datasets: nothing to configure
            pass
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_session_hub() -> LocalHub:
    """Start (once) the session hub and make huggingface_hub and datasets use it; returns it.

    The environment is left as it was (see the module docstring). Idempotent: called by
    ``pytest_configure`` and, as a fallback, by the ``session_hub`` fixture.
    """
    if "hub" in _state:
        return _state["hub"]
    folder = Path(tempfile.mkdtemp(prefix="course-local-hub-"))
    hub = LocalHub(folder / "data", fsync=False, orgs=("course-org",)).start()
    _state.update(hub=hub, folder=folder)
    _import_client_configuration(hub.url)
    return hub


def stop_session_hub() -> None:
    """Stop the session hub and delete its data."""
    hub: LocalHub | None = _state.pop("hub", None)
    if hub is None:
        return
    hub.stop()
    shutil.rmtree(_state.pop("folder"), ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    """Start the session hub before collection, so HF_ENDPOINT is set before any test module imports."""
    start_session_hub()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the session hub at the end of the run."""
    stop_session_hub()


@pytest.fixture
def hub_online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make huggingface_hub / datasets online for one test, even if ``HF_HUB_OFFLINE=1`` was set."""
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        monkeypatch.delenv(key, raising=False)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    ds_config = sys.modules.get("datasets.config")
    if ds_config is not None:
        monkeypatch.setattr(ds_config, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(ds_config, "HF_DATASETS_OFFLINE", False, raising=False)


@pytest.fixture
def hub(tmp_path: Path, hub_online: None) -> Iterator[LocalHub]:
    """A fresh local hub for one test: data in ``tmp_path / "data"``, 127.0.0.1, port 0; stopped afterwards.

    Its user is ``learner`` (who may also write to the ``course-org`` organization). After the test
    the fixture checks that none of the server's threads is left running.
    """
    with LocalHub(tmp_path / "data", orgs=("course-org",)) as server:
        yield server
    leftovers = [t.name for t in threading.enumerate() if t.name.startswith(f"local-hub-{server.port}-")]
    assert not leftovers, f"threads of the stopped hub still running: {leftovers}"


@pytest.fixture
def hub_api(hub: LocalHub) -> Any:
    """``HfApi(endpoint=hub.url, token=hub.token)``: the real client, bound to the per-test hub."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=hub.url, token=hub.token)


@pytest.fixture(scope="session")
def session_hub() -> LocalHub:
    """The session hub that ``HF_ENDPOINT`` points to (for transformers and datasets, which read the global).

    Fails the test if huggingface_hub or datasets were imported with another endpoint.
    """
    hub = start_session_hub()
    import huggingface_hub.constants as constants

    found = {"huggingface_hub.constants.ENDPOINT": constants.ENDPOINT}
    ds_config = sys.modules.get("datasets.config")
    if ds_config is not None:
        found["datasets.config.HF_ENDPOINT"] = ds_config.HF_ENDPOINT
    wrong = {name: value for name, value in found.items() if value.rstrip("/") != hub.url}
    if wrong:
        pytest.fail(
            f"The local hub runs at {hub.url} but {wrong} was read before it started: huggingface_hub "
            "(or datasets) was imported before HF_ENDPOINT was set. Import the hooks of tests/hub_fixtures.py "
            "in tests/conftest.py (`from hub_fixtures import *`) so that pytest_configure sets it first."
        )
    return hub


@pytest.fixture
def session_hub_env(session_hub: LocalHub, hub_online: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    """The session hub, with ``HF_TOKEN`` set to its token for this test (transformers/datasets read it).

    datasets' own progress bars are off during the test.
    """
    monkeypatch.setenv("HF_TOKEN", session_hub.token)
    ds_utils = sys.modules.get("datasets.utils")
    was_enabled = ds_utils is not None and ds_utils.is_progress_bar_enabled()
    if ds_utils is not None and was_enabled:
        ds_utils.disable_progress_bars()
    try:
        yield session_hub
    finally:
        if ds_utils is not None and was_enabled:
            ds_utils.enable_progress_bars()


@pytest.fixture
def repo_name() -> str:
    """A repository name no other test uses (the session hub is shared)."""
    return f"t-{uuid.uuid4().hex[:12]}"


def raw_request(
    hub: LocalHub,
    method: str,
    target: str,
    body: bytes | Mapping[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, str], Any]:
    """Send one request with ``http.client`` exactly as given (no URL normalisation) and read the reply.

    ``target`` is sent byte for byte (so ``/a/../b`` reaches the server as such). A mapping body is
    sent as JSON. Returns ``(status, headers, parsed JSON or raw bytes)``.
    """
    parts = urlsplit(hub.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        all_headers = dict(headers or {})
        payload: bytes | None
        if isinstance(body, Mapping):
            payload = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        else:
            payload = body
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in all_headers.items():
            conn.putheader(name, value)
        if "Content-Length" not in all_headers and (payload is not None or method in ("POST", "PUT", "DELETE")):
            conn.putheader("Content-Length", str(len(payload or b"")))
        conn.endheaders(payload or None)
        response = conn.getresponse()
        data = response.read()
        reply_headers = {k.lower(): v for k, v in response.getheaders()}
        if reply_headers.get("content-type", "").startswith("application/json") and data:
            return response.status, reply_headers, json.loads(data)
        return response.status, reply_headers, data
    finally:
        conn.close()


def start_cli_server(*args: str, timeout: float = 30.0) -> tuple[subprocess.Popen[str], list[str]]:
    """Start ``python -m course_utils.machinery.hub_server ARGS`` and wait for its banner; returns the process and its lines.

    The caller stops it (``send_signal``/``terminate``/``kill``) and reaps it (``communicate``).
    """
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "course_utils.machinery.hub_server", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            return proc, lines
    proc.kill()
    _, err = proc.communicate()
    raise AssertionError(f"the local hub did not start: {lines} {err}")
