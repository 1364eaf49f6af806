"""Compiled kernels of one night: circle entry and exit, collision-course intercepts, the
push-out of waypoints from defended circles, and the interceptor battle's event loop.

Compiled with numba (``njit(cache=True)``): the machine code is written next to each module (or
to numba's user cache when that is read-only) the first time a kernel runs, and later
processes load it instead of compiling. This package imports numba, so the modules that use it
(:mod:`sim.model.geometry`, :mod:`sim.model.engagement`, :mod:`sim.model.threat`,
:mod:`sim.model.sensors`) import it inside their functions: ``python -m sim --help`` and
``python -m sim validate`` never load numba.

The arithmetic follows the vectorised and plain-Python formulations it replaced operation by
operation (same order, no fast-math), so results are the same to the last bit; the tests
compare the kernels with plain reference implementations (``tests/model/reference_*.py``) on
random inputs.

Engagement state (:func:`engage`) is a tuple of arrays, ``S``; its layout is built by
:func:`sim.model.engagement.run_interceptors` and named by the ``S_*``
constants of :mod:`sim.model.kernels.battle`.

The kernels live in two modules: :mod:`sim.model.kernels.geometry` (circles, intercepts, routes)
and :mod:`sim.model.kernels.battle` (the interceptor battle); this package gathers them under one
name, ``from sim.model import kernels``.
"""

from sim.model.kernels.battle import *  # noqa: F403
from sim.model.kernels.geometry import *  # noqa: F403
