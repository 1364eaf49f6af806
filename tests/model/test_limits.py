"""One account of what limits each interceptor force (sim/model/forces/limits.py): the same
words from ``sim run``, ``sim forces`` and the summary; geometry only where the run shows spare
crews and airframes on nights with leakers; labels a schedule adds flow through as data."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from sim.cli import main
from sim.config.io import with_overrides
from sim.config.schema import Scenario
from sim.model.forces import LABELS, force_schedule
from sim.model.forces.limits import (
    GEOMETRY,
    MEANINGS,
    RunEvidence,
    account_from_summary,
    evidence_of_run,
    limits_account,
    pool_evidence,
)
from sim.model.forces.schedule import ForceSchedules
from sim.model.theatre import schedules_for
from tests.helpers import SCENARIOS

NL = str(SCENARIOS / "nl-200m.yaml")
SHORT = ["--set", "period.start_date=2025-11-20", "--set", "period.nights=25"]


def national(**over):
    sc = with_overrides(Scenario(name="t"), over)
    return force_schedule(sc.defense, sc.period.dates).national


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """``sim run`` and ``sim forces --simulate`` on the same scenario, seed and replicates."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("limits") / "r"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["run", NL, "--replicates", "2", "--quiet", "--gross-only", "--out",
                     str(out), *SHORT]) == 0
    run_text = buf.getvalue()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["forces", NL, "--simulate", "2", "--quiet", *SHORT]) == 0
    forces_text = buf.getvalue()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["forces", NL, *SHORT]) == 0
    plain_text = buf.getvalue()
    summary = json.loads((out / "summary.json").read_text())
    return summary, run_text, forces_text, plain_text


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_run_and_forces_print_the_same_account(printed):
    summary, run_text, forces_text, _ = printed
    lim = summary["limits"]
    for force in ("national", "programme"):
        sentence = lim[force]["text"]
        assert sentence in forces_text  # forces prints it on one line
        assert _flat(sentence) in _flat(run_text)  # run wraps it
        assert "what it can fly is limited by" in sentence
        assert "what it stops is limited by" in sentence
    assert GEOMETRY[1:] in _flat(run_text) and GEOMETRY[1:] in _flat(forces_text)
    assert lim["meanings"]["geometry"] == GEOMETRY


def test_forces_without_a_run_gives_the_same_capacity(printed):
    """Month by month, what caps what a force can fly is the schedule's label in the run's
    summary, in ``forces`` with and without a simulation."""
    summary, _, forces_text, plain_text = printed
    from sim.config.io import load_scenario, with_overrides as wo

    sc = wo(load_scenario(NL), {"period.start_date": "2025-11-20", "period.nights": 25})
    sch = schedules_for(sc)
    for f in sch.forces:
        assert summary["limits"][f.name]["capacity_by_month"] == dict(zip(f.months, f.binding))
        acc = limits_account(sch)[f.name]
        assert acc.capacity_text() in plain_text and acc.capacity_text() in forces_text
    assert "is not simulated here" in plain_text and "is not simulated here" not in forces_text


def test_geometry_only_with_spare_capacity_on_nights_with_leakers(printed):
    summary, *_ = printed
    for force in ("national", "programme"):
        block = summary["limits"][force]
        for m, use in block["use_by_month"].items():
            if use == "geometry":
                assert block["geometry_nights_by_month"][m] > 0
                assert block["by_month"][m] == "geometry"
            else:
                assert block["by_month"][m] == block["capacity_by_month"][m]


def test_geometry_oracle_on_a_schedule():
    """Drones leak every night: a force that launched nothing had crews and airframes to spare
    (geometry); one that flew all its crews could (sorties) is limited by what it can fly;
    nights without leakers never say geometry."""
    f = national()
    n = len(f.dates)
    stock = f.delivered.astype(float)
    idle = evidence_of_run(f, np.zeros(n), stock, np.ones(n))
    assert set(idle["labels"]) == {"geometry"}
    assert idle["geometry_nights"] == idle["leak_nights"] and sum(idle["leak_nights"]) == n
    full = evidence_of_run(f, np.minimum(f.sortie_capacity, stock), stock, np.ones(n))
    assert tuple(full["labels"]) == f.binding and sum(full["geometry_nights"]) == 0
    calm = evidence_of_run(f, np.zeros(n), stock, np.zeros(n))
    assert tuple(calm["labels"]) == f.binding and sum(calm["leak_nights"]) == 0
    acc = limits_account(ForceSchedules(f, f), {"national": pool_evidence([idle, idle], [5, 7])})
    assert acc["national"].use == ("geometry",) * len(f.months)
    assert acc["national"].evidence.stock_end == 6.0
    assert "airframes left over on" in acc["national"].text()


def test_a_label_a_schedule_adds_flows_through_as_data():
    """A constraint the account has never heard of (``shifts``) appears in the text, the
    summary block and the month labels after a run, unchanged."""
    f = national()
    labels = np.array(["shifts"] * len(f.dates), dtype=object)
    g = dataclasses.replace(f, binding_nightly=labels, binding=("shifts",) * len(f.months),
                            binding_detail=("shifts: crews on shift",) * len(f.months))
    n = len(g.dates)
    ev = evidence_of_run(g, np.full(n, 1e9), g.delivered.astype(float), np.ones(n))
    assert set(ev["labels"]) == {"shifts"}  # flew all it could: the new label stands
    acc = limits_account(ForceSchedules(g, g), {"national": pool_evidence([ev], [0])})
    block = acc.as_dict()
    assert set(block["national"]["by_month"].values()) == {"shifts"}
    assert set(block["national"]["capacity_by_month"].values()) == {"shifts"}
    assert block["meanings"]["shifts"] == "shifts"
    assert "what it can fly is limited by shifts" in acc["national"].text()
    again = account_from_summary(ForceSchedules(g, g), block)
    assert again["national"].text() == acc["national"].text()


def test_every_label_has_its_meaning():
    assert set(LABELS) <= set(MEANINGS)
    assert MEANINGS["geometry"] == GEOMETRY


def test_account_from_a_summary_gives_back_the_text(printed):
    summary, *_ = printed
    from sim.config.io import load_scenario, with_overrides as wo

    sc = wo(load_scenario(NL), {"period.start_date": "2025-11-20", "period.nights": 25})
    acc = account_from_summary(schedules_for(sc), summary["limits"])
    assert acc.text() == summary["limits"]["text"]
    assert isinstance(acc["programme"].evidence, RunEvidence)
