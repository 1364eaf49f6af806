"""What every command shares: the argument parser that exits 2 on a usage error, and argument
types that check numbers with a clear message."""

from __future__ import annotations

import argparse
import sys

EXIT_INPUT = 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with status 2 and one line, like bad input."""

    def error(self, message):  # usage errors exit 2 with one line, like bad input
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def nonneg_int(text: str) -> int:
    """An integer >= 0 (argparse type)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; it must be >= 0")
    return v


def pos_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    v = nonneg_int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text} must be >= 1")
    return v
