"""The one base of every scenario section (unknown keys are an error) and the one "did you mean"
of its messages.

A typo in a scenario file (``budget_euro``) never falls back silently to a default: pydantic
refuses the key and :mod:`sim.config.validation` names it with its path.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for all schema sections: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


def did_you_mean(word: str, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to a misspelt ``word``, else
    ``""`` (:func:`difflib.get_close_matches`)."""
    import difflib

    close = difflib.get_close_matches(str(word), sorted({str(c) for c in choices}), n=1,
                                      cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
