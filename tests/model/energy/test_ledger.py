"""The damage ledger and the start state it gives (energy.state_as_of)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.config.data import load_sites
from sim.config.energy import EnergyConfig
from sim.config.errors import DataFileError
from sim.config.power_data import load_damage_ledger
from sim.model.energy.system import EnergySystem

HEAD = "date,component,event,out_share,repaired_share,repaired_date,estimate,source\n"
ROWS = (
    # burshtyn_tpp has 9 units: 3 out
    "2024-01-10,burshtyn_tpp,damaged,0.3333,0,,True,test\n"
    # ladyzhyn_tpp has 7 units: all out, half of them back on 1 Mar 2024 (rint(3.5) = 4 out)
    "2024-02-01,ladyzhyn_tpp,destroyed,1.0,0.5,2024-03-01,True,test\n"
    # a later entry: a scenario dated before it does not see it
    "2024-05-01,kremenchuk_hpp,damaged,0.5,0,,True,test\n"
)


def _system(tmp_path, as_of, rows=ROWS, **kw):
    f = tmp_path / "ledger.csv"
    f.write_text(HEAD + rows)
    cfg = EnergyConfig(state_as_of=as_of, damage_ledger_file=str(f), **kw)
    sites = load_sites()
    return sites, EnergySystem(sites, cfg, dt.date(2024, 6, 1), 3, np.random.default_rng(0))


def _row(sites, sid):
    return int(sites.index[sites["id"] == sid][0])


@pytest.mark.parametrize("as_of, out", [
    (dt.date(2024, 1, 9), {"burshtyn_tpp": 0, "ladyzhyn_tpp": 0, "kremenchuk_hpp": 0}),
    (dt.date(2024, 2, 15), {"burshtyn_tpp": 3, "ladyzhyn_tpp": 7, "kremenchuk_hpp": 0}),
    (dt.date(2024, 3, 15), {"burshtyn_tpp": 3, "ladyzhyn_tpp": 4, "kremenchuk_hpp": 0}),
    (dt.date(2024, 5, 1), {"burshtyn_tpp": 3, "ladyzhyn_tpp": 4, "kremenchuk_hpp": 5}),
])
def test_available_is_nameplate_minus_what_the_ledger_says_is_out(tmp_path, as_of, out):
    sites, es = _system(tmp_path, as_of)
    net = es.network
    for sid, k in out.items():
        i = _row(sites, sid)
        units = int(sites["units"].iat[i])
        assert es.availability[i] == pytest.approx((units - k) / units)
        # the generation the grid sees from the row: derated nameplate x units in service
        pos = int(np.flatnonzero(net.gen_rows == i)[0])
        g = net.gen_group_of_row[pos]
        assert net.base_mw[i] * es.group_fraction[g] == pytest.approx(
            net.base_mw[i] * (units - k) / units)
    # the rest of the system is as without a ledger
    _, none = _system(tmp_path, None)
    moved = {_row(sites, s) for s, k in out.items() if k}
    other = [i for i in range(len(sites)) if i not in moved]
    assert np.array_equal(es.availability[other], none.availability[other])
    lost = sum(net.base_mw[_row(sites, s)] * k / int(sites["units"].iat[_row(sites, s)])
               for s, k in out.items())
    assert none.gen_mw.sum() - es.gen_mw.sum() == pytest.approx(lost)


def test_nuclear_output_follows_the_substations_that_carry_it(tmp_path):
    rows = "2024-01-10,zakhidnoukrainska_750,damaged,1.0,0,,True,test\n" \
           "2024-01-10,kyivska_750,damaged,1.0,0,,True,test\n"
    sites, es = _system(tmp_path, dt.date(2024, 2, 1), rows)
    _, off = _system(tmp_path, dt.date(2024, 2, 1), rows, nuclear_evacuation={})
    net = es.network
    for sid in ("rivne_npp", "khmelnytskyi_npp"):  # both carried only by the two
        i = _row(sites, sid)
        k = int(np.flatnonzero(net.gen_rows == i)[0])
        assert k in net.nuc_gen_k.tolist()
    # South Ukraine NPP (Vinnytsia, Dniprovska) keeps its output; the two plants give nothing
    lost = sum(net.base_mw[_row(sites, s)] for s in ("rivne_npp", "khmelnytskyi_npp"))
    assert off.gen_mw.sum() - es.gen_mw.sum() == pytest.approx(lost)


BAD = [
    ("2024-01-10,no_such_plant,damaged,0.5,0,,True,x\n", "unknown component 'no_such_plant'"),
    ("2021-01-10,burshtyn_tpp,damaged,0.5,0,,True,x\n", "outside the record"),
    ("2025-10-03,burshtyn_tpp,damaged,0.5,0,,True,x\n", "outside the record"),
    ("2024-01-10,burshtyn_tpp,damaged,0.5,1.2,2024-02-01,True,x\n", "repaired_share: 1.2"),
    ("2024-01-10,burshtyn_tpp,damaged,-0.5,0,,True,x\n", "out_share: -0.5"),
    ("2024-01-10,burshtyn_tpp,damaged,0.5,0.5,2024-01-01,True,x\n", "before the damage"),
    ("2024-01-10,burshtyn_tpp,bombed,0.5,0,,True,x\n", "field event"),
]


@pytest.mark.parametrize("row, reason", BAD)
def test_bad_ledger_rows_name_file_row_and_reason(tmp_path, row, reason):
    with pytest.raises(DataFileError) as exc:
        _system(tmp_path, dt.date(2025, 1, 1), ROWS + row)
    msg = str(exc.value)
    assert "ledger.csv" in msg and "row 5" in msg and reason in msg, msg


def test_state_as_of_outside_the_record_is_refused():
    with pytest.raises(ValueError, match="outside the damage ledger's record"):
        EnergyConfig(state_as_of=dt.date(2025, 11, 1))


def test_packaged_ledger_loads_and_names_known_components():
    led = load_damage_ledger()
    ids = set(load_sites()["id"])
    assert set(led["component"]) <= ids
    assert (led["source"].str.len() > 0).all()


def test_bad_ledger_on_the_command_line_exits_2(tmp_path, capsys):
    from sim.cli import main
    from tests.helpers import SCENARIOS

    f = tmp_path / "ledger.csv"
    f.write_text(HEAD + ROWS + BAD[3][0])
    sc = tmp_path / "s.yaml"
    sc.write_text(f"base: {SCENARIOS / 'winter-2025-26.yaml'}\nenergy:\n  damage_ledger_file: "
                  f"{f}\n")
    code = main(["validate", str(sc)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "repaired_share" in err, err
