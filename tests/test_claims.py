"""The check cells' helper: every claim printed, failures asserted, learning claims skipped only in a rehearsal."""

from __future__ import annotations

from dataclasses import replace

import pytest

from course_utils.claims import NOT_CHECKED, check_claims, not_checked
from course_utils.machinery.profiles import notebook_assets

SMOKE = notebook_assets("05", "smoke")
REHEARSAL = replace(notebook_assets("05", "full"), rehearsal=True)


def test_every_claim_is_printed_and_true_claims_pass(capsys: pytest.CaptureFixture[str]) -> None:
    check_claims(SMOKE, {"a": True, "b": 1 == 1}, {"learned": True})
    assert capsys.readouterr().out == "ok: a\nok: b\nok: learned\n"


def test_a_false_claim_fails_and_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(AssertionError, match=r"1 claim\(s\) failed: \['b'\]"):
        check_claims(SMOKE, {"a": True, "b": False})
    assert capsys.readouterr().out == "ok: a\nFAILED: b\n"


def test_a_false_learning_claim_fails_outside_a_rehearsal() -> None:
    with pytest.raises(AssertionError, match="beats the baseline"):
        check_claims(notebook_assets("05", "full"), {"a": True}, {"beats the baseline": False})


def test_in_a_rehearsal_learning_claims_are_reported_as_not_checked(capsys: pytest.CaptureFixture[str]) -> None:
    check_claims(REHEARSAL, {"a": True}, {"beats the baseline": False})
    assert capsys.readouterr().out == f"ok: a\n{NOT_CHECKED}: beats the baseline\n"


def test_in_a_rehearsal_the_other_claims_still_fail() -> None:
    with pytest.raises(AssertionError, match="counted every example"):
        check_claims(REHEARSAL, {"counted every example": False}, {"beats the baseline": True})


def test_in_a_capped_run_learning_claims_are_reported_as_not_checked(capsys: pytest.CaptureFixture[str]) -> None:
    capped = notebook_assets("05", "smoke").capped(200)
    check_claims(capped, {"a": True}, {"beats the baseline": False})
    assert capsys.readouterr().out == "ok: a\nnot checked in a capped run (MAX_EXAMPLES=200): beats the baseline\n"
    with pytest.raises(AssertionError, match="counted every example"):
        check_claims(capped, {"counted every example": False}, {"beats the baseline": True})


def test_only_rehearsals_and_capped_runs_skip_learning_claims() -> None:
    assert not_checked(SMOKE) is None and not_checked(notebook_assets("05", "full")) is None
    assert not_checked(REHEARSAL) == NOT_CHECKED
    assert not_checked(REHEARSAL.capped(64)) == NOT_CHECKED  # a rehearsal is capped too: it says why first
