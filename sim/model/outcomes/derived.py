"""Outcomes computed from other outcomes: the two shapes the registry's groups use.

A *derived* outcome is not recorded by the model: it is a formula over other outcomes'
aggregated values (``over_nights="derive"``), computed for a winter and for a month alike (a
share of two sums, say, so the share of a winter is not the mean of nightly shares). A *share*
is a derived outcome between 0 and 1. The groups of :mod:`sim.model.outcomes` build theirs with
:func:`derived` and :func:`share`.
"""

from __future__ import annotations

from sim.model.registry import Outcome

__all__ = ["derived", "share"]


def derived(name, label, unit, needs, fn, **kw) -> Outcome:
    """An outcome computed by ``fn`` from the aggregated values of ``needs``."""
    return Outcome(name, label, unit, nightly=False, over_nights="derive", needs=tuple(needs),
                   derive=fn, **kw)


def share(name, label, needs, fn, **kw) -> Outcome:
    """A derived outcome that is a share (kind ``share``, between 0 and 1)."""
    return derived(name, label, "share", needs, fn, kind="share", lower=0.0, upper=1.0, **kw)
