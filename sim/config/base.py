"""The one base of every scenario section: unknown keys are an error.

A typo in a scenario file (``budget_euro``) never falls back silently to a default: pydantic
refuses the key and :mod:`sim.config.io` names it with its path.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base for all schema sections: unknown keys are an error."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)
