"""A pytest plugin for benchmarks/notebook_profile.py: each nbval cell's setup and call time, as JSON lines.

Loaded with ``-p cell_timer`` (this folder on ``PYTHONPATH``); writes to the file named by
``$CELL_TIMER_OUT`` (appends: one line per test phase). nbval starts a notebook's kernel in the
setup phase of its first cell, so that phase is the kernel's start-up.
"""

from __future__ import annotations

import json
import os

import pytest


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    target = os.environ.get("CELL_TIMER_OUT")
    if not target or "::Cell " not in report.nodeid or report.when == "teardown":
        return
    line = {"nodeid": report.nodeid, "phase": report.when, "seconds": round(report.duration, 3), "outcome": report.outcome}
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
