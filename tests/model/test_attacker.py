"""The attacker's targeting policies: static, best response and learning (EXP3)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.attacker import Attacker
from sim.config.errors import ScenarioError
from sim.config.io import with_overrides
from sim.config.schema import Scenario
from sim.model.attacker import BestResponsePolicy, Exp3Policy, StaticPolicy, make_policy


def _two_targets(policy_cls, nights: int, seed: int = 0, n: int = 100, **cfg):
    """Target A (value 1) is undefended; target B (value 1.5) is defended with pk 0.6.
    A drone that gets through hits with p_hit = 0.9, so a drone at A is worth 0.9 and one at
    B 1.5 x 0.4 x 0.9 = 0.54: the best response is A. Returns the share aimed at A each night."""
    rng = np.random.default_rng(seed)
    value = np.array([1.0, 1.5]) / 2.5
    pol = policy_cls(value, Attacker(**cfg), p_hit=0.9)
    share_a = []
    for k in range(nights):
        p = pol.plan(k, n, np.array([False, True]))
        at_b = rng.random(n) < p[1]
        aimed = np.array([(~at_b).sum(), at_b.sum()])
        stopped = np.array([0, (rng.random(aimed[1]) < 0.6).sum()])
        through = aimed - stopped
        hits = np.array([(rng.random(t) < 0.9).sum() for t in through])
        pol.observe(aimed, hits, stopped, np.ones(2))
        share_a.append(p[0])
    return np.array(share_a)


def test_static_attacker_never_changes():
    share = _two_targets(StaticPolicy, 30)
    assert np.allclose(share, 0.4)


@pytest.mark.parametrize(("cls", "cfg", "nights"), [
    (Exp3Policy, {"strategy": "learning"}, 40),
    (BestResponsePolicy, {"strategy": "best_response"}, 10),
])
def test_adaptive_attacker_converges_to_the_best_response(cls, cfg, nights):
    """Within the stated number of nights the attacker aims at least 80% of its drones at the
    undefended target (the best response), on every one of 5 seeds; it starts at 40%."""
    for seed in range(5):
        share = _two_targets(cls, nights + 20, seed=seed, **cfg)
        assert share[nights:].min() >= 0.8, (cls.name, seed, share[nights:].min())


def test_learning_detects_a_change_of_defense():
    """Swap which target is defended: the learner follows (forgetting old observations)."""
    rng = np.random.default_rng(3)
    value = np.array([1.0, 1.0]) / 2
    pol = Exp3Policy(value, Attacker(strategy="learning", memory_nights=10), p_hit=1.0)
    for k in range(120):
        defended = 1 if k < 60 else 0
        p = pol.plan(k, 100, np.array([defended == 0, defended == 1]))
        at1 = rng.random(100) < p[1]
        aimed = np.array([(~at1).sum(), at1.sum()])
        hits = aimed.copy()
        hits[defended] = (rng.random(aimed[defended]) < 0.2).sum()
        pol.observe(aimed, hits, aimed - hits, np.ones(2))
        if k == 59:
            assert p[0] > 0.8
    assert p[1] > 0.8


def test_concentration_when_saturating_pays():
    """A defended site that stops at most 20 drones a night, worth much more than the rest:
    with 300 drones, massing 30% of them there pays; with the site stopping everything seen so
    far (a high capacity), it does not."""
    value = np.array([0.7, 0.1, 0.1, 0.1])
    cfg = Attacker(strategy="static", concentrate=True, concentrate_share=0.3,
                   concentrate_min_drones=100)
    pol = StaticPolicy(value, cfg, p_hit=0.7)
    pol.observe(np.array([40, 0, 0, 0]), np.array([5, 0, 0, 0]), np.array([20, 0, 0, 0]),
                np.ones(4))
    p = pol.plan(1, 300, np.array([True, False, False, False]))
    assert pol.concentrated_on == 0 and p[0] == pytest.approx(0.3 + 0.7 * 0.7)
    pol2 = StaticPolicy(value, cfg, p_hit=0.7)
    pol2.observe(np.array([400, 0, 0, 0]), np.zeros(4), np.array([400, 0, 0, 0]), np.ones(4))
    p2 = pol2.plan(1, 300, np.array([True, False, False, False]))
    assert pol2.concentrated_on is None and np.allclose(p2, value)
    # Below the minimum salvo: never.
    assert np.allclose(pol.plan(2, 50, np.array([True, False, False, False])), value)


def test_unknown_strategy_is_refused():
    with pytest.raises(ScenarioError, match="threat.attacker.strategy"):
        with_overrides(Scenario(name="t"), {"threat.attacker.strategy": "clever"})


def test_adaptive_attackers_do_more_damage_in_the_model(nl200m):
    """Against the same defence and the same raids, the best-responding attacker achieves more
    damage value (hits weighted by what a hit is worth to it) than the static one on every
    seed, and the learner at least about as much on average."""
    from sim.model.defense_model import DefenseModel
    from tests.helpers import short

    base = short(nl200m, nights=40, **{"defense.delivery.first_delivery_date": "2025-11-03"})
    damage = {}
    for strat in ("static", "best_response", "learning"):
        vals = []
        for seed in range(3):
            m = DefenseModel(with_overrides(base, {"threat.attacker.strategy": strat}), seed=seed)
            m.run()
            vals.append(float(m.hits_by_site @ m.targeting.value))
            df = m.datacollector.get_model_vars_dataframe()
            assert 0 <= df["hits_on_undefended"].sum() <= df["hits_on_sites"].sum()
        damage[strat] = np.array(vals)
    assert (damage["best_response"] > damage["static"]).all()
    assert damage["learning"].mean() >= 0.9 * damage["static"].mean()


def test_make_policy_names():
    for name in ("static", "best_response", "learning"):
        assert make_policy(Attacker(strategy=name), np.array([0.5, 0.5]), 0.7).name == name
