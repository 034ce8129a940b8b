"""scripts/hub_compat.py: how it counts huggingface_hub's tests (the run itself needs the registry: ./course hub-compat)."""

from __future__ import annotations

import importlib.util
import json
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("hub_compat", ROOT / "scripts" / "hub_compat.py")
hub_compat = importlib.util.module_from_spec(_spec)
assert _spec.loader is not None
_spec.loader.exec_module(hub_compat)


def test_a_test_counts_as_reaching_the_server_only_with_a_request_inside_its_brackets(tmp_path: Path) -> None:
    index = tmp_path / "index.tsv"
    index.write_text("0\ttests/a.py::test_offline\n1\ttests/a.py::test_online\n")
    log = tmp_path / "server.log"
    log.write_text(
        '[local-hub] 127.0.0.1 "GET /__compat__/start/0 HTTP/1.1" 404\n'
        '[local-hub] 127.0.0.1 "GET /__compat__/end/0 HTTP/1.1" 404\n'
        '[local-hub] 127.0.0.1 "POST /api/repos/create HTTP/1.1" 200\n'  # between tests: a class fixture
        '[local-hub] 127.0.0.1 "GET /__compat__/start/1 HTTP/1.1" 404\n'
        '[local-hub] 127.0.0.1 "GET /api/models/u/r HTTP/1.1" 200\n'
        '[local-hub] 127.0.0.1 "GET /__compat__/end/1 HTTP/1.1" 404\n'
    )
    assert hub_compat.reached(log, index) == {"tests/a.py::test_online"}


def test_the_final_outcome_is_the_worst_phase(tmp_path: Path) -> None:
    reports = [
        {"id": "t::ok", "when": "call", "outcome": "passed", "message": ""},
        {"id": "t::teardown", "when": "call", "outcome": "passed", "message": ""},
        {"id": "t::teardown", "when": "teardown", "outcome": "failed", "message": "boom"},
        {"id": "t::setup", "when": "setup", "outcome": "failed", "message": "no fixture"},
        {"id": "t::skipped", "when": "setup", "outcome": "skipped", "message": "out of scope: gated repositories"},
    ]
    path = tmp_path / "outcomes.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in reports))
    assert hub_compat.outcomes(path) == {
        "t::ok": ("passed", ""),
        "t::teardown": ("error", "boom"),
        "t::setup": ("error", "no fixture"),
        "t::skipped": ("skipped", "out of scope: gated repositories"),
    }


def test_the_tests_are_pointed_at_the_local_hub_with_its_account(tmp_path: Path) -> None:
    source = tmp_path / "huggingface_hub-9.9.9"
    (source / "tests").mkdir(parents=True)
    (source / "tests" / "testing_constants.py").write_text(
        'USER = "__DUMMY_HUB_USER__"\nTOKEN = "hf_secret"\nENDPOINT_STAGING = "https://hub-ci.huggingface.co"\n'
    )
    (source / "tests" / "test_x.py").write_text('URL = "https://hub-ci.huggingface.co/api"\n')
    archive = tmp_path / "sdist.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(source, arcname=source.name)
    tests = hub_compat.unpack_tests(archive, tmp_path / "run", "http://127.0.0.1:5555")
    constants = (tests / "testing_constants.py").read_text()
    assert f'USER = "{hub_compat.USER}"' in constants and f'TOKEN = "{hub_compat.TOKEN}"' in constants
    assert 'ENDPOINT_STAGING = "http://127.0.0.1:5555"' in constants
    assert (tests / "test_x.py").read_text() == 'URL = "http://127.0.0.1:5555/api"\n'
    assert (tests / "conftest.py").read_text() == (ROOT / "scripts" / "hub_compat_conftest.py").read_text()
    assert (tests / "__init__.py").exists()
