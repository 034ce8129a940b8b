"""Command line: ``python -m course_utils.hub_server --data-dir DIR`` (also installed as ``course-hub``).

Serves a local Hub until Ctrl-C and prints what to set in the learner's environment::

    python -m course_utils.hub_server --data-dir ~/hub-data --port 8080 --token my-secret

Binds 127.0.0.1 unless ``--host`` says otherwise (``--host 0.0.0.0`` shares it with a classroom
network: every learner then uses the same token). Without ``--token`` the token comes from
``COURSE_HUB_TOKEN`` or is generated and printed.

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

from .server import DEFAULT_USER, LocalHub, generate_token


def build_parser() -> argparse.ArgumentParser:
    """The command line parser of ``python -m course_utils.hub_server``.

    Used in notebooks/03_hub.ipynb (which mentions it for learners) and the tests.
    """
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.hub_server",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until Ctrl-C (or SIGTERM); returns the exit status.

    Used in notebooks/03_hub.ipynb (which mentions it for learners) and the tests.
    """
    args = build_parser().parse_args(argv)
    token = args.token or os.environ.get("COURSE_HUB_TOKEN") or generate_token()
    try:
        hub = LocalHub(
            args.data_dir, host=args.host, port=args.port, token=token, user=args.user, orgs=args.org,
            max_commit_bytes=args.max_commit_mb << 20, verbose=args.verbose, fsync=not args.no_fsync,
        )
        hub.start()
    except (OSError, ValueError) as exc:
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
    print("In a notebook, in the first cell, before importing huggingface_hub / transformers / datasets:")
    print(f'  import os; os.environ["HF_ENDPOINT"] = "{hub.url}"; os.environ["HF_TOKEN"] = "{hub.token}"')
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Bound to {args.host}: other machines reach it at http://<this machine's address>:{hub.port} and "
              "need the same token; anyone who has the token can write.")
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
