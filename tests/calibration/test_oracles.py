"""Closed-form results the engine must reproduce in limiting cases.

The oracle set-ups live in :mod:`sim.calibration.oracles` (the validation report shows the same ones);
each runs the real engine in a limiting case and compares with the closed form, accepting
|observed - expected| <= 4 standard errors: a correct engine fails about once in 16,000 runs,
and a wrong one is caught.

* independent shots: n single-shot sites along a route -> leak fraction (1 - pk)^n;
* shoot-look-shoot: one interceptor attacking up to m times -> leak (1 - pk)^m, one interceptor
  per drone;
* fresh interceptors after each look: kills / shots = pk;
* saturation: c crews with one sortie each against a simultaneous salvo of A > c drones ->
  expected kills c * pk (both allocators);
* layered defence: leak = product of the layers' leak probabilities (full model);
* intercept geometry: head-on and tail-chase closing times (also tests/model/test_geometry.py).
"""

from __future__ import annotations

import pytest

from sim.calibration import oracles


def check(result):
    assert result.passed, (
        f"{result.name}: expected {result.expected:.4f}, observed {result.observed:.4f} "
        f"(95% CI {result.ci_low:.4f}-{result.ci_high:.4f}, n={result.n}) for {result.quantity}"
    )


def test_independent_shots_leak_is_one_minus_pk_to_the_n():
    r = oracles.oracle_independent_shots(pk=0.5, n_sites=3)
    assert r.expected == pytest.approx(0.125)
    check(r)


def test_independent_shots_detects_a_wrong_pk():
    # The oracle can fail: the engine run with pk=0.6 is far from the closed form for pk=0.5.
    r = oracles.oracle_independent_shots(pk=0.6, n_sites=3)
    assert abs(r.observed - 0.125) > 0.03


def test_shoot_look_shoot_with_one_interceptor():
    r = oracles.oracle_shoot_look_shoot(pk=0.4, attacks=3)
    assert r.expected == pytest.approx(0.6**3)
    check(r)


def test_shoot_look_shoot_with_fresh_interceptors():
    check(oracles.oracle_fresh_interceptors(pk=0.5))


@pytest.mark.parametrize("allocator", ["greedy", "optimal"])
def test_saturation_c_crews_against_a_salvo(allocator):
    r = oracles.oracle_saturation(pk=0.7, crews_n=5, salvo=20, allocator=allocator)
    assert r.expected == pytest.approx(3.5)
    check(r)


def test_layered_defense_is_product_of_layer_leaks():
    r = oracles.oracle_layered_defense()
    assert r.n > 2000
    check(r)


@pytest.mark.parametrize("oracle", [oracles.oracle_head_on, oracles.oracle_tail_chase])
def test_intercept_geometry(oracle):
    check(oracle())


def test_run_oracles_all_pass():
    """The set the validation report shows: all pass, each observed value inside its CI."""
    results = oracles.run_oracles()
    assert len(results) >= 7
    for r in results:
        assert r.passed, r
        exp, obs, (lo, hi) = r.as_tuple()
        assert lo <= obs <= hi
