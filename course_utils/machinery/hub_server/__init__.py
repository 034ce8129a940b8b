"""A local, offline Hugging Face Hub for the course: ``LocalHub`` and ``python -m course_utils.machinery.hub_server``.

Learners without an account, offline classrooms and the project's CI get a Hub that the real,
unmodified ``huggingface_hub`` client, ``transformers`` and ``datasets`` talk to through
``HF_ENDPOINT``: create repositories, upload, commit, tag, download, ``from_pretrained``,
``push_to_hub``, ``load_dataset``. HTTP through Hypercorn and Starlette; state lives in one data directory.

>>> from course_utils.machinery.hub_server import LocalHub        # doctest: +SKIP
>>> hub = LocalHub("hub-data").start()
>>> hub.env                                              # set these before importing huggingface_hub
{'HF_ENDPOINT': 'http://127.0.0.1:40123', 'HF_TOKEN': 'hf_local_...', 'HF_HUB_DISABLE_XET': '1'}
>>> hub.stop()

Modules: :mod:`.server` (HTTP server, :class:`LocalHub`), :mod:`.asgi` (the ASGI application,
its limits and deadlines), :mod:`.app` (the Hub routes),
:mod:`.storage` (blobs, commits, refs on disk), :mod:`.auth` (tokens and namespaces),
:mod:`.accounts` (learner accounts of a classroom),
:mod:`.validation` (names, paths, errors), :mod:`.body` (bounded request bodies),
:mod:`.lfs` (Git LFS pointers, ``.gitattributes`` and ``.gitignore`` rules, signed upload links).

Used in notebooks/03_hub.ipynb and the tests.
"""

from __future__ import annotations

from .accounts import Accounts, AccountsError
from .asgi import ServerLimits
from .auth import Identity, TokenAuth
from .server import DEFAULT_USER, LocalHub, generate_token
from .storage import Storage
from .validation import HubError

__all__ = [
    "Accounts",
    "AccountsError",
    "DEFAULT_USER",
    "HubError",
    "Identity",
    "LocalHub",
    "ServerLimits",
    "Storage",
    "TokenAuth",
    "generate_token",
]
