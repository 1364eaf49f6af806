"""Errors a user can cause with a sweep, a comparison or a sensitivity analysis.

All of them are :class:`sim.config.errors.SimInputError` subclasses, so the command line turns them into
one clear message and exit status 2, never a traceback.
"""

from __future__ import annotations

from sim.config.errors import SimInputError


class SweepError(SimInputError):
    """Base class of the sweep machinery's input errors."""


class SweepSpecError(SweepError):
    """A sweep file that does not satisfy the sweep schema (names file, key path and reason)."""


class DesignTooLargeError(SweepError):
    """A design with more runs than the configured cap, run without ``--force``."""


class SchedulerError(SweepError):
    """A Dask scheduler address that cannot be reached (or that has no workers)."""


class ResultsFolderError(SweepError):
    """A results folder that belongs to a different sweep, or that is not a results folder."""


class CompareError(SweepError):
    """Inputs of ``compare`` that cannot be paired."""


class SensitivityError(SweepError):
    """A sensitivity analysis asked of a design or outcome it cannot be computed on."""


class SweepInterrupted(KeyboardInterrupt):
    """Raised when a sweep is stopped by Ctrl-C or SIGTERM (its finished runs are on disk)."""
