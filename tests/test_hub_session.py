"""``course_utils.hub_session``: connecting notebook 03 to the local Hub (smoke) or a real Hub (full).

The pytest process imported huggingface_hub already (the session hub of hub_fixtures.py), so every
test that depends on the endpoint the libraries read at import runs in a fresh subprocess, as a
notebook kernel would. The subprocess prints one JSON line with what it observed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from course_utils.hub_session import HubConnection

pytestmark = pytest.mark.main_env

REPO_ROOT = Path(__file__).resolve().parents[1]
_HF_VARIABLES = ("HF_", "HUGGINGFACE_", "TRANSFORMERS_")


def run_kernel_like(script: str, env: dict[str, str] | None = None, timeout: float = 300) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter without any Hugging Face variable of this process (plus ``env``).

    Returns the JSON object the script printed on its last line; fails the test on a non-zero exit.
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_HF_VARIABLES)}
    clean["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + clean.get("PYTHONPATH", "")
    clean.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=REPO_ROOT, env=clean, capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"no output; stderr:\n{proc.stderr}"
    return json.loads(lines[-1])


def test_connection_repo_ids_and_repr_hold_no_secret():
    connection = HubConnection(endpoint="https://hub.example", namespace="someone", local=False)
    assert connection.repo_id("model") == "someone/model"
    with pytest.raises(ValueError, match="without namespace"):
        connection.repo_id("other/model")
    assert repr(connection) == "HubConnection(endpoint='https://hub.example', namespace='someone', local=False)"
    assert not connection.closed
    connection.close()  # nothing to close for a remote Hub
    with connection as same:
        assert same is connection


def test_smoke_profile_starts_a_local_hub_sets_the_environment_and_cleans_up(tmp_path):
    outer_home = tmp_path / "learner-home"
    result = run_kernel_like(
        """
        import json, os, socket, sys
        from pathlib import Path
        from course_utils.hub_session import connect_hub
        from course_utils.machinery.profiles import notebook_assets

        assets = notebook_assets("03_hub", "smoke")
        hub = connect_hub(assets)
        out = {
            "endpoint": hub.endpoint, "namespace": hub.namespace, "local": hub.local,
            "hub_imported_by_connect": "huggingface_hub" in sys.modules,
            "env_endpoint": os.environ["HF_ENDPOINT"], "token_set": bool(os.environ.get("HF_TOKEN")),
            "home": os.environ["HF_HOME"], "offline": os.environ.get("HF_HUB_OFFLINE"),
            "hub_cache": os.environ.get("HF_HUB_CACHE"), "repr": repr(hub),
        }
        import huggingface_hub.constants
        from huggingface_hub import HfApi, hf_hub_download

        out["client_endpoint"] = huggingface_hub.constants.ENDPOINT
        from huggingface_hub import get_token, login

        out["token_before_login"] = get_token() is not None
        login(token=hub.token)  # the notebook's visible login step
        out["token_is_the_local_one"] = get_token() == hub.token
        api = HfApi()
        out["whoami"] = api.whoami()["name"]
        repo = hub.repo_id("session-test")
        api.create_repo(repo, private=True)
        api.upload_file(path_or_fileobj=b"hello", path_in_repo="hello.txt", repo_id=repo)
        path = hf_hub_download(repo, "hello.txt")
        out["downloaded"] = Path(path).read_text()
        out["download_in_temp_home"] = path.startswith(os.environ["HF_HOME"])
        folder = Path(os.environ["HF_HOME"]).parent

        port = int(hub.endpoint.rsplit(":", 1)[1])
        hub.close()
        hub.close()  # idempotent
        out["closed"] = hub.closed
        out["folder_removed"] = not folder.exists()
        with socket.socket() as probe:
            out["port_refuses"] = probe.connect_ex(("127.0.0.1", port)) != 0
        out["env_after"] = {k: os.environ.get(k) for k in ("HF_ENDPOINT", "HF_TOKEN", "HF_HOME", "HF_HUB_OFFLINE", "HF_HUB_CACHE")}

        # The notebook run again in the same kernel: the libraries keep the endpoint they read, so the
        # new server takes the same port, on a fresh copy of the seeded Hub (without what the first run pushed).
        again = connect_hub(assets)
        login(token=again.token)
        out["again_same_endpoint"] = again.endpoint == hub.endpoint
        out["again_repos"] = [m.id for m in HfApi().list_models(author=again.namespace)]
        out["again_seeded"] = [m.id for m in HfApi().list_models(author="sentence-transformers")]
        out["again_whoami"] = HfApi().whoami()["name"]
        again.close()
        print(json.dumps(out))
        """,
        env={
            # Leftovers of the learner's own setup must not leak into the notebook's local Hub.
            "HF_ENDPOINT": "http://127.0.0.1:9",
            "HF_HUB_OFFLINE": "1",
            "HF_HOME": str(outer_home),
            "HF_HUB_CACHE": str(outer_home / "hub"),
            "HF_TOKEN": "hf_not_for_the_local_hub",
        },
    )
    assert result["namespace"] == "learner" and result["local"] is True
    assert result["endpoint"].startswith("http://127.0.0.1:")
    assert result["hub_imported_by_connect"] is False  # connect_hub itself imports no HF library
    assert result["env_endpoint"] == result["client_endpoint"] == result["endpoint"]
    assert not result["token_set"] and not result["token_before_login"]  # the learner's own token is unset
    assert result["token_is_the_local_one"]
    assert result["home"] != str(outer_home) and not result["home"].startswith(str(tmp_path))
    assert result["offline"] is None and result["hub_cache"] is None
    assert "token" not in result["repr"].lower() and result["home"] not in result["repr"]
    assert result["whoami"] == "learner"
    assert result["downloaded"] == "hello" and result["download_in_temp_home"]
    assert result["closed"] and result["folder_removed"] and result["port_refuses"]
    assert result["env_after"] == {
        "HF_ENDPOINT": "http://127.0.0.1:9", "HF_TOKEN": "hf_not_for_the_local_hub", "HF_HOME": str(outer_home),
        "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(outer_home / "hub"),
    }
    assert result["again_same_endpoint"] and result["again_repos"] == [] and result["again_whoami"] == "learner"
    assert result["again_seeded"] == ["sentence-transformers/all-MiniLM-L6-v2"]
    assert not outer_home.exists()  # nothing was written to the learner's own cache


def test_in_smoke_connect_hub_returns_the_hub_that_setup_started():
    result = run_kernel_like(
        """
        import json, os
        from course_utils import hub_session
        from course_utils.hub_session import connect_hub
        from course_utils.notebook_setup import setup

        assets = setup("03_hub", "smoke")
        started = hub_session._state["current"]
        endpoint = os.environ["HF_ENDPOINT"]
        hub = connect_hub(assets)
        out = {
            "same": hub is started, "again_same": connect_hub(assets) is hub, "namespace": hub.namespace,
            "endpoint_unchanged": hub.endpoint == endpoint == os.environ["HF_ENDPOINT"], "closed": hub.closed,
        }
        from huggingface_hub import HfApi, login

        login(token=hub.token)
        api = HfApi()
        # The checkpoint is its own Hub id: the local Hub serves it under the id the notebook names as base model.
        out["checkpoint_files"] = sorted(api.list_repo_files(assets.checkpoint))
        out["gpt2_files"] = sorted(api.list_repo_files("openai-community/gpt2"))
        out["dataset_files"] = sorted(api.list_repo_files(assets.dataset, repo_type="dataset"))

        other = connect_hub(assets, user="someone")  # another user: a new server, the first one stopped
        out["other"] = [other is not hub, other.namespace, hub.closed, other.endpoint == hub.endpoint]
        other.close()
        print(json.dumps(out))
        """
    )
    assert result["same"] and result["again_same"] and result["endpoint_unchanged"]
    assert result["namespace"] == "learner" and result["closed"] is False
    assert {"config.json", "model.safetensors", "tokenizer.json", "vocab.txt"} <= set(result["checkpoint_files"])
    assert {"vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json"} <= set(result["gpt2_files"])
    assert not any(name.endswith((".safetensors", ".bin", ".h5")) for name in result["gpt2_files"])  # a tokenizer, no weights
    assert {f"split/{s}-00000-of-00001.parquet" for s in ("train", "validation", "test")} <= set(result["dataset_files"])
    assert result["other"] == [True, "someone", True, True]


def test_a_kernel_that_exits_without_close_leaves_no_folder_behind():
    result = run_kernel_like(
        """
        import json, os
        from course_utils.hub_session import connect_hub
        from course_utils.machinery.profiles import notebook_assets

        connect_hub(notebook_assets("03_hub", "smoke"))
        print(json.dumps({"folder": os.path.dirname(os.environ["HF_HOME"])}))
        """
    )
    assert result["folder"] and not Path(result["folder"]).exists()


def test_huggingface_hub_imported_first_asks_to_restart_the_kernel():
    result = run_kernel_like(
        """
        import json, os
        os.environ["HF_ENDPOINT"] = "http://127.0.0.1:9"
        import huggingface_hub.constants
        from course_utils.hub_session import HubSessionError, connect_hub
        from course_utils.machinery.profiles import notebook_assets

        out = {}
        for profile, kwargs in (("smoke", {}), ("full", {"endpoint": "https://hub.example"})):
            try:
                connect_hub(notebook_assets("03_hub", profile), **kwargs)
                out[profile] = None
            except HubSessionError as error:
                out[profile] = str(error)
        print(json.dumps(out))
        """
    )
    for profile in ("smoke", "full"):
        message = result[profile]
        assert message is not None, f"{profile}: no error"
        assert "Restart the kernel" in message and "connect_hub(assets)" in message
        assert "huggingface_hub uses http://127.0.0.1:9" in message


def test_full_profile_without_a_token_says_how_to_log_in(tmp_path):
    result = run_kernel_like(
        """
        import json
        from course_utils.hub_session import HubLoginError, connect_hub
        from course_utils.machinery.profiles import notebook_assets

        hub = connect_hub(notebook_assets("03_hub", "full"))  # connecting works: logging in comes next
        try:
            hub.repo_id("my-model")
            print(json.dumps({"error": None}))
        except HubLoginError as error:
            print(json.dumps({"error": str(error)}))
        """,
        env={"HF_HOME": str(tmp_path / "empty-home")},  # no stored login either
    )
    message = result["error"]
    assert message is not None
    assert "https://huggingface.co" in message
    assert "notebook_login()" in message and "hf auth login" in message and "HF_TOKEN" in message


def test_full_profile_uses_the_learners_token_and_user(hub, tmp_path):
    """A real Hub, played by a local one passed as ``endpoint`` (as for a mirror or a private Hub)."""
    script = """
        import json, os
        from course_utils.hub_session import HubLoginError, connect_hub
        from course_utils.machinery.profiles import notebook_assets

        try:
            connection = connect_hub(notebook_assets("03_hub", "full"), endpoint=os.environ["TEST_ENDPOINT"] + "/")
        except HubLoginError as error:
            print(json.dumps({"error": str(error)}))
        else:
            out = {"error": None, "endpoint": connection.endpoint, "namespace": connection.namespace,
                   "local": connection.local, "env_endpoint": os.environ["HF_ENDPOINT"], "repr": repr(connection)}
            connection.close()
            out["closed"] = connection.closed
            print(json.dumps(out))
    """
    env = {"TEST_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "home")}
    ok = run_kernel_like(script, env={**env, "HF_TOKEN": hub.token})
    assert ok["error"] is None
    assert ok["endpoint"] == ok["env_endpoint"] == hub.url
    assert ok["namespace"] == "learner" and ok["local"] is False and ok["closed"] is False
    assert hub.token not in ok["repr"]

    # The learner's own HF_ENDPOINT (a mirror, a company Hub) is honoured too.
    script_without_argument = script.replace('endpoint=os.environ["TEST_ENDPOINT"] + "/"', "")
    from_env = run_kernel_like(script_without_argument, env={**env, "HF_TOKEN": hub.token, "HF_ENDPOINT": hub.url})
    assert from_env["error"] is None and from_env["endpoint"] == hub.url and from_env["namespace"] == "learner"

    wrong_token = "hf_wrong_token_for_this_test"
    refused = run_kernel_like(script, env={**env, "HF_TOKEN": wrong_token})
    assert refused["error"] is not None
    assert "Could not check your token" in refused["error"] and "hf auth login" in refused["error"]
    assert wrong_token not in refused["error"]
