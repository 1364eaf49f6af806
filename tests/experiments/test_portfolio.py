"""``python -m sim portfolio``: each option alone and the mixes against no spending on common
random numbers. A tiny instance where one candidate is dominated by construction (the same
missiles with half the money eaten by a fixed cost) ranks it last against both attackers;
the report fits 100 columns; bad input exits 2 with one message and writes nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.cli import main
from sim.config.io import with_overrides
from sim.config.portfolio import OPTIONS
from sim.experiments.portfolio import (
    DEMAND,
    NONE,
    candidates,
    compare_portfolio,
    format_report,
    parse_mix,
    verdict,
)
from sim.experiments.sweep.evaluators import SerialEvaluator
from tests.helpers import SCENARIOS

CLASSES = ["cruise", "ballistic", "kh22", "kh59"]


def oracle(nl200m, nights: int = 15):
    """January nights; one missile-defence system engaging every class, with no stock but
    what the candidates buy (EUR 1M a missile, one shot each)."""
    systems = {n: {"enabled": False} for n in nl200m.defense.missile_defense.systems}
    systems["oracle"] = {
        "interceptors_start": 0, "resupply_per_month": 0, "interceptor_cost_eur": 1e6,
        "classes_engaged": CLASSES, "pk": {c: 0.9 for c in CLASSES},
        "interceptors_per_engagement": {c: 1 for c in CLASSES},
        "coverage_share": {c: 1.0 for c in CLASSES}, "engages_drones": False}
    return with_overrides(nl200m, {"period.start_date": "2026-01-10", "period.nights": nights,
                                   "defense.missile_defense.systems": systems})


def buy(nl200m, fixed: float = 0.0, amount: float | None = None) -> dict:
    items = {n: {"share": 0.0} for n in nl200m.defense.missile_defense.systems}
    items["oracle"] = {"share": 1.0, "lead_time_days": 0, "fixed_cost_eur": fixed}
    form = ({"amounts_eur": {"missile_interceptors": amount}} if amount
            else {"shares": {"missile_interceptors": 1.0}})
    return {**form, "options": {"missile_interceptors": {"items": items}}}


@pytest.fixture(scope="module")
def tiny(nl200m):
    """Three candidates for EUR 20M: the missiles as costed (20), three quarters of the money
    on them (15), and a dominated copy whose fixed cost eats half the money (10 missiles for
    all of it). The dominated one is listed first, so a ranking that kept the order would
    fail."""
    mixes = {"dominated": buy(nl200m, fixed=1e7), "three quarters": buy(nl200m, amount=1.5e7),
             "as costed": buy(nl200m)}
    return compare_portfolio(oracle(nl200m), budget_eur=2e7, mixes=mixes, options=(),
                             attackers=("static", "learning"), replicates=3,
                             evaluator=SerialEvaluator())


def test_a_dominated_option_ranks_last(tiny):
    for att in ("static", "learning"):
        ranking = tiny.ranking(att)
        assert ranking[0] == "as costed" and ranking[-1] == "dominated", (att, ranking)
        t = tiny.table[tiny.table["attacker"] == att].set_index("candidate")
        assert t.at["dominated", f"{DEMAND}_gain"] < t.at["as costed", f"{DEMAND}_gain"]
        assert t.at["dominated", "spent_eur"] == pytest.approx(2e7)
        assert t.at["three quarters", "spent_eur"] == pytest.approx(1.5e7)
        assert t.at["three quarters", "unused_eur"] == pytest.approx(5e6)


def test_paired_gains_are_differences_on_the_same_replicates(tiny):
    runs = tiny.runs
    for att in ("static", "learning"):
        r = runs[runs["attacker"] == att]
        base = r[r["candidate"] == NONE].set_index("replicate")[DEMAND]
        best = r[r["candidate"] == "as costed"].set_index("replicate")[DEMAND]
        t = tiny.table[(tiny.table["attacker"] == att) & (tiny.table["candidate"] == "as costed")]
        assert float(t[f"{DEMAND}_gain"].iloc[0]) == pytest.approx(float((best - base).mean()))
        lo, hi = float(t[f"{DEMAND}_low"].iloc[0]), float(t[f"{DEMAND}_high"].iloc[0])
        assert lo <= float((best - base).mean()) <= hi
        # the static attacker's raids are the same whatever is bought: same drone hits
        if att == "static":
            hits = r.pivot(index="replicate", columns="candidate", values="hits_on_sites")
            assert (hits.nunique(axis=1) == 1).all()


def test_cost_per_point_is_spend_over_the_gain(tiny):
    t = tiny.table.set_index(["attacker", "candidate"])
    r = t.loc[("static", "as costed")]
    if r[f"{DEMAND}_low"] > 0:
        assert r["eur_per_point"] == pytest.approx(r["spent_eur"] / (100 * r[f"{DEMAND}_gain"]))
        assert r["eur_per_point_low"] <= r["eur_per_point"] <= r["eur_per_point_high"]
    else:
        assert np.isnan(r["eur_per_point"])


def test_report_fits_100_columns_and_names_the_best(tiny):
    text = format_report(tiny)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "Against the static attacker" in text and "Against the learning attacker" in text
    assert "1. as costed" in text
    assert any("as costed" in v for v in verdict(tiny)) or any(
        "no option serves" in v for v in verdict(tiny))


def test_candidates_are_no_spending_each_option_and_the_mixes(nl200m):
    cands = candidates(nl200m, 2e8, [{"shares": {"ew_stations": 0.5,
                                                 "interceptor_drones": 0.5}}])
    assert [c.key for c in cands] == [NONE, *OPTIONS, "mix 1"]
    assert cands[0].overrides() == {"defense.budget_eur": 0.0, "defense.portfolio": None}
    assert cands[1].portfolio == {"shares": {"interceptor_drones": 1.0}}
    assert cands[-1].key == "mix 1" and cands[-1].label == "50% EW + 50% drones"


def test_parse_mix():
    assert parse_mix("a=0.5, b=0.5") == {"a": 0.5, "b": 0.5}
    from sim.config.errors import SimInputError

    for bad in ("a", "a=x", "a=1,a=0", ""):
        with pytest.raises(SimInputError):
            parse_mix(bad)


# --------------------------------------------------------------------------- the command
@pytest.mark.parametrize("argv, words", [
    (["--mix", "pasive_protection=1"], "--mix pasive_protection=1: defense.portfolio.shares: "
     "unknown option 'pasive_protection' (did you mean 'passive_protection'?)"),
    (["--mix", "passive_protection=-0.5,interceptor_drones=1.5"],
     "defense.portfolio.shares: passive_protection: share must be >= 0"),
    (["--mix", "passive_protection=0.5,interceptor_drones=0.4"],
     "defense.portfolio.shares: shares must sum to 1 (got 0.9)"),
    (["--mix-eur", "passive_protection=3e8"], "--mix-eur passive_protection=3e8: "
     "defense.portfolio.amounts_eur: amounts sum to EUR 300,000,000, above the budget"),
    (["--set", "defense.portfolio.options.ew_stations.items.stations.unit_cost_eur=0"],
     "defense.portfolio.options.ew_stations.items.stations.unit_cost_eur: must be > 0 EUR"),
    (["--set", "energy.enabled=false"], "a portfolio needs the energy model"),
    (["--options", "ew_station"], "unknown option 'ew_station' (did you mean 'ew_stations'?)"),
    (["--attackers", "static,smart"], "--attackers 'static,smart': expected some of"),
    (["--mix", "passive_protection"], "expected OPTION=SHARE pairs"),
    (["--budget", "0"], "--budget: 0 must be > 0"),
])
def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, capsys, argv, words):
    out = tmp_path / "out"
    code = main(["portfolio", str(SCENARIOS / "nl-200m.yaml"), "--out", str(out), *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert words in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_a_bad_cost_model_in_the_file_names_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"base: {SCENARIOS / 'nl-200m.yaml'}\nname: bad\ndefense:\n  portfolio:\n"
                   "    shares: {ew_stations: 1}\n    options:\n      ew_stations:\n"
                   "        items: {stations: {unit_cost_eur: -1}}\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["portfolio", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"{bad}: defense.portfolio.options.ew_stations.items.stations.unit_cost_eur: must " \
           "be > 0 EUR" in err
    assert not out.exists()


def test_command_writes_the_results_folder(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["portfolio", str(SCENARIOS / "nl-200m.yaml"), "--budget", "2e8",
                 "--set", "period.nights=4", "--replicates", "2", "--workers", "1",
                 "--options", "interceptor_drones,spares_and_repair",
                 "--mix", "interceptor_drones=0.5,spares_and_repair=0.5",
                 "--attackers", "static", "--out", str(out), "--no-progress"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert {"runs.parquet", "gains.csv", "table.csv", "table.txt", "schedules.json",
            "manifest.json", "figure.png", "figure.svg"} <= {p.name for p in out.iterdir()}
    man = json.loads((out / "manifest.json").read_text())
    assert man["kind"] == "portfolio" and man["winters"] == 4 * 2
    assert "Against the static attacker" in captured.out
    assert max(len(line) for line in captured.out.splitlines()) <= 100
    # a second run into the folder needs --overwrite
    assert main(["portfolio", str(SCENARIOS / "nl-200m.yaml"), "--out", str(out)]) == 2


def test_a_run_with_a_portfolio_reports_what_each_option_bought(tmp_path, capsys):
    sc = tmp_path / "mix.yaml"
    sc.write_text(f"base: {SCENARIOS / 'nl-200m.yaml'}\nname: mix\nperiod: {{nights: 5}}\n"
                  "defense:\n  portfolio:\n    shares: {interceptor_drones: 0.5, "
                  "spares_and_repair: 0.5}\n", encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(sc), "--replicates", "1", "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    p = summary["portfolio"]
    assert p["options"]["spares_and_repair"]["money_eur"] == pytest.approx(1e8)
    items = p["options"]["spares_and_repair"]["items"]
    assert set(items) == {"spare_autotransformers", "repair_crews"}
    assert set(items["repair_crews"]["limited_by"].values()) <= {"time", "money", "production",
                                                                  "crews", "sites"}
    assert "spare autotransformers and repair teams (EUR 100.0M)" in printed
    assert summary["limits"]["programme"]["unused_budget_eur"] <= 1e8 + 1
