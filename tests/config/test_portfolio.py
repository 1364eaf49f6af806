"""``defense.portfolio``: the options' packaged cost models, the portfolio's forms, and every kind
of bad input named with its key path and reason (file, ``--set`` and the command line)."""

from __future__ import annotations

import csv

import pytest

from sim.cli import main
from sim.config.errors import ScenarioError
from sim.config.io import load_scenario, scenario_from_dict, with_overrides
from sim.config.portfolio import Portfolio, cost_rows, cost_table_markdown
from sim.config.portfolio_options import (
    DATA_FILE,
    OPTIONS,
    Item,
    Options,
    option_defaults,
    table_rows,
)
from sim.config.schema import Scenario
from tests.helpers import DATA, ROOT, SCENARIOS

BUDGET = 2e8


MISSILES_ON = {"missiles": {"enabled": True}}


def scenario(portfolio, budget=BUDGET, **sections):
    sections.setdefault("threat", MISSILES_ON)  # missile interceptors need missiles to fire at
    data = {"name": "t", "defense": {"budget_eur": budget, "portfolio": portfolio}, **sections}
    return scenario_from_dict(data, "p.yaml")


def error(portfolio, budget=BUDGET, **sections) -> str:
    with pytest.raises(ScenarioError) as exc:
        scenario(portfolio, budget, **sections)
    return str(exc.value)


# --------------------------------------------------------------------------- packaged defaults
def test_every_figure_has_a_status_and_a_source():
    rows = table_rows()
    assert rows, "empty table"
    with open(DATA / DATA_FILE, newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(rows)
    for r in rows:
        assert r["status"] in ("SOURCED", "DERIVED", "EST"), r
        assert r["source"].strip(), r
        assert r["unit"].strip(), r
        if r["status"] in ("SOURCED", "DERIVED"):
            assert "http" in r["source"] or "same source" in r["source"], r


def test_every_option_but_the_programme_has_packaged_items():
    opts = Options()
    for o in OPTIONS:
        items = opts.items(o)
        if o == "interceptor_drones":
            assert items == {}
            continue
        assert items, o
        assert abs(sum(i.share for i in items.values()) - 1.0) < 1e-9, o
        assert set(items) == set(option_defaults(o)["items"])


def test_missile_items_are_the_existing_systems():
    sc = scenario({"shares": {"missile_interceptors": 1.0}})
    systems = sc.defense.missile_defense.systems
    assert set(sc.defense.portfolio.options.missile_interceptors.items) == set(systems)


def test_readme_of_the_data_file_exists_with_a_licence():
    text = (DATA / "README_portfolio.md").read_text(encoding="utf-8")
    assert DATA_FILE in text and "Licence" in text


def test_cost_table_in_docs_is_the_generated_one():
    docs = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    assert cost_table_markdown() in docs, (
        "docs/sources.md: the options' cost table differs from sim.config.portfolio."
        "cost_table_markdown(); paste its output into the section 'What else the money could buy'")


def test_cost_table_reuses_the_programme_and_missile_figures():
    sc = Scenario(name="t")
    rows = {(r["option"], r["item"], r["parameter"]): r["value"] for r in cost_rows()}
    assert rows[("interceptor_drones", "airframes", "unit_cost_eur")] == (
        f"{sc.defense.costs.interceptor_unit_cost_eur:,.0f}")
    cost = sc.defense.missile_defense.systems["patriot"].interceptor_cost_eur
    assert rows[("missile_interceptors", "patriot", "unit_cost_eur")] == f"{cost:,.0f}"


# --------------------------------------------------------------------------- good input
def test_absent_portfolio_is_todays_scenario():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert load_scenario(path).defense.portfolio is None, path
    assert Scenario(name="t").defense.portfolio is None


def test_shares_and_amounts_give_money_per_option():
    p = scenario({"shares": {"passive_protection": 0.25, "interceptor_drones": 0.75}}).defense.portfolio
    m = p.money_eur(BUDGET)
    assert m["passive_protection"] == pytest.approx(5e7)
    assert m["interceptor_drones"] == pytest.approx(1.5e8)
    assert set(m) == set(OPTIONS) and m["ew_stations"] == 0.0
    q = scenario({"amounts_eur": {"ew_stations": 3e7}}).defense.portfolio
    assert q.money_eur(BUDGET)["ew_stations"] == 3e7
    assert sum(q.money_eur(BUDGET).values()) == 3e7  # the rest is not spent
    assert Portfolio.single("spares_and_repair").money_eur(1e6)["spares_and_repair"] == 1e6


def test_overrides_change_one_figure_and_keep_the_rest():
    p = scenario({"shares": {"passive_protection": 1.0},
                  "options": {"passive_protection": {
                      "items": {"second_level": {"unit_cost_eur": 3e6}}}}}).defense.portfolio
    it = p.options.passive_protection.items["second_level"]
    default = option_defaults("passive_protection")["items"]["second_level"]
    assert it.unit_cost_eur == 3e6
    assert it.lead_time_days == default["lead_time_days"]
    assert it.damage_factor_drone == default["damage_factor_drone"]


def test_a_complete_new_missile_system_can_be_bought():
    sys_ = {"thaad": {"interceptors_start": 0, "resupply_per_month": 0,
                      "interceptor_cost_eur": 1.2e7, "classes_engaged": ["ballistic"],
                      "pk": {"ballistic": 0.9}}}
    items = {"thaad": {"share": 0.5, "lead_time_days": 30}, "patriot": {"share": 0.5},
             "samp_t": {"share": 0}, "nasams_iris_t": {"share": 0}}
    sc = scenario_from_dict({"name": "t", "threat": MISSILES_ON, "defense": {
        "budget_eur": BUDGET, "missile_defense": {"systems": sys_},
        "portfolio": {"shares": {"missile_interceptors": 1.0},
                      "options": {"missile_interceptors": {"items": items}}}}}, "p.yaml")
    assert sc.defense.portfolio.options.missile_interceptors.items["thaad"].share == 0.5


def test_set_overrides_reach_the_portfolio(nl200m):
    sc = with_overrides(nl200m, {"defense.portfolio": {"shares": {"ew_stations": 1.0}}})
    sc = with_overrides(sc, {"defense.portfolio.options.ew_stations.items.stations."
                             "unit_cost_eur": 5e5})
    assert sc.defense.portfolio.options.ew_stations.items["stations"].unit_cost_eur == 5e5
    with pytest.raises(ScenarioError, match=r"--set: defense\.portfolio\.options\.ew_stations\."
                                            r"items\.stations\.unit_cost_eur: must be > 0"):
        with_overrides(sc, {"defense.portfolio.options.ew_stations.items.stations."
                            "unit_cost_eur": 0})


def test_the_json_schema_lists_the_portfolio():
    from sim.config.io import scenario_json_schema

    assert "Portfolio" in scenario_json_schema()["$defs"]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("portfolio, where, reason", [
    ({"shares": {"pasive_protection": 1.0}}, "defense.portfolio.shares",
     "unknown option 'pasive_protection' (did you mean 'passive_protection'?)"),
    ({"amounts_eur": {"ew_station": 1e6}}, "defense.portfolio.amounts_eur",
     "unknown option 'ew_station' (did you mean 'ew_stations'?)"),
    ({"shares": {"passive_protection": -0.5, "interceptor_drones": 1.5}},
     "defense.portfolio.shares", "passive_protection: share must be >= 0"),
    ({"shares": {"passive_protection": 0.5, "interceptor_drones": 0.4}},
     "defense.portfolio.shares", "shares must sum to 1 (got 0.9)"),
    ({"shares": {"passive_protection": float("nan")}},
     "defense.portfolio.shares.passive_protection", "is not a finite number"),
    ({"amounts_eur": {"passive_protection": 1.5e8, "ew_stations": 1e8}},
     "defense.portfolio.amounts_eur", "amounts sum to EUR 250,000,000, above the budget "
     "(defense.budget_eur = EUR 200,000,000)"),
    ({"amounts_eur": {"passive_protection": -1.0}}, "defense.portfolio.amounts_eur",
     "must be >= 0"),
    ({"shares": {"ew_stations": 1.0}, "amounts_eur": {"ew_stations": 1.0}}, "defense.portfolio",
     "give either shares"),
    ({}, "defense.portfolio", "give either shares"),
    ({"shares": {"ew_stations": 1.0},
      "options": {"ew_stations": {"items": {"stations": {"unit_cost_eur": 0}}}}},
     "defense.portfolio.options.ew_stations.items.stations.unit_cost_eur", "must be > 0 EUR"),
    ({"shares": {"ew_stations": 1.0},
      "options": {"spares_and_repair": {"items": {"repair_crews": {"unit_cost_eur": -5}}}}},
     "defense.portfolio.options.spares_and_repair.items.repair_crews.unit_cost_eur",
     "must be > 0 EUR"),
    ({"shares": {"ew_stations": 1.0}, "options": {"ew_stationz": {}}},
     "defense.portfolio.options.ew_stationz", "unknown key (did you mean 'ew_stations'?)"),
    ({"shares": {"ew_stations": 1.0},
      "options": {"ew_stations": {"items": {"station": {"unit_cost_eur": 1}}}}},
     "defense.portfolio.options.ew_stations", "unknown item 'station' (did you mean 'stations'?)"),
    ({"shares": {"passive_protection": 1.0},
      "options": {"passive_protection": {"items": {"third_level": {"share": 0.5}}}}},
     "defense.portfolio.options.passive_protection", "shares must sum to 1 (got 1.5"),
    ({"shares": {"missile_interceptors": 1.0},
      "options": {"missile_interceptors": {"items": {"patriott": {"share": 0.5}}}}},
     "defense.portfolio.options.missile_interceptors",
     "unknown item 'patriott' (did you mean 'patriot'?)"),
    ({"shares": {"missile_interceptors": 1.0},
      "options": {"missile_interceptors": {"items": {"iris": {"share": 0, "lead_time_days": 1}}}}},
     "defense.portfolio.options.missile_interceptors.items.iris",
     "unknown missile-defence system 'iris'"),
    ({"shares": {"passive_protection": 1.0},
      "options": {"passive_protection": {"site_types": ["substation_500"]}}},
     "defense.portfolio.options.passive_protection.site_types", "unknown site type"),
])
def test_bad_portfolio_names_key_path_and_reason(portfolio, where, reason):
    msg = error(portfolio)
    assert msg.startswith(f"p.yaml: {where}: "), msg
    assert reason in msg, msg


def test_missile_interceptors_for_a_system_without_a_price():
    data = {"name": "t", "threat": MISSILES_ON, "defense": {
        "budget_eur": BUDGET,
        "missile_defense": {"systems": {"patriot": {"interceptor_cost_eur": 0}}},
        "portfolio": {"shares": {"missile_interceptors": 1.0}}}}
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data, "p.yaml")
    msg = str(exc.value)
    assert msg.startswith("p.yaml: defense.portfolio.options.missile_interceptors.items.patriot: ")
    assert "interceptor_cost_eur = 0; it must be > 0" in msg


def test_missile_interceptors_for_a_disabled_system():
    data = {"name": "t", "threat": MISSILES_ON, "defense": {
        "budget_eur": BUDGET, "missile_defense": {"systems": {"samp_t": {"enabled": False}}},
        "portfolio": {"shares": {"missile_interceptors": 1.0}}}}
    with pytest.raises(ScenarioError, match="samp_t: share 0.2 for a disabled system"):
        scenario_from_dict(data, "p.yaml")


def test_missile_settings_matter_only_when_the_option_is_paid_for():
    data = {"name": "t", "defense": {
        "budget_eur": BUDGET, "missile_defense": {"systems": {
            "samp_t": {"enabled": False}, "patriot": {"interceptor_cost_eur": 0}}},
        "portfolio": {"shares": {"ew_stations": 1.0}}}}
    assert scenario_from_dict(data, "p.yaml").defense.portfolio.shares == {"ew_stations": 1.0}


def test_portfolio_needs_the_energy_model():
    msg = error({"shares": {"interceptor_drones": 1.0}}, energy={"enabled": False})
    assert msg.startswith("p.yaml: defense.portfolio: a portfolio needs the energy model"), msg


def test_item_refuses_a_free_unit():
    with pytest.raises(ValueError, match="must be > 0 EUR"):
        Item(share=1, unit="x", unit_cost_eur=0.0, lead_time_days=0)


def test_command_line_bad_portfolio_exit_2_nothing_written(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"base: {SCENARIOS / 'nl-200m.yaml'}\nname: bad\ndefense:\n  portfolio:\n"
                   "    shares: {passive_protection: 0.6, interceptor_drone: 0.4}\n",
                   encoding="utf-8")
    out = tmp_path / "out"
    for argv in (["validate", str(bad)], ["run", str(bad), "--out", str(out)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        assert f"{bad}: defense.portfolio.shares: unknown option 'interceptor_drone' (did you " \
               "mean 'interceptor_drones'?)" in err, err
    assert not out.exists()
