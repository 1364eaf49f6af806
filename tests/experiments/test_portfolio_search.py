"""``optimise --portfolio``: the optimiser's machinery over the shares of the spending options.

On toy objectives whose answer is known: with diminishing returns a mix beats every option
alone and the verdict says so on fresh replicates; with a linear objective the best option
alone wins and the verdict says plainly that no mix beats it. Each option alone is tried
first, on the same replicates, so the best single option is always known.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli import main
from sim.config.errors import SimInputError
from sim.experiments.plans import project_shares
from sim.experiments.portfolio_search import (
    PortfolioPlan,
    PortfolioSpace,
    optimise_portfolio,
    report,
)
from tests.helpers import SCENARIOS

OPTS = ("interceptor_drones", "passive_protection", "spares_and_repair")
VALUE = {"interceptor_drones": 0.010, "passive_protection": 0.008, "spares_and_repair": 0.006}


class Toy:
    """Demand served as a known function of the shares, plus replicate noise shared by every
    plan (common random numbers)."""

    def __init__(self, concave: bool):
        self.concave = concave
        self.calls: list = []

    def __call__(self, plan, attacker, replicates):
        # plan None is the scenario as shipped (the optimiser scores it on the search
        # replicates): nl-200m spends its whole budget on interceptor drones
        s = plan.share_map if plan is not None else {"interceptor_drones": 1.0}
        f = sum(VALUE[o] * (np.sqrt(s.get(o, 0.0)) if self.concave else s.get(o, 0.0))
                for o in OPTS)
        self.calls.append((plan.text() if plan is not None else "shipped", attacker, tuple(replicates)))
        noise = np.array([0.9 + 0.01 * np.sin(r) for r in replicates])
        return noise + f - (0.001 if attacker == "learning" else 0.0)

    def close(self):
        pass


@pytest.fixture(scope="module")
def short(nl200m):
    from sim.config.io import with_overrides

    return with_overrides(nl200m, {"period.nights": 3})


def test_each_option_alone_comes_first_and_a_concave_objective_gets_a_mix(short):
    toy = Toy(concave=True)
    res = optimise_portfolio(short, options=OPTS, attacker="robust", trials=25, replicates=3,
                             eval_replicates=5, evaluate=toy)
    first = [t.plan.single for t in res.search.trials[: len(OPTS)]]
    assert first == list(OPTS)
    assert set(res.singles) == set(OPTS) and res.best_single == "interceptor_drones"
    assert res.best.single is None  # a mix
    # sqrt returns: the optimum puts share ~ VALUE^2; the mix beats the best single option
    assert res.beats_single, res.verdict
    assert "beats the best single option (interceptor_drones)" in res.verdict
    wc = res.evaluation["worst_case"]
    assert wc["diff"] > 0 and wc["ci_low"] > 0
    assert res.evaluation["replicates"] == [3, 4, 5, 6, 7]  # fresh, not the search's 0-2
    text = report(res)
    assert max(len(x) for x in text.splitlines()) <= 100
    assert "Gain of the mix over interceptor_drones alone" in text


def test_a_linear_objective_says_no_mix_beats_the_best_single_option(short):
    res = optimise_portfolio(short, options=OPTS, attacker="static", trials=12, replicates=2,
                             eval_replicates=4, evaluate=Toy(concave=False))
    assert not res.beats_single
    assert res.verdict.startswith("No mix beats the best single option")
    assert res.best.single == "interceptor_drones" or res.evaluation
    assert "No mix beats the best single option" in report(res)


def test_the_plan_is_a_portfolio_override_with_the_cost_models_kept(short):
    space = PortfolioSpace(OPTS).resolve(short)
    plan = PortfolioPlan.of({"interceptor_drones": 0.6, "spares_and_repair": 0.4,
                             "passive_protection": 0.0}, {"ew_stations": {}})
    assert plan.overrides() == {"defense.portfolio": {
        "shares": {"interceptor_drones": 0.6, "spares_and_repair": 0.4},
        "options": {"ew_stations": {}}}}
    assert space.singles()[1] == {"w_interceptor_drones": 0.0, "w_passive_protection": 1.0,
                                  "w_spares_and_repair": 0.0}
    s = project_shares([1.0, 0.0, 0.0], 0.0, 1.0)
    assert list(s) == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("kw, words", [
    ({"options": ("ew_station", "spares_and_repair")}, "unknown option 'ew_station'"),
    ({"options": ("ew_stations",)}, "at least two options"),
    ({"min_share": 0.5}, "cannot have shares summing to 1"),
    ({"trials": 3}, "--trials 3: at least 7"),
])
def test_bad_settings_are_refused_before_any_run(short, kw, words):
    with pytest.raises(SimInputError, match=words):
        optimise_portfolio(short, evaluate=Toy(True), **kw)


def test_command_line_runs_and_writes_the_result(tmp_path, capsys):
    out = tmp_path / "opt"
    code = main(["optimise", str(SCENARIOS / "nl-200m.yaml"), "--portfolio", "--nights", "3",
                 "--options", "interceptor_drones,spares_and_repair", "--trials", "3",
                 "--replicates", "1", "--eval-replicates", "2", "--attacker", "static",
                 "--quiet", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Best mix of spending options" in captured.out
    assert {"plan.yaml", "trials.json", "result.json"} <= {p.name for p in out.iterdir()}
    assert main(["optimise", str(SCENARIOS / "nl-200m.yaml"), "--portfolio", "--basing",
                 "sites"]) == 2
    assert "--basing: a programme plan option" in capsys.readouterr().err
