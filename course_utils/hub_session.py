"""Connect a notebook to a Hub: the course's local server (smoke profile) or huggingface.co (full).

In the smoke profile, ``setup()`` starts the kernel's local Hub (:func:`start_local_hub`) before anything
imports ``huggingface_hub``, ``transformers`` or ``datasets``; notebooks 03 and 04, which push, then
connect to it by name::

    hub = connect_hub(assets)          # smoke: the Hub setup() started; full: points at huggingface.co
    login(token=hub.token)             # smoke; in the full profile, notebook_login() or `hf auth login`
    repo_id = hub.repo_id("my-model")  # "learner/my-model" locally, "<your user>/my-model" on the Hub
    ...
    hub.close()

Why the order matters: ``huggingface_hub`` and ``datasets`` read ``HF_ENDPOINT`` (and ``HF_HOME``)
once, when they are imported, and every later call goes to that endpoint. So the connection
sets those variables first, and refuses to go on (with a "restart the kernel" message) when the
libraries were already imported with another endpoint.

* **smoke** (``settings["hub"] == "local"``): a :class:`~course_utils.machinery.hub_server.LocalHub` on
  127.0.0.1 and a free port, serving a fresh copy of the smoke profile's seeded Hub
  (:mod:`course_utils.machinery.smoke_hub`: the talks' repository ids), so every run starts from the same state.
  ``HF_ENDPOINT`` points at it, and ``HF_HOME`` at a throw-away folder next to it: what the notebook
  downloads from the local Hub, and the login it saves, never mix with your real Hugging Face cache
  and login, and your own token (``HF_TOKEN`` is unset meanwhile) is never sent to it. The learner
  logs in visibly with ``login(token=hub.token)``: the local server's token, valid there only. Offline switches (``HF_HUB_OFFLINE`` and friends) are lifted
  for the notebook's process: the local Hub is on this machine. :meth:`HubConnection.close` stops
  the server, deletes both folders and restores the environment (and runs by itself when the
  process exits). Running the notebook again in the same kernel works: the new server takes the
  port the libraries already know.
* **full** (``settings["hub"] == "huggingface.co"``): the real Hub with your own token, from
  ``notebook_login()``, ``hf auth login`` or the ``HF_TOKEN`` variable. When you are logged in
  already, the token is checked right away; otherwise the notebook's login step comes next, and the
  namespace (your user name, as ``whoami`` reports it) is looked up when first needed. Your token is
  never printed nor kept on the connection. An ``HF_ENDPOINT`` you set yourself (a mirror, a company
  Hub) is used instead of huggingface.co.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Mapping

from course_utils.machinery.profiles import NotebookAssets

__all__ = [
    "HubConnection",
    "HubLoginError",
    "HubSessionError",
    "connect_hub",
    "imported_endpoints",
]

#: The value of ``settings["hub"]`` that selects the course's local server.
LOCAL = "local"
#: The local Hub's user: every repository of the smoke profile lives under this namespace.
LOCAL_USER = "learner"

#: Variables that send the libraries' caches somewhere else than ``HF_HOME``: unset for the local Hub.
_CACHE_VARIABLES = (
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_DATASETS_CACHE",
    "HF_ASSETS_CACHE",
    "HF_XET_CACHE",
    "HF_MODULES_CACHE",
    "TRANSFORMERS_CACHE",
    "HF_TOKEN_PATH",
    "HF_STORED_TOKENS_PATH",
)
#: Offline switches: the local Hub is on this machine, so the notebook's process goes "online".
_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")


_LOGIN_HINT = (
    "call `huggingface_hub.notebook_login()` in a cell, or run `hf auth login` (or "
    "`huggingface-cli login`) in a terminal, or set the HF_TOKEN environment variable"
)


class HubSessionError(RuntimeError):
    """The Hugging Face libraries were imported with another endpoint: restart the kernel.

    Used in notebooks/03_hub.ipynb (raised by :func:`connect_hub`).
    """


class HubLoginError(RuntimeError):
    """No usable token for the real Hub (not logged in, or the token was refused).

    Used in notebooks/03_hub.ipynb (raised by :func:`connect_hub` in the full profile).
    """


@dataclass(eq=False)
class HubConnection:
    """Where the notebook's Hub calls go: ``endpoint``, ``namespace`` (the user), ``local``.

    ``token`` is the local Hub's own token (for ``login``), ``None`` for the real Hub: your token
    is never kept here. ``namespace`` is ``None`` for the real Hub until you are logged in (see
    :meth:`repo_id`). ``close()`` stops a local Hub and deletes its data (idempotent); for the
    real Hub it does nothing. Also a context manager.

    Used in notebooks/03_hub.ipynb.
    """

    endpoint: str
    namespace: str | None
    local: bool
    token: str | None = field(default=None, repr=False)
    _server: Any = field(default=None, repr=False)
    _folder: Path | None = field(default=None, repr=False)
    _saved_env: dict[str, str | None] = field(default_factory=dict, repr=False)

    def repo_id(self, name: str) -> str:
        """``namespace/name``: the id of a repository of yours.

        On the real Hub, the first call after logging in asks ``whoami`` for your user name;
        without a usable token it raises :class:`HubLoginError`, saying how to log in. Used in
        notebooks/03_hub.ipynb.
        """
        if "/" in name:
            raise ValueError(f"Give a repository name without namespace, not {name!r}")
        if self.namespace is None:
            self.namespace = _user_name(self.endpoint)
        return f"{self.namespace}/{name}"

    @property
    def closed(self) -> bool:
        """True once :meth:`close` stopped the local Hub (always False for the real Hub).

        Used in notebooks/03_hub.ipynb.
        """
        return self.local and self._server is None

    def close(self) -> None:
        """Stop the local Hub, delete its data and download cache, restore the environment.

        Does nothing for the real Hub, or when already closed. Used in notebooks/03_hub.ipynb.
        """
        server, folder = self._server, self._folder
        if server is None:
            return
        self._server = None
        server.stop()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        _restore_env(self._saved_env)
        self._saved_env = {}
        if _state.get("current") is self:
            _state.pop("current")

    def __enter__(self) -> "HubConnection":
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# What this module set up in this process: the open local connection ("current") and the
# endpoint and folder the libraries were configured with ("configured"), for a second run.
_state: dict[str, Any] = {}


def imported_endpoints() -> dict[str, str]:
    """The endpoints that already-imported Hugging Face modules read at import time.

    ``{"huggingface_hub": ..., "datasets": ...}``, with only the modules imported so far (an
    empty dict when neither is). transformers goes through huggingface_hub.

    Used in notebooks/03_hub.ipynb (through :func:`connect_hub`) and the tests.
    """
    found: dict[str, str] = {}
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        found["huggingface_hub"] = str(getattr(constants, "ENDPOINT", "")).rstrip("/")
    ds_config = sys.modules.get("datasets.config")
    if ds_config is not None:
        found["datasets"] = str(getattr(ds_config, "HF_ENDPOINT", "")).rstrip("/")
    return found


def connect_hub(
    assets: NotebookAssets, *, endpoint: str | None = None, user: str = LOCAL_USER
) -> HubConnection:
    """Connect to the Hub that the notebook's profile declares (``assets.settings["hub"]``).

    Smoke profile (``"local"``): start a local Hub on a fresh temporary folder as ``user`` and
    point ``HF_ENDPOINT`` and ``HF_HOME`` at it (see the module docstring); an ``HF_ENDPOINT``
    already in the environment is ignored, and ``login(token=connection.token)`` logs in. Full
    profile: use the real Hub with the learner's token: ``endpoint`` if given, else
    ``$HF_ENDPOINT`` if set (a mirror or a private Hub), else ``https://huggingface.co``.

    Call it before importing ``huggingface_hub``, ``transformers`` or ``datasets``. Raises
    :class:`HubSessionError` when they were imported with another endpoint (restart the
    kernel), and :class:`HubLoginError` when the learner is logged in to the real Hub with a
    token it refuses.

    Used in notebooks/03_hub.ipynb.
    """
    hub = str(assets.settings.get("hub", LOCAL))
    if hub == LOCAL:
        current: HubConnection | None = _state.get("current")
        if current is not None and not current.closed and current.namespace == user:
            return current  # the Hub that setup() started for this notebook
        return start_local_hub(user)
    return _connect_remote((endpoint or os.environ.get("HF_ENDPOINT") or f"https://{hub}").rstrip("/"))


def start_local_hub(user: str = LOCAL_USER) -> HubConnection:
    """Start this kernel's local Hub: a fresh copy of the smoke profile's seeded Hub, as ``user``.

    Seeds the smoke Hub first if this machine has not yet (:func:`course_utils.machinery.smoke_hub.ensure_seeded`),
    then serves a hard-linked copy of it, so what the notebook pushes never changes the seeded data. A
    Hub this kernel started before is stopped first: running the notebook again starts from the seeded
    state. Used by :func:`course_utils.notebook_setup.setup` in the smoke profile.
    """
    from course_utils.machinery import smoke_hub
    from course_utils.machinery.hub_server import LocalHub

    current: HubConnection | None = _state.get("current")
    if current is not None:  # the notebook runs again in the same kernel: one server at a time
        current.close()
    imported = imported_endpoints()
    configured: Mapping[str, Any] | None = _state.get("configured")
    if not imported:
        folder, port = None, 0
    elif configured is not None and set(imported.values()) == {configured["endpoint"]}:
        # Imported by an earlier run of this notebook in this kernel: reuse its port and folder
        # names, since the libraries keep the endpoint and cache paths they read then.
        folder, port = configured["folder"], configured["port"]
    else:
        raise HubSessionError(_imported_message(imported, "the course's local Hub"))

    smoke_hub.ensure_seeded()
    try:
        if folder is None:
            folder = smoke_hub.kernel_folder()
        else:
            folder.mkdir(parents=True, exist_ok=True)
        smoke_hub.make_view(folder / "hub-data")
    except OSError as exc:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise smoke_hub.SmokeHubError(
            f"Could not copy the local Hub for this notebook into {smoke_hub.root()} ({exc.strerror or exc}): "
            "free some disk space, or set COURSE_CACHE to a writable folder, then run the notebook again."
        ) from None
    home = folder / "hf-home"
    try:
        server = LocalHub(folder / "hub-data", port=port, user=user, fsync=False).start()
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HubSessionError(
            f"Could not start the local Hub on port {port} ({exc.strerror or exc}): another program took "
            "the port; restart the kernel and run the notebook from the top."
        ) from exc
    values = {
        "HF_ENDPOINT": server.endpoint,
        "HF_HOME": str(home),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_XET": "1",  # the local Hub stores large files with Git LFS, not Xet
    }
    unset = ("HF_TOKEN", *_CACHE_VARIABLES, *_OFFLINE_VARIABLES)
    saved = {name: os.environ.get(name) for name in (*values, *unset)}
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update(values)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:  # imported already: it read the variable then
        constants.HF_HUB_DISABLE_XET = True
    connection = HubConnection(
        endpoint=server.endpoint,
        namespace=user,
        local=True,
        token=server.token,
        _server=server,
        _folder=folder,
        _saved_env=saved,
    )
    _state["current"] = connection
    atexit.register(connection.close)  # a kernel shut down before the last cell leaves nothing behind
    _state["configured"] = {"endpoint": server.endpoint, "folder": folder, "port": server.port}
    return connection


def _connect_remote(endpoint: str) -> HubConnection:
    imported = imported_endpoints()
    if any(value != endpoint for value in imported.values()):
        raise HubSessionError(_imported_message(imported, endpoint))
    os.environ["HF_ENDPOINT"] = endpoint
    from huggingface_hub import get_token

    # Logged in already: check the token now. Otherwise the notebook's login step comes next.
    name = _user_name(endpoint) if get_token() else None
    return HubConnection(endpoint=endpoint, namespace=name, local=False)


def _user_name(endpoint: str) -> str:
    """The user name of the token in use, as ``whoami`` on ``endpoint`` reports it."""
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token:
        raise HubLoginError(f"The full profile works on {endpoint} with your own account: {_LOGIN_HINT}.")
    try:
        return str(HfApi(endpoint=endpoint, token=token).whoami()["name"])
    except Exception as exc:  # refused token, no network, offline mode: all mean "cannot log in"
        raise HubLoginError(
            f"Could not check your token with {endpoint} ({type(exc).__name__}). If the token is "
            f"wrong or expired, {_LOGIN_HINT}; if you are offline, use the smoke profile."
        ) from None


def _imported_message(imported: Mapping[str, str], wanted: str) -> str:
    found = ", ".join(f"{module} uses {value}" for module, value in sorted(imported.items()))
    return (
        f"The Hugging Face libraries were imported before connecting to {wanted} ({found}); they "
        "read HF_ENDPOINT only once, at import. Restart the kernel and run the cells in order: "
        "connect_hub(assets) comes before importing huggingface_hub, transformers or datasets."
    )


def _restore_env(saved: Mapping[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
