"""Net effects: a run of a scenario with a programme also runs its counterfactual (the same
winters with no programme), and the net figures are made from the pair by the outcome registry
and the paired statistics.

Oracles: a programme that cannot change anything (its interceptors cannot kill, it has no
radars and the attacker does not route around its sites) nets to exactly zero; the identity
``net_drones_stopped = interceptor_kills - displacement`` holds exactly in every replicate; the
counterfactual faces the same launches night by night; a ratio whose numerator is a fixed
multiple of its denominator has that multiple as its whole interval.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sim.cli import main
from sim.experiments.runs import run
from sim.experiments.stats import ratio_of_means
from sim.model.outcomes import NET_IDENTITY, OUTCOMES
from sim.model.registry import Outcome, Registry
from tests.helpers import SCENARIOS

NL = SCENARIOS / "nl-200m.yaml"
SHORT = {"period.start_date": "2025-12-01", "period.nights": 21}
DIFFERENCES = [o.name for o in OUTCOMES.net_outcomes() if o.net != "ratio"]


@pytest.fixture(scope="module")
def nl_run():
    return run(NL, replicates=3, overrides=SHORT)


def test_the_counterfactual_faces_the_same_launches(nl_run):
    cf = nl_run.counterfactual
    assert cf is not None and cf.scenario.defense.budget_eur == 0
    assert nl_run.scenario.defense.budget_eur == 200e6
    np.testing.assert_array_equal(nl_run.nights["launched"], cf.nights["launched"])
    np.testing.assert_array_equal(nl_run.nights["missiles_launched"], cf.nights["missiles_launched"])
    assert (cf.nights["interceptors_launched"] == 0).all()


def test_net_drones_stopped_is_programme_kills_less_displacement(nl_run):
    kills, net, disp = (NET_IDENTITY[1], NET_IDENTITY[0], NET_IDENTITY[2])
    for r in nl_run.runs:
        assert r.net[net] == r.outcomes[kills] - r.net[disp]
        assert r.outcomes[kills] > 0 and r.net[disp] > 0  # the identity is not 0 = 0 - 0
    s = nl_run.summary
    block = s["net"]["outcomes"]
    assert block[net]["mean"] == pytest.approx(s[kills] - block[disp]["mean"], abs=1e-9)
    assert s["net"]["identity"] == "net_drones_stopped = interceptor_kills - displacement"


def test_net_figures_pair_each_replicate_with_its_counterfactual(nl_run):
    """Each net figure is the paired difference of the two runs' outcomes (its mean and both
    means are those of the runs), and the net cost charges the whole spend."""
    block = nl_run.summary["net"]["outcomes"]
    with_p = np.array([r.outcomes["hits_on_sites"] for r in nl_run.runs])
    without = np.array([r.outcomes["hits_on_sites"] for r in nl_run.counterfactual.runs])
    e = block["net_hits_avoided"]
    assert e["mean"] == pytest.approx((without - with_p).mean())
    assert e["with_programme"] == pytest.approx(with_p.mean())
    assert e["without_programme"] == pytest.approx(without.mean())
    assert e["ci_low"] <= e["mean"] <= e["ci_high"] and e["n"] == 3
    spend = np.mean([r.outcomes["programme_cost_eur"] for r in nl_run.runs])
    assert block["net_cost_per_drone_stopped_eur"]["mean"] == pytest.approx(
        spend / block["net_drones_stopped"]["mean"])
    unused = nl_run.summary["unused_stock_eur"]
    assert unused == pytest.approx(nl_run.summary["programme_stock_end"] * 4000)
    assert 0 < unused < nl_run.summary["programme_cost_eur"]


def test_a_programme_of_zero_effect_nets_to_zero():
    """Interceptors that cannot kill (a programme-only pk of 0), no programme radars, and sites
    the attacker does not route around: the money is spent, and nothing changes."""
    rs = run(NL, replicates=3, overrides={
        **SHORT, "defense.programme.interceptor_pk": 0.0, "defense.programme.caps.max_radars": 0,
        "threat.routing.avoid_defended_zones": False})
    s = rs.summary
    assert s["programme_cost_eur"] > 1e6  # the money is spent
    assert s["interceptor_kills"] == 0 and s["interceptors_launched"] == 0
    block = s["net"]["outcomes"]
    assert set(DIFFERENCES) <= set(block)
    for name in DIFFERENCES:
        e = block[name]
        assert e["ci_low"] <= 0.0 <= e["ci_high"], (name, e)
        assert e["mean"] == 0.0, (name, e)
    assert math.isnan(block["net_cost_per_drone_stopped_eur"]["mean"])  # no net effect to buy


def test_pk_of_the_programme_alone_leaves_the_national_force_alone():
    """The programme-only pk changes the programme's kills, not the pk of Ukraine's own units
    (a run where the programme has pk 0 and one where both have it)."""
    zero_prog = run(NL, replicates=1, overrides={**SHORT,
                                                 "defense.programme.interceptor_pk": 0.0},
                    net=False).summary
    zero_both = run(NL, replicates=1, overrides={**SHORT, "defense.interceptor.pk": 0.0},
                    net=False).summary
    assert zero_prog["interceptor_kills"] == 0 == zero_both["interceptor_kills"]
    assert zero_prog["existing_interceptor_kills"] > 100
    assert zero_both["existing_interceptor_kills"] == 0


def test_gross_only_and_no_programme_say_so(tmp_path, capsys):
    rs = run(NL, replicates=1, overrides=SHORT, net=False)
    assert rs.counterfactual is None and rs.summary["net"]["computed"] is False
    assert "gross" in rs.summary["net"]["reason"]
    base = run(SCENARIOS / "baseline.yaml", replicates=1, overrides=SHORT)
    assert base.counterfactual is None and "no programme" in base.summary["net"]["reason"]
    out = tmp_path / "g"
    assert main(["run", str(NL), "--replicates", "1", "--quiet", "--gross-only", "--out",
                 str(out), "--set", "period.nights=7", "--set", "period.start_date=2025-12-01"]) == 0
    text = capsys.readouterr().out
    assert "Net effect not computed (--gross-only)" in text and "Net drones stopped" not in text
    assert not (out / "counterfactual_nights.parquet").exists()
    assert json.loads((out / "summary.json").read_text())["net"]["computed"] is False


def test_run_prints_and_writes_the_net_effect(tmp_path, capsys):
    out = tmp_path / "n"
    assert main(["run", str(NL), "--replicates", "2", "--quiet", "--out", str(out),
                 "--set", "period.nights=7", "--set", "period.start_date=2025-12-01"]) == 0
    text = capsys.readouterr().out
    for words in ("Net effect of the programme", "Net drones stopped",
                  "programme interceptor kills (gross)", "displacement",
                  "Net cost per drone stopped", "left unused in"):
        assert words in text, words
    assert text.index("Net drones stopped") < text.index("Programme interceptor kills (gross)")
    s = json.loads((out / "summary.json").read_text())
    assert s["net"]["computed"] is True and "net_drones_stopped" in s["net"]["outcomes"]
    assert (out / "counterfactual_nights.parquet").is_file()


def test_registry_net_rules():
    reg = Registry()
    reg.add(Outcome("x", "x", "drones", nightly=False, over_nights="constant"),
            Outcome("cost", "c", "EUR", nightly=False, over_nights="constant"),
            Outcome("gain_x", "g", "drones", nightly=False, over_nights="net", net="gain",
                    needs=("x",), lower=None),
            Outcome("saved_x", "s", "drones", nightly=False, over_nights="net", net="avoided",
                    needs=("x",), lower=None),
            Outcome("per", "p", "EUR", nightly=False, over_nights="net", net="ratio",
                    needs=("cost", "gain_x")))
    assert reg.net_values({"x": 7, "cost": 70}, {"x": 5, "cost": 0}) == {
        "gain_x": 2.0, "saved_x": -2.0, "per": 35.0}
    assert math.isnan(reg.net_values({"x": 5, "cost": 70}, {"x": 5})["per"])
    assert reg.aggregate({}, {"x": 1, "cost": 2}) == {"x": 1.0, "cost": 2.0}  # no net here
    with pytest.raises(ValueError, match="net outcome"):
        reg.add(Outcome("bad", "b", "drones", nightly=False, over_nights="net", net="sum",
                        needs=("x",)))
    with pytest.raises(ValueError, match="net outcome"):
        reg.add(Outcome("bad2", "b", "EUR", nightly=False, over_nights="net", net="ratio",
                        needs=("x",)))


def test_ratio_of_means_interval():
    rng = np.random.default_rng(3)
    den = rng.uniform(50, 150, 12)
    exact = ratio_of_means(2.5 * den, den)  # every resample has ratio 2.5
    assert exact["mean"] == pytest.approx(2.5)
    assert exact["ci_low"] == pytest.approx(2.5) and exact["ci_high"] == pytest.approx(2.5)
    noisy = ratio_of_means(2.5 * den + rng.normal(0, 20, 12), den)
    assert noisy["ci_low"] < noisy["mean"] < noisy["ci_high"]
    assert noisy["mean"] == pytest.approx(np.mean(2.5 * den + 0) / np.mean(den), rel=0.2)
    # a net effect that may be nothing: no cost is too high
    open_ended = ratio_of_means(np.full(10, 100.0), np.array([5, -4, 3, -2, 6, -5, 4, 1, -3, 2.]))
    assert open_ended["mean"] == pytest.approx(100 / 0.7) and math.isinf(open_ended["ci_high"])
    assert math.isnan(ratio_of_means([1, 2], [-1, 0])["mean"])  # no effect to buy
