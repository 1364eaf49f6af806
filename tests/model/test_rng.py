"""Unit tests of sim/model/rng.py: named random streams and common random numbers.

* Determinism: the same (seed, replicate, name, keys) gives the same draws, in any process.
* Separation: another seed, replicate, name or key gives other draws, and the streams are
  statistically independent (correlation within 4 / sqrt(n), Kolmogorov-Smirnov uniformity).
* Common random numbers: creating or consuming other streams, or spawning children of the
  root, never changes a stream's draws. A spawn-order implementation (the usual
  ``SeedSequence.spawn``) fails this test; the check below shows that it would be caught.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model.rng import NIGHTLY, STREAMS, NightStreams, night_stream, root_sequence, stream
from tests.helpers import ROOT

names = st.text(min_size=1, max_size=12)
keys = st.lists(st.integers(0, 2**31 - 1), max_size=3)


def draws(seed, rep, name, *extra, k=8):
    return stream(root_sequence(seed, rep), name, *extra).random(k)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), rep=st.integers(0, 10**6), name=names, extra=keys)
def test_same_inputs_give_the_same_draws(seed, rep, name, extra):
    np.testing.assert_array_equal(draws(seed, rep, name, *extra),
                                  draws(seed, rep, name, *extra))
    # numpy integers are the same keys as Python integers
    np.testing.assert_array_equal(draws(seed, rep, name, *extra),
                                  draws(np.int64(seed), rep, name, *map(np.int64, extra)))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), rep=st.integers(0, 1000), a=names, b=names, extra=keys)
def test_other_names_keys_replicates_and_seeds_give_other_draws(seed, rep, a, b, extra):
    base = draws(seed, rep, a, *extra)
    if a != b:
        assert not np.array_equal(base, draws(seed, rep, b, *extra))
    assert not np.array_equal(base, draws(seed, rep, a, *extra, 0))
    assert not np.array_equal(base, draws(seed, rep + 1, a, *extra))
    assert not np.array_equal(base, draws(seed + 1, rep, a, *extra))
    if extra:
        bumped = [*extra[:-1], extra[-1] + 1]
        assert not np.array_equal(base, draws(seed, rep, a, *bumped))


def test_seed_and_replicate_are_not_interchangeable():
    np.testing.assert_raises(AssertionError, np.testing.assert_array_equal,
                             draws(1, 2, "threat"), draws(2, 1, "threat"))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), others=st.lists(names, max_size=5),
       extra=keys, spawn=st.integers(0, 4))
def test_adding_or_consuming_other_streams_never_changes_a_stream(seed, others, extra, spawn):
    root = root_sequence(seed, 3)
    before = stream(root, "threat", *extra).random(16)
    for name in others:  # other streams created and consumed in between
        stream(root, name, *extra).random(100)
    root.spawn(spawn)  # and children spawned from the root
    after = stream(root_sequence(seed, 3), "threat", *extra).random(16)
    np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(before, stream(root, "threat", *extra).random(16))


def test_a_spawn_order_implementation_would_be_caught():
    """The property above is not vacuous: streams handed out in spawn order change when a
    stream is added before them."""
    def by_spawn_order(root, order, name):
        return np.random.default_rng(root.spawn(len(order))[order.index(name)])
    a = by_spawn_order(root_sequence(1), ["threat", "routing"], "routing").random(4)
    b = by_spawn_order(root_sequence(1), ["threat", "missiles", "routing"], "routing").random(4)
    assert not np.array_equal(a, b)
    # ... while named streams do not
    np.testing.assert_array_equal(draws(1, 0, "routing", k=4), draws(1, 0, "routing", k=4))


def test_streams_are_uniform_and_uncorrelated():
    n = 100_000
    root = root_sequence(20251101, 0)
    u = {name: stream(root, name).random(n) for name in STREAMS}
    for name, x in u.items():
        assert stats.kstest(x, "uniform").pvalue > 1e-4, name
    mat = np.corrcoef(np.array(list(u.values())))
    off = mat[~np.eye(len(u), dtype=bool)]
    assert np.abs(off).max() < 4.5 / np.sqrt(n)
    # the same check flags a stream reused under two names
    assert np.corrcoef(u["threat"], stream(root, "threat").random(n))[0, 1] > 0.99
    # nights of one stream are independent too
    nights = np.array([stream(root, "strike", k).random(20_000) for k in range(5)])
    off = np.corrcoef(nights)[~np.eye(5, dtype=bool)]
    assert np.abs(off).max() < 4.5 / np.sqrt(20_000)


@pytest.mark.parametrize("seed,rep", [(-1, 0), (0, -1), (-5, -5)])
def test_negative_seed_or_replicate_is_an_error(seed, rep):
    with pytest.raises(ValueError, match="seed and replicate must be >= 0"):
        root_sequence(seed, rep)


def test_negative_key_is_an_error():
    with pytest.raises(ValueError):
        stream(root_sequence(1), "threat", -1)


def test_every_stream_the_model_uses_is_registered_with_a_distinct_key():
    """STREAMS lists the model's stream names; a name missing there is easy to reuse by
    accident, and two names with the same CRC would share their draws."""
    used = set()
    for path in (ROOT / "sim").rglob("*.py"):
        used |= set(re.findall(r"\bstream\(\s*[\w.]+,\s*\"([^\"]+)\"", path.read_text()))
    assert used, "no stream(...) calls found: the pattern is out of date"
    assert used <= set(STREAMS), sorted(used - set(STREAMS))
    crcs = [zlib.crc32(s.encode()) for s in STREAMS]
    assert len(set(crcs)) == len(crcs)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**70), rep=st.integers(0, 2**40), nights=st.integers(1, 40),
       data=st.data())
def test_night_streams_derived_in_bulk_draw_what_each_stream_draws(seed, rep, nights, data):
    """The bulk derivation of the nights' seeds (numpy's SeedSequence arithmetic on arrays)
    gives every nightly stream the numbers its own SeedSequence gives, for seeds and
    replicates of one or several 32-bit words; a stream it does not hold falls back."""
    root = root_sequence(seed, rep)
    ns = NightStreams(root, nights)
    for name, sub in NIGHTLY:
        k = data.draw(st.integers(0, nights - 1))
        np.testing.assert_array_equal(ns.get(name, k, *sub).random(4),
                                      night_stream(root, name, k, *sub).random(4))
    extra = data.draw(st.tuples(names, st.integers(0, 2 * nights), keys))
    np.testing.assert_array_equal(ns.get(extra[0], extra[1], *extra[2]).random(4),
                                  night_stream(root, extra[0], extra[1], *extra[2]).random(4))


def test_a_derived_stream_is_its_seed_sequence_in_every_other_use():
    """Whatever else asks a nightly stream's seed sequence (state words of another size,
    spawned children, the pool) gets what numpy's SeedSequence gives."""
    root = root_sequence(7, 2)
    derived = NightStreams(root, 5).get("layers", 3, 1).bit_generator.seed_seq
    plain = night_stream(root, "layers", 3, 1).bit_generator.seed_seq
    np.testing.assert_array_equal(derived.pool, plain.pool)
    for n, dtype in ((3, np.uint32), (8, np.uint64), (4, np.uint64)):
        np.testing.assert_array_equal(derived.generate_state(n, dtype),
                                      plain.generate_state(n, dtype))
    a, b = derived.spawn(3), plain.spawn(3)
    np.testing.assert_array_equal(a[2].generate_state(4), b[2].generate_state(4))


def test_a_wrong_mixing_constant_would_be_caught():
    """The bulk derivation is checked against numpy: one constant off changes the draws."""
    import sim.model.rng as rng

    root = root_sequence(3, 1)
    good = NightStreams(root, 2).get("threat", 1).random(4)
    old = rng._MULT_B
    try:
        rng._MULT_B = old ^ 2
        bad = NightStreams(root, 2).get("threat", 1).random(4)
    finally:
        rng._MULT_B = old
    np.testing.assert_array_equal(good, night_stream(root, "threat", 1).random(4))
    assert not np.array_equal(bad, good)
