"""Random streams: one root per (seed, replicate), split into named sub-streams.

Replicate ``r`` of seed ``s`` gets ``SeedSequence([s, r])``. Each stochastic process draws from
its own child stream, derived from the root and the stream's name, so that changing the
defence (which changes how many numbers the engagement stream consumes) never shifts the
attacks: two policies run with the same seed and replicate face the same raids (common random
numbers).

A winter asks for about eleven streams a night (:data:`NIGHTLY`). Their seeds are derived for
every night at once (:class:`NightStreams`: numpy's ``SeedSequence`` arithmetic on arrays), so
a night's stream costs a microsecond instead of building a ``SeedSequence`` and seeding a
``PCG64`` from it; the numbers drawn are the same, bit for bit (``tests/model/test_rng.py``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np
from numpy.random.bit_generator import ISpawnableSeedSequence, _coerce_to_uint32_array

STREAMS = ("model", "threat", "routing", "detection", "ew", "engagement", "layers", "strike",
           "energy", "basing", "missiles", "cueing", "front", "noise_month", "noise_night",
           "weather")


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


NIGHTLY: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("threat", ()), ("routing", ()), ("missiles", (0,)), ("detection", ()), ("missiles", (1,)),
    ("ew", ()), ("engagement", ()), ("layers", (0,)), ("layers", (1,)), ("strike", ()),
    ("missiles", (2,)),
)
"""The streams (name, sub-keys) a night asks for: :class:`NightStreams` derives their seeds for
every night in bulk. Any other stream still works (:func:`night_stream`), only slower."""


# numpy's SeedSequence (numpy/random/bit_generator.pyx, after M. O'Neill's seed_seq), on arrays:
# each row of ``entropy`` is one sequence's assembled entropy.
_POOL = 4
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_L, _MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
_MASK = 0xFFFFFFFF
_SHIFT = np.uint32(16)


def _pools(entropy: np.ndarray) -> np.ndarray:
    """(K, 4) uint32 entropy pools of K seed sequences whose assembled entropy words are the
    rows of ``entropy`` (K, L), L >= 4 (``SeedSequence.mix_entropy``)."""
    h = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal h
        value = value ^ np.uint32(h)
        h = (h * _MULT_A) & _MASK
        value = value * np.uint32(h)
        return value ^ (value >> _SHIFT)

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = _MIX_L * x - _MIX_R * y
        return r ^ (r >> _SHIFT)

    e = np.asarray(entropy, dtype=np.uint32)
    pool = [hashmix(e[:, i]) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for src in range(_POOL, e.shape[1]):
        for dst in range(_POOL):
            pool[dst] = mix(pool[dst], hashmix(e[:, src]))
    return np.stack(pool, axis=1)


def _state_words(pools: np.ndarray, n_words: int) -> np.ndarray:
    """(K, n_words) uint32 words each pool generates (``SeedSequence.generate_state``)."""
    h = _INIT_B
    out = np.empty((pools.shape[0], n_words), np.uint32)
    for i in range(n_words):
        v = pools[:, i % _POOL] ^ np.uint32(h)
        h = (h * _MULT_B) & _MASK
        v = v * np.uint32(h)
        out[:, i] = v ^ (v >> _SHIFT)
    return out


def _pcg64_seeds(pools: np.ndarray) -> np.ndarray:
    """(K, 4) uint64 words a ``PCG64`` takes from each pool (``generate_state(4, uint64)``)."""
    return np.ascontiguousarray(_state_words(pools, 8).astype("<u4")).view("<u8").astype(np.uint64)


class _Derived(ISpawnableSeedSequence):
    """A child of a root seed sequence whose pool was derived in bulk: it hands ``PCG64`` its
    seed words without a ``SeedSequence`` of its own, and behaves like ``SeedSequence(entropy,
    spawn_key=spawn_key)`` for anything else."""

    __slots__ = ("entropy", "spawn_key", "_pool", "_words", "_seq")

    def __init__(self, entropy, spawn_key: tuple, pool: np.ndarray, words: np.ndarray):
        self.entropy = entropy
        self.spawn_key = spawn_key
        self._pool = pool
        self._words = words
        self._seq = None

    def generate_state(self, n_words, dtype=np.uint32):
        if n_words == 4 and np.dtype(dtype) == np.uint64:
            return self._words.copy()
        return self._sequence().generate_state(n_words, dtype)

    def _sequence(self) -> np.random.SeedSequence:
        if self._seq is None:
            self._seq = np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)
        return self._seq

    @property
    def pool(self) -> np.ndarray:
        return self._pool.copy()

    def spawn(self, n_children):
        return self._sequence().spawn(n_children)


class NightStreams:
    """The nightly streams of one root for ``nights`` nights, their seeds derived at once.

    ``get(name, night, *sub)`` is the generator :func:`night_stream` gives, drawing the same
    numbers; streams not in ``nightly`` (or nights beyond ``nights``) fall back to it.

    Args:
        root: the run's root seed sequence.
        nights: nights of the winter.
        nightly: (name, sub-keys) of the streams to derive (default :data:`NIGHTLY`).
    """

    def __init__(self, root: np.random.SeedSequence, nights: int,
                 nightly: Iterable[tuple[str, tuple[int, ...]]] = NIGHTLY):
        self.root = root
        self.nights = int(nights)
        run = _coerce_to_uint32_array(root.entropy)
        run = np.concatenate([run, np.zeros(max(_POOL - len(run), 0), np.uint32)])
        spawn = _coerce_to_uint32_array(root.spawn_key)
        self._slot: dict[tuple, int] = {}
        nightly = list(dict.fromkeys((str(n), tuple(int(s) for s in sub)) for n, sub in nightly))
        by_len: dict[int, list] = {}
        for name, sub in nightly:
            by_len.setdefault(len(sub), []).append((name, sub))
        k = np.arange(self.nights, dtype=np.int64)
        pools, words, keys = [], [], []
        for n_sub, group in by_len.items():
            rows = []
            for name, sub in group:
                ent = np.empty((self.nights, len(run) + len(spawn) + 2 + n_sub), np.uint32)
                ent[:, : len(run)] = run
                ent[:, len(run): len(run) + len(spawn)] = spawn
                c = len(run) + len(spawn)
                ent[:, c] = zlib.crc32(name.encode())
                ent[:, c + 1] = k + NIGHT_KEY_OFFSET.get(name, 0)
                ent[:, c + 2:] = sub
                rows.append(ent)
                keys += [(name, int(night), *sub) for night in range(self.nights)]
            p = _pools(np.concatenate(rows)) if rows and self.nights else np.zeros((0, 4), np.uint32)
            pools.append(p)
            words.append(_pcg64_seeds(p))
        self._pools = np.concatenate(pools) if pools else np.zeros((0, 4), np.uint32)
        self._words = np.concatenate(words) if words else np.zeros((0, 4), np.uint64)
        self._slot = {key: i for i, key in enumerate(keys)}

    def get(self, name: str, night: int, *sub: int) -> np.random.Generator:
        """Night ``night``'s generator of the named stream (:func:`night_stream`)."""
        i = self._slot.get((name, night, *sub))
        if i is None:
            return night_stream(self.root, name, night, *sub)
        key = (*self.root.spawn_key, zlib.crc32(name.encode()),
               int(night) + NIGHT_KEY_OFFSET.get(name, 0), *sub)
        seq = _Derived(self.root.entropy, key, self._pools[i], self._words[i])
        return np.random.Generator(np.random.PCG64(seq))
