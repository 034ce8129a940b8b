"""Checkers for the "Try it" exercises at the end of each notebook.

Each exercise gives the learner a stub to complete and a checker to call on it. A checker
returns :class:`Feedback`: shown in a notebook, it reads ``Correct: ...`` or ``Not yet: ...``
followed by one sentence on what is off. It never raises for a wrong answer (an exception inside
the learner's code is reported as feedback too), so a notebook with unfinished exercises still
runs from top to bottom.

One module per notebook: :mod:`.trainer_weighted_loss` (01), :mod:`.hub` (03). The solutions
notebooks under notebooks/solutions/ prove that every checker accepts its solution; the unit
tests prove that each rejects the typical wrong answers.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["Feedback", "correct", "not_yet", "call_learner_code"]


@dataclass(frozen=True)
class Feedback:
    """A checker's verdict: ``passed`` and one sentence (``message``)."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"{'Correct' if self.passed else 'Not yet'}: {self.message}"


def correct(message: str) -> Feedback:
    """A passing verdict."""
    return Feedback(True, message)


def not_yet(message: str) -> Feedback:
    """A failing verdict with what to fix."""
    return Feedback(False, message)


class LearnerCodeError(Exception):
    """The learner's code raised; carries the feedback that says so."""

    def __init__(self, feedback: Feedback) -> None:
        super().__init__(feedback.message)
        self.feedback = feedback


def call_learner_code(function: Callable[..., Any], *args: Any, consume_iterator: bool = False, **kwargs: Any) -> Any:
    """Call the learner's function; turn an exception into :class:`LearnerCodeError` with one sentence.

    The sentence names the exception and the line of the learner's code it came from, or says
    that the stub still needs a body (``NotImplementedError``). With ``consume_iterator``, the
    result (a generator, say) is read into a list inside the same guard.
    """
    try:
        result = function(*args, **kwargs)
        return list(result) if consume_iterator else result
    except NotImplementedError:
        raise LearnerCodeError(not_yet(f"{_name(function)} still raises NotImplementedError: write its body.")) from None
    except Exception as error:  # noqa: BLE001 - any error of the learner's code becomes feedback
        frames = traceback.extract_tb(error.__traceback__)
        code = getattr(function, "__code__", None)
        own = [frame for frame in frames if code is not None and frame.filename == code.co_filename]
        where = f" (line: {own[-1].line.strip()})" if own and own[-1].line else ""
        raise LearnerCodeError(
            not_yet(f"calling {_name(function)} raised {type(error).__name__}: {error}{where}")
        ) from None


def _name(function: Callable[..., Any]) -> str:
    return f"{getattr(function, '__name__', 'your function')}()"
