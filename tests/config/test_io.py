"""sim.config.io: dates the YAML loader cannot build, misspelt keys, and telling scenario and
sweep files apart."""

from __future__ import annotations

import datetime as dt

import pytest

from sim.config.errors import ScenarioError
from sim.config.io import (
    did_you_mean,
    file_kind,
    load_scenario,
    parse_set_args,
    referenced_files,
    with_overrides,
)
from sim.config.safe_yaml import parse_yaml_text
from sim.config.schema import Scenario
from sim.config.validation import schema_keys_at
from tests.helpers import ROOT, SCENARIOS


@pytest.mark.parametrize("text", ["2025-02-30", "2025-13-01", "2023-02-29", "2025-04-31"])
def test_impossible_dates_stay_text_for_the_schema(text):
    assert parse_yaml_text(f"d: {text}", "t") == {"d": text}
    with pytest.raises(ScenarioError, match=f"period.start_date: not a valid date.*'{text}'"):
        with_overrides(load_scenario(SCENARIOS / "nl-200m.yaml"),
                       parse_set_args([f"period.start_date={text}"]))


def test_real_dates_are_dates():
    assert parse_yaml_text("d: 2024-02-29", "t") == {"d": dt.date(2024, 2, 29)}


def test_did_you_mean():
    assert did_you_mean("budgt_eur", ["budget_eur", "split"]) == " (did you mean 'budget_eur'?)"
    assert did_you_mean("zzz", ["budget_eur", "split"]) == ""


def test_schema_keys_at_follows_models_dicts_and_lists():
    assert "budget_eur" in schema_keys_at(Scenario, ("defense",))
    assert "pk" in schema_keys_at(Scenario, ("defense", "interceptor"))
    monthly = schema_keys_at(Scenario, ("threat", "launches", "monthly", 1))
    assert monthly and "mean" in monthly
    assert schema_keys_at(Scenario, ()) == list(Scenario.model_fields)
    assert schema_keys_at(Scenario, ("name",)) is None


def test_file_kind():
    import yaml

    for f in SCENARIOS.glob("*.yaml"):
        assert file_kind(yaml.safe_load(f.read_text())) == "scenario", f
    for f in (ROOT / "sweeps").glob("*.yaml"):
        assert file_kind(yaml.safe_load(f.read_text())) == "sweep", f
    assert file_kind({"name": "x"}) is None and file_kind([1]) is None


def test_referenced_files():
    sc = with_overrides(load_scenario(SCENARIOS / "nl-200m.yaml"),
                        {"sites_file": "s.csv", "energy.weather_file": "w.csv",
                         "threat.launches.profile_file": "p.json"})
    assert referenced_files(sc) == {"threat.launches.profile_file": "p.json",
                                    "energy.weather_file": "w.csv", "sites_file": "s.csv"}


def test_a_file_that_shortens_its_bases_winter_keeps_the_timeline_months_it_uses(tmp_path):
    """winter-2025-26 has a tactics timeline for Nov - Mar; a file that starts from it and runs
    only 20 nights of November is valid and uses November's tactics. One that runs into a month
    the timeline lacks is refused, naming the month. The base's parsed file is not altered."""
    from tests.helpers import ROOT

    base = ROOT / "scenarios" / "nl-200m.yaml"
    short = tmp_path / "short.yaml"
    short.write_text(f"name: short\nbase: {base}\nperiod:\n  nights: 20\n")
    sc = load_scenario(short)
    assert sc.period.nights == 20 and list(sc.threat.tactics.timeline) == ["2025-11"]
    assert len(load_scenario(base).threat.tactics.timeline) == 5
    late = tmp_path / "late.yaml"
    late.write_text(f"name: late\nbase: {base}\nperiod:\n  start_date: 2026-03-01\n"
                    "  nights: 60\n")
    with pytest.raises(ScenarioError, match="timeline"):
        load_scenario(late)


def test_read_json_object_names_the_file_and_the_reason(tmp_path):
    from sim.config.errors import DataFileError, SimInputError
    from sim.config.files import read_json_object

    good = tmp_path / "good.json"
    good.write_text('{"a": 1}')
    assert read_json_object(good) == {"a": 1}
    cases = {
        tmp_path / "absent.json": "absent.json: file not found; make it",
        tmp_path: "is a directory, not a profile",
        tmp_path / "bad.json": "bad.json: not a readable JSON file",
        tmp_path / "list.json": "list.json: top level must be a JSON object",
    }
    (tmp_path / "bad.json").write_text("{nope")
    (tmp_path / "list.json").write_text("[1, 2]")
    for path, message in cases.items():
        with pytest.raises(DataFileError, match=message):
            read_json_object(path, what="profile", not_found_hint="; make it")
    with pytest.raises(SimInputError, match="not a readable JSON"):
        read_json_object(tmp_path / "bad.json", error=SimInputError)
