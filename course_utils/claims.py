"""The check cell's helper: print each claim a notebook makes, then assert them all.

Every talk's notebook ends with a check cell that states its claims as ``{sentence: bool}``:
``claims`` about what the code does (batches, counts, identical losses), which hold at any size, and
``at_full_size`` about what a run of the profile's full size shows: what training achieved (beating
the majority baseline) and statistics of whole splits (how much padding buckets save, tokens per
word). A rehearsal of the full profile (:mod:`course_utils.machinery.rehearsal`) trains stand-ins
with random weights on a few examples, and a capped quick trial (``MAX_EXAMPLES``) has too few
examples for either, so there it checks ``claims`` and reports the others as not checked, never as
passed.

Used in notebooks 01 to 05 (their check cells).
"""

from __future__ import annotations

from typing import Mapping

from course_utils.machinery.profiles import NotebookAssets

#: How a full-size claim is reported in a rehearsal.
NOT_CHECKED = "not checked in a rehearsal (random weights, few examples)"
#: ... and in a capped quick trial.
NOT_CHECKED_CAPPED = "not checked in a capped run (MAX_EXAMPLES={cap})"


def not_checked(assets: NotebookAssets) -> str | None:
    """Why full-size claims cannot be checked on this run (``None``: they can)."""
    if assets.rehearsal:
        return NOT_CHECKED
    if assets.max_examples is not None:
        return NOT_CHECKED_CAPPED.format(cap=assets.max_examples)
    return None


def check_claims(
    assets: NotebookAssets, claims: Mapping[str, bool], at_full_size: Mapping[str, bool] | None = None
) -> None:
    """Print ``ok`` or ``FAILED`` before each claim, then raise ``AssertionError`` listing the failed ones.

    ``at_full_size`` claims are checked like the others, except in a rehearsal (``assets.rehearsal``) or
    a capped run (``assets.max_examples``), where each is printed as not checked. Used in notebooks 01 to 05.
    """
    reason = not_checked(assets)
    failed = []
    for claim, holds in claims.items():
        print(f"{'ok' if holds else 'FAILED'}: {claim}")
        failed += [] if holds else [claim]
    for claim, holds in (at_full_size or {}).items():
        if reason:
            print(f"{reason}: {claim}")
            continue
        print(f"{'ok' if holds else 'FAILED'}: {claim}")
        failed += [] if holds else [claim]
    assert not failed, f"{len(failed)} claim(s) failed: {failed}"
