"""``python -m course_utils.machinery.hub_server``: prints the endpoint and the variables to set, serves, stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hub_fixtures import start_cli_server

REPO_ROOT = Path(__file__).resolve().parents[1]
start_cli = start_cli_server


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT/SIGTERM")
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_and_stops(tmp_path, stop_signal):
    proc, lines = start_cli("--data-dir", str(tmp_path / "data"), "--port", "0", "--token", "cli-token",
                            "--user", "teacher")
    try:
        text = "\n".join(lines)
        match = re.search(r"export HF_ENDPOINT=(http://127\.0\.0\.1:\d+)", text)  # 127.0.0.1 by default
        assert match, text
        url = match.group(1)
        assert "export HF_TOKEN=cli-token" in text
        assert 'os.environ["HF_ENDPOINT"]' in text

        request = urllib.request.Request(f"{url}/api/whoami-v2", headers={"Authorization": "Bearer cli-token"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert json.load(reply)["name"] == "teacher"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{url}/api/whoami-v2", timeout=10)
        assert info.value.code == 401
    finally:
        proc.send_signal(stop_signal)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail(f"the server ignored signal {stop_signal!r} for 20 s")
    assert proc.returncode == 0
    assert "Local hub stopped." in out
    assert err == ""  # quiet: no per-request lines without --verbose
    assert (tmp_path / "data" / "repos").is_dir()


def test_cli_generates_a_token_and_reports_bad_ports(tmp_path):
    proc, lines = start_cli("--data-dir", str(tmp_path / "data"), "--port", "0")
    try:
        match = re.search(r"export HF_TOKEN=(\S+)", "\n".join(lines))
        assert match, lines
        token = match.group(1)
        assert token.startswith("hf_local_") and len(token) > 30
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        for port in ("99999", str(taken.getsockname()[1])):  # out of range; already in use
            bad = subprocess.run(
                [sys.executable, "-m", "course_utils.machinery.hub_server", "--data-dir", str(tmp_path / "d2"), "--port", port],
                capture_output=True, text=True, cwd=REPO_ROOT, timeout=30,
                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            )
            assert bad.returncode == 2 and "cannot start the local hub" in bad.stderr, bad.stderr
