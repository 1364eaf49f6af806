"""What every command shares: the argument parser that exits 2 on a usage error, argument types
that check every number and date with a clear message, and the width of printed tables.

Every numeric or date option of every verb uses one of the types below (a test walks the parser
to check it), so ``--seed -1``, ``--replicates 0``, ``--workers x`` or ``--fit-to 2025-02-30``
give one line naming the option and the reason, and exit status 2.
"""

from __future__ import annotations

import argparse
import math
import sys

EXIT_INPUT = 2
WIDTH = 100
"""Every table the command line prints fits this many columns (sim.experiments.tables)."""

SEED_MAX = 2**63 - 1
"""Largest seed (the scenario schema's bound)."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with status 2 and one line, like bad input.
    Options must be spelt out: an abbreviation (``--out`` for ``--outcomes``) is an error, not
    a silent match."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):  # usage errors exit 2 with one line, like bad input
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _int(text: str) -> int:
    try:
        return int(str(text).strip().replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def nonneg_int(text: str) -> int:
    """An integer >= 0 (argparse type)."""
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; it must be >= 0")
    return v


def pos_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    v = _int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be >= 1")
    return v


def seed_int(text: str) -> int:
    """A root seed: an integer from 0 to 2**63 - 1 (argparse type)."""
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; a seed is a whole number >= 0")
    if v > SEED_MAX:
        raise argparse.ArgumentTypeError(f"{text} is too large; a seed is at most 2**63 - 1")
    return v


def int_at_least(low: int):
    """An argparse type: an integer >= ``low``."""

    def check(text: str) -> int:
        v = _int(text)
        if v < low:
            raise argparse.ArgumentTypeError(f"{text} must be >= {low}")
        return v

    check.__name__ = f"int_at_least_{low}"
    return check


def _float(text: str) -> float:
    try:
        v = float(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return v


def pos_float(text: str) -> float:
    """A finite number > 0 (argparse type)."""
    v = _float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be > 0")
    return v


def open_fraction(text: str) -> float:
    """A number strictly between 0 and 1, e.g. a confidence level (argparse type)."""
    v = _float(text)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"{text} must lie strictly between 0 and 1")
    return v


MAX_REPLICATES = 10_000
"""More replicates than this in one command is taken for a slip (a winter takes about a
second; the interval is tight long before): ``run``, ``compare``."""


def replicate_count(text: str, low: int = 1) -> int:
    """A number of replicates from ``low`` to :data:`MAX_REPLICATES` (argparse type)."""
    v = _int(text)
    if v < low:
        raise argparse.ArgumentTypeError(f"{text} must be >= {low}")
    if v > MAX_REPLICATES:
        raise argparse.ArgumentTypeError(
            f"{text} is more than {MAX_REPLICATES:,} replicates (winters): a run that long is "
            "likely a slip; the interval is tight long before")
    return v


def replicates_at_least(low: int):
    """An argparse type: replicates from ``low`` to :data:`MAX_REPLICATES`."""

    def check(text: str) -> int:
        return replicate_count(text, low)

    check.__name__ = f"replicates_at_least_{low}"
    return check


def iso_date(text: str) -> str:
    """A calendar date ``YYYY-MM-DD`` that exists (argparse type); returned as text."""
    import datetime as dt

    t = str(text).strip()
    try:
        d = dt.date.fromisoformat(t)
    except ValueError as exc:
        reason = str(exc) if "range" in str(exc) or "must be" in str(exc) else "expected YYYY-MM-DD"
        raise argparse.ArgumentTypeError(f"{text!r} is not a date ({reason})") from None
    if not 2000 <= d.year <= 2099:
        raise argparse.ArgumentTypeError(f"{text!r} is outside the dates the model takes "
                                         "(2000-01-01 to 2099-12-31)")
    return d.isoformat()


CHECKED_TYPES = (nonneg_int, pos_int, seed_int, pos_float, open_fraction, iso_date,
                 replicate_count)
"""The argument types above (``int_at_least(n)`` makes more); tests check that no option of any
verb uses a bare ``int`` or ``float``."""
