"""Random streams: one root per (seed, replicate), split into named sub-streams.

Replicate ``r`` of seed ``s`` gets ``SeedSequence([s, r])``. Each stochastic process draws from
its own child stream, derived from the root and the stream's name, so that changing the
defence (which changes how many numbers the engagement stream consumes) never shifts the
attacks: two policies run with the same seed and replicate face the same raids (common random
numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = ("model", "threat", "routing", "detection", "ew", "engagement", "layers", "strike",
           "energy", "basing", "missiles")


def root_sequence(seed: int, replicate: int = 0) -> np.random.SeedSequence:
    """The root seed sequence of replicate ``replicate`` of seed ``seed``."""
    if seed < 0 or replicate < 0:
        raise ValueError("seed and replicate must be >= 0")
    return np.random.SeedSequence([int(seed), int(replicate)])


def stream(root: np.random.SeedSequence, name: str, *extra: int) -> np.random.Generator:
    """A generator for the named sub-stream (and optional extra keys, e.g. a night index).

    The child is keyed by a CRC of the name, not by spawn order, so adding a stream never
    changes the others.
    """
    key = [zlib.crc32(name.encode()), *[int(e) for e in extra]]
    child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key))
    return np.random.Generator(np.random.PCG64(child))


NIGHT_KEY_OFFSET = {"threat": 1, "missiles": 1}
"""Streams whose night ``k`` is keyed ``k + 1``: their un-keyed stream draws the winter's counts
(launches, missiles) at set-up, and night keys have started at 1 since (changing it would change
every raid)."""


def night_stream(root: np.random.SeedSequence, name: str, night: int, *sub: int
                 ) -> np.random.Generator:
    """Night ``night``'s generator of a named stream (and optional sub-keys): ``stream(root,
    name, night + NIGHT_KEY_OFFSET.get(name, 0), *sub)``."""
    return stream(root, name, int(night) + NIGHT_KEY_OFFSET.get(name, 0), *sub)
