"""Site list, regions, links and weather: packaged data and validation of bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.data import SITE_COLUMNS, load_monthly_normals, load_regions, load_sites
from sim.config.energy import SITE_STATUSES, SITE_TYPES
from sim.config.errors import DataFileError
from sim.config.grid_data import load_grid
from tests.helpers import DATA

PACKAGED = DATA / "energy_sites.csv"


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    return load_sites()


def test_packaged_sites_load_with_projection(sites):
    assert tuple(sites.columns[: len(SITE_COLUMNS)]) == SITE_COLUMNS
    assert {"x_km", "y_km"} <= set(sites.columns)
    assert sites["id"].is_unique
    assert set(sites["type"]) <= set(SITE_TYPES)
    assert set(sites["status"]) <= set(SITE_STATUSES)
    assert (sites["source"].str.len() > 10).all(), "every row cites a source"
    assert sites["estimate"].dtype == bool
    # Kyiv lies north-west of the projection centre (48.5 N, 31.5 E)
    kyiv = sites.set_index("id").loc["water_kyiv"]
    assert kyiv.x_km < 0 < kyiv.y_km


def test_packaged_sites_content(sites):
    s = sites.set_index("id")
    assert s.loc["zaporizhzhia_npp", "status"] == "occupied"
    assert s.loc["zaporizka_tpp", "status"] == "occupied"
    assert s.loc["kakhovka_hpp", "status"] == "destroyed"
    for sid in ("vuhlehirska_tpp", "kurakhove_tpp"):
        assert s.loc[sid, "status"] != "operational" and s.loc[sid, "estimate"]
    # "A / B" rows of docs/sources.md §D are split
    for sid in (
        "kyiv_hpp",
        "kyiv_pspp",
        "dniester_hpp",
        "dniester_pspp",
        "zaliutyne_330",
        "loseve_330",
        "usatove_330",
        "adzhalyk_330",
        "novokyivska_330",
        "pivnichna_330",
        "nyvky_330",
    ):
        assert sid in s.index
    for city in ("kyiv", "kharkiv", "odesa", "dnipro", "lviv", "zaporizhzhia"):
        row = s.loc[f"water_{city}"]
        assert row.type == "water_utility" and row.capacity_mw > 0 and row.estimate
    gas = s[s.type.isin(["gas_production", "gas_storage"])]
    assert len(gas) >= 4 and gas.estimate.all() and (gas.gas_mcm_per_day > 0).all()
    assert s.loc["rivne_npp", "capacity_mw"] == 2835
    # the 55 sourced rows come first, unchanged ids; the grid adds substations and plants
    assert s.index[:55].tolist()[0] == "burshtyn_tpp" and s.index[54] == "water_zaporizhzhia"
    assert (s.iloc[:55].type == "substation_750").sum() == 7
    assert (s.node != "").all() and (s.units >= 1).all()


def test_site_regions_exist_and_demand_total():
    sites = load_sites()
    regions = load_regions()
    assert set(sites["region_id"]) <= set(regions["id"])
    assert regions["peak_demand_mw"].sum() == pytest.approx(18000, abs=30)
    nodes, lines, loads = load_grid()
    assert set(sites["node"]) <= set(nodes["id"])
    assert set(lines["from_node"]) <= set(nodes["id"]) and set(lines["to_node"]) <= set(nodes["id"])
    # every oblast's demand is fully shared out to its load nodes
    share = loads.groupby("region_id")["share_of_region"].sum()
    assert set(share.index) == set(regions["id"])
    np.testing.assert_allclose(share.to_numpy(), 1.0, atol=1e-4)


def test_weather_normals():
    t = load_monthly_normals()
    assert t.shape == (12,)
    assert t[0] < 0 and t[6] > 15  # cold January, warm July


def _write_bad(tmp_path: Path, edit) -> Path:
    df = pd.read_csv(PACKAGED, dtype=str, keep_default_na=False)
    df = edit(df)
    p = tmp_path / "sites.csv"
    df.to_csv(p, index=False)
    return p


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda d: d.drop(columns=["lat"]), ["missing column", "lat"]),
        (
            lambda d: d.assign(id=d["id"].where(d.index != 3, d["id"].iloc[1])),
            ["row 5", "field id", "duplicate"],
        ),
        (
            lambda d: d.assign(type=d["type"].where(d.index != 2, "windfarm")),
            ["row 4", "field type", "windfarm"],
        ),
        (
            lambda d: d.assign(status=d["status"].where(d.index != 0, "bombed")),
            ["row 2", "field status"],
        ),
        (
            lambda d: d.assign(lat=d["lat"].where(d.index != 6, "10.0")),
            ["row 8", "lat/lon", "outside the theatre"],
        ),
        (
            lambda d: d.assign(capacity_mw=d["capacity_mw"].where(d.index != 1, "-5")),
            ["row 3", "field capacity_mw", "negative"],
        ),
        (
            lambda d: d.assign(capacity_mw=d["capacity_mw"].where(d.index != 4, "big")),
            ["row 6", "field capacity_mw", "not a number"],
        ),
        (
            lambda d: d.assign(gas_mcm_per_day=d["gas_mcm_per_day"].where(d.index != 4, "")),
            ["row 6", "field gas_mcm_per_day"],
        ),
    ],
)
def test_bad_site_file_names_file_row_field(tmp_path, edit, words):
    p = _write_bad(tmp_path, edit)
    with pytest.raises(DataFileError) as exc:
        load_sites(p)
    msg = str(exc.value)
    assert str(p) in msg
    for w in words:
        assert w in msg


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        load_sites(tmp_path / "nope.csv")


def test_bad_regions_file(tmp_path):
    df = pd.read_csv(
        DATA / "regions.csv",
        dtype=str,
        keep_default_na=False,
    )
    df.loc[2, "peak_demand_mw"] = "-1"
    p = tmp_path / "regions.csv"
    df.to_csv(p, index=False)
    with pytest.raises(DataFileError, match=r"row 4, field peak_demand_mw"):
        load_regions(p)


def test_projection_matches_geo(sites):
    from sim.config.geo import project

    x, y = project(sites["lat"].to_numpy(), sites["lon"].to_numpy())
    np.testing.assert_allclose(sites["x_km"], x)
    np.testing.assert_allclose(sites["y_km"], y)


def test_loaders_read_each_file_once_and_hand_out_copies(tmp_path):
    """The site list is read and checked once per file version; a caller that edits its copy
    does not change what the next caller gets, and an edited file is read again."""
    import shutil

    from sim.config.data import load_sites, packaged_path

    path = tmp_path / "sites.csv"
    shutil.copy(packaged_path("energy_sites.csv"), path)
    first = load_sites(path)
    first.loc[0, "status"] = "changed by a caller"
    again = load_sites(path)
    assert again.loc[0, "status"] != "changed by a caller"
    assert again.attrs["path"] == first.attrs["path"]
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(text[:-1]) + "\n", encoding="utf-8")  # one site fewer
    assert len(load_sites(path)) == len(again) - 1
