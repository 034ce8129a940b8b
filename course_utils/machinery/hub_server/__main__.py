"""Command line: ``python -m course_utils.machinery.hub_server --data-dir DIR`` (also installed as ``course-hub``).

Serves a local Hub until Ctrl-C and prints what to set in the learner's environment::

    course-hub --data-dir ~/hub-data --port 8080 --token my-secret

Binds 127.0.0.1 unless ``--host`` says otherwise (``--host 0.0.0.0`` shares it with a classroom
network). Without ``--token`` the token comes from ``COURSE_HUB_TOKEN`` or is generated and
printed. For a classroom, give each learner an account (:mod:`.accounts`)::

    course-hub accounts --data-dir ~/hub-data add alice bob   # prints their tokens

Used in notebooks/03_hub.ipynb (notebook 03 mentions it for learners who want a Hub of their own) and the tests.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Sequence

from .accounts import Accounts, AccountsError
from .asgi import ServerLimits
from .server import DEFAULT_USER, LocalHub, generate_token
from .validation import HubError


def build_parser() -> argparse.ArgumentParser:
    """The command line parser of ``course-hub``.

    Used in notebooks/03_hub.ipynb (which mentions it for learners) and the tests.
    """
    parser = argparse.ArgumentParser(
        prog="course-hub",
        description="Serve a local Hugging Face Hub-compatible server (models and datasets) from a folder.",
    )
    parser.add_argument("--data-dir", required=True, type=Path, help="folder holding all repositories (created if missing)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    parser.add_argument("--port", default=8080, type=int, help="port (default: 8080; 0 picks a free one)")
    parser.add_argument("--token", default=None, help="access token (default: $COURSE_HUB_TOKEN, else a random one)")
    parser.add_argument("--user", default=DEFAULT_USER, help=f"user name of the token (default: {DEFAULT_USER})")
    parser.add_argument("--org", action="append", default=[], help="an organization the user may also write to (repeatable)")
    parser.add_argument("--max-commit-mb", type=int, default=1024, help="largest commit body in MiB (default: 1024)")
    parser.add_argument("--no-fsync", action="store_true", help="skip fsync (faster; a power cut may lose recent commits)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log one line per request on stderr")
    room = parser.add_argument_group("limits for a room of learners (answered 503 with Retry-After when reached)")
    defaults = ServerLimits()
    room.add_argument("--max-connections", type=int, default=defaults.max_connections,
                      help=f"open connections in all (default: {defaults.max_connections}, at most half the open-file limit)")
    room.add_argument("--max-connections-per-client", type=int, default=defaults.max_connections_per_client,
                      help=f"open connections from one address (default: {defaults.max_connections_per_client})")
    room.add_argument("--max-requests", type=int, default=defaults.max_requests,
                      help=f"requests handled at once (default: {defaults.max_requests})")
    room.add_argument("--max-requests-per-client", type=int, default=defaults.max_requests_per_client,
                      help="requests handled at once for one address and account "
                           f"(default: {defaults.max_requests_per_client})")
    room.add_argument("--queue-timeout", type=float, default=defaults.queue_timeout,
                      help=f"seconds a request waits for a free worker before 503 (default: {defaults.queue_timeout:g})")
    room.add_argument("--idle-timeout", type=float, default=defaults.idle_timeout,
                      help=f"seconds a connection may take to send a request head, or stay idle (default: {defaults.idle_timeout:g})")
    room.add_argument("--body-timeout", type=float, default=defaults.body_timeout,
                      help=f"seconds a request body may take, plus 1 s per {defaults.min_upload_rate // 1024} KiB received "
                           f"(default: {defaults.body_timeout:g})")
    return parser


def build_accounts_parser() -> argparse.ArgumentParser:
    """The parser of ``course-hub accounts``: learner accounts of a data folder.

    Used by workshop hosts (README, the site's workshop page) and the tests.
    """
    parser = argparse.ArgumentParser(
        prog="course-hub accounts",
        description="Manage the learner accounts of a local Hub's data folder (also while it runs).",
    )
    parser.add_argument("--data-dir", required=True, type=Path, help="the server's data folder")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create accounts and print each new token (shown only once)")
    add.add_argument("names", nargs="+")
    token = commands.add_parser("token", help="give a user a new token (the old one stops working)")
    token.add_argument("name")
    remove = commands.add_parser("remove", help="delete an account (its repositories stay)")
    remove.add_argument("name")
    org = commands.add_parser("org", help="create an organisation or set its members")
    org.add_argument("org")
    org.add_argument("members", nargs="*")
    commands.add_parser("list", help="users and their organisations")
    return parser


def accounts_main(argv: Sequence[str]) -> int:
    """``course-hub accounts ...``; returns the exit status."""
    args = build_accounts_parser().parse_args(argv)
    accounts = Accounts(args.data_dir)
    try:
        if args.command == "add":
            for name in args.names:
                print(f"{name}\t{accounts.add_user(name)}")
        elif args.command == "token":
            print(f"{args.name}\t{accounts.new_token(args.name)}")
        elif args.command == "remove":
            accounts.remove_user(args.name)
        elif args.command == "org":
            accounts.set_org(args.org, args.members)
        else:
            for name, orgs in accounts.users().items():
                print(name + (f"\t{', '.join(orgs)}" if orgs else ""))
    except AccountsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until Ctrl-C (or SIGTERM), or manage accounts; returns the exit status.

    Used in notebooks/03_hub.ipynb (which mentions it for learners) and the tests.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["accounts"]:
        return accounts_main(argv[1:])
    args = build_parser().parse_args(argv)
    token = args.token or os.environ.get("COURSE_HUB_TOKEN") or generate_token()
    try:
        limits = ServerLimits(
            max_connections=args.max_connections, max_connections_per_client=args.max_connections_per_client,
            max_requests=args.max_requests, max_requests_per_client=args.max_requests_per_client,
            queue_timeout=args.queue_timeout, idle_timeout=args.idle_timeout,
            body_timeout=args.body_timeout,
        )
        hub = LocalHub(
            args.data_dir, host=args.host, port=args.port, token=token, user=args.user, orgs=args.org,
            max_commit_bytes=args.max_commit_mb << 20, verbose=args.verbose, fsync=not args.no_fsync,
            server_limits=limits,
        )
        hub.start()
    except (OSError, ValueError, HubError) as exc:  # a bad name, port or limit: one line, no traceback
        print(f"error: cannot start the local hub: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    # Both signals are handled explicitly: a process started in the background inherits an
    # ignored SIGINT, and Ctrl-C would then never reach the default KeyboardInterrupt.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"Local Hugging Face Hub serving {args.data_dir.resolve()} at {hub.url}", flush=True)
    print(f"User: {hub.user}   token: {hub.token}")
    print("In a shell, before starting Python or Jupyter:")
    print(f"  export HF_ENDPOINT={hub.url}")
    print(f"  export HF_TOKEN={hub.token}")
    print("  export HF_HUB_DISABLE_XET=1   # this Hub takes large files through Git LFS, not Xet")
    print("In a notebook, in the first cell, before importing huggingface_hub / transformers / datasets:")
    print(f'  import os; os.environ["HF_ENDPOINT"] = "{hub.url}"; os.environ["HF_TOKEN"] = "{hub.token}"; '
          'os.environ["HF_HUB_DISABLE_XET"] = "1"')
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Bound to {args.host}: other machines reach it at http://<this machine's address>:{hub.port}. "
              "Give each learner an account and its own token: course-hub accounts "
              f"--data-dir {args.data_dir} add NAME")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        hub.stop()
        print("Local hub stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
