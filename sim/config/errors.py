"""Domain errors. Every error a user can cause by bad input is a :class:`SimInputError`.

The command line turns a ``SimInputError`` into one clear message on stderr and exit status 2;
no traceback is shown for them.
"""

from __future__ import annotations


class SimInputError(Exception):
    """Bad input from the user (file, key path, value). Exit status 2 on the command line.

    Args:
        message: what is wrong, naming the file, the key path and the reason.
    """

    exit_code = 2


class ScenarioError(SimInputError):
    """A scenario file or an override that does not satisfy the scenario schema."""


class DataFileError(SimInputError):
    """A packaged or user-supplied data file (sites, regions, profiles) that is malformed."""
