"""Derive the node-level transmission grid shipped in sim/data from the public test case.

Usage: python scripts/derive_grid.py [SHARED_GRID_DIR] [--matches]
(default ../shared/data/ukraine-grid; --matches also prints the name-matching table)

Inputs:
* ``rjuly7/ukraine_test_case`` (commit 0ce0c2a721301ac0be13cf06a19b0eb81fbd04a5), files
  ``substations.csv``, ``ukraine_generators_power_capacities_coordinates.csv``, ``map_lines.csv``,
  ``ukraine_cities_name_population_coordinates.csv`` and ``ukraine_full.m`` (ENTSO-E grid map,
  WRI GPPD, city populations);
* the sourced site list ``sim/data/energy_sites.csv`` (its first 55 rows are kept as they are,
  with their ids) and ``sim/data/regions.csv``.

Outputs (sim/data): ``grid_nodes.csv``, ``grid_lines.csv``, ``grid_loads.csv``, and
``energy_sites.csv`` rewritten as the merged component table (sourced rows first, unchanged
except the new ``node`` and ``units`` columns; then the new substations and plants). The
method, caveats and the name-matching table are in ``sim/data/README_grid.md``; the script
prints the tables that README quotes. The output is deterministic.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.path import Path as MplPath

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sim" / "data"
_ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
SHARED = Path(_ARGS[0]) if _ARGS else ROOT.parent / "shared" / "data" / "ukraine-grid"
SRC = "rjuly7/ukraine_test_case@0ce0c2a (ENTSO-E grid map, WRI GPPD)"
N_SOURCED = 55
EARTH_R_KM = 6371.0

# --------------------------------------------------------------------------- parameters (EST)
# Route length / straight-line distance, as used by the source case (build_functions.py,
# sub_line_ratios).
ROUTE_FACTOR = {110: 1.37, 220: 1.37, 330: 1.30, 500: 1.22, 750: 1.22}
# Series reactance per route km from conductor geometry (X = w mu0/2pi ln(GMD/GMR)) with the
# conductor data the source case takes from Glover, Sarma & Overbye, "Power System Analysis and
# Design", Table A.4 (bundles: 330 kV 2, 500 kV 3, 750 kV 4 sub-conductors).
_GEOM = {  # GMD (m), GMR (m)
    110: (5.0, 0.0328 * 0.3048),
    220: (7.0, 0.0375 * 0.3048),
    330: (9.0, math.sqrt(0.052 * 0.3048 * 0.457)),
    500: (11.0, (0.0435 * 0.3048 * 0.457**2) ** (1 / 3)),
    750: (14.0, (0.0435 * 0.3048 * math.sqrt(2) * 0.457**3) ** 0.25),
}
X_OHM_PER_KM = {
    kv: 2 * math.pi * 50 * 2e-7 * math.log(gmd / gmr) * 1000 for kv, (gmd, gmr) in _GEOM.items()
}
# Transfer limit per circuit (MW), EST: about 1.5-2x surge-impedance loading for 100-300 km lines
# (St. Clair curve); SIL ~135 MW (220 kV), ~360 MW (330 kV), ~900 MW (500 kV), ~2,100 MW (750 kV).
RATING_MW = {110: 100.0, 220: 300.0, 330: 800.0, 500: 1200.0, 750: 2500.0}
# Transformers (EST): 750/330 kV autotransformer groups of ~1,000 MVA (three single-phase
# 333 MVA units), two per 750 kV substation (as in the sourced list); load transformers 330/110
# kV of 200 MVA and 220/110 kV of 125 MVA, sized N-1 for 1.3x the node's design peak.
AT750_MVA, AT750_COUNT = 1000.0, 2
LT_MVA = {110: 63.0, 330: 200.0, 220: 125.0, 500: 200.0, 750: 200.0}
LT_MARGIN = 1.3
VK_AT, VK_LT = 0.14, 0.12  # short-circuit voltage (p.u. of own rating), textbook values
# Cities further than this from every load-capable node are still attached to the nearest one.
SPLIT_RADIUS_KM = 30.0  # big cities: load shared among nodes within this radius
SPLIT_MIN_POP = 300_000
MERGE_KM = 4.0  # generators this close share one plant node (as the source case does)
# Typical generating-unit size for the unit count (EST; nuclear counts are public).
UNIT_MW = {"thermal": 250.0, "chp": 150.0, "hydro": 60.0, "pumped_storage": 150.0, "solar": 1e9}
NUCLEAR_UNITS = {"rivne_npp": 4, "khmelnytskyi_npp": 2, "south_ukraine_npp": 3,
                 "zaporizhzhia_npp": 6}
UNITS_OTHER = {"gas_production": 10, "gas_storage": 10, "water_utility": 5}

# Occupied territory, Sep 2025 (EST): a hand-drawn polygon (lon, lat) following the front line
# as shown on public maps (DeepStateMap, ISW) to about 10-20 km, plus Crimea and the Azov coast.
OCCUPIED = [
    (31.45, 46.50), (31.90, 46.62), (32.30, 46.50), (32.52, 46.55), (32.72, 46.64),
    (33.40, 46.80), (33.90, 47.05), (34.42, 47.46), (34.60, 47.53), (35.00, 47.60),
    (35.35, 47.64), (35.60, 47.55), (35.85, 47.45), (36.25, 47.60), (36.80, 47.80),
    (37.00, 47.95), (37.15, 48.10), (37.25, 48.25), (37.60, 48.38), (37.78, 48.45),
    (37.90, 48.58), (38.10, 48.75), (38.25, 48.95), (38.10, 49.20), (37.90, 49.45),
    (38.00, 49.80), (38.20, 50.10), (40.30, 49.70), (40.20, 48.00), (38.30, 47.10),
    (37.00, 46.80), (35.30, 46.20), (34.80, 46.00), (36.70, 45.40), (35.30, 44.60),
    (33.40, 44.30), (32.40, 45.35), (33.10, 45.90), (32.60, 46.05), (31.50, 46.42),
]
_OCC_PATH = MplPath(np.array(OCCUPIED))
OCC_CHECK_IN = {"Enerhodar": (34.65, 47.50), "Melitopol": (35.37, 46.83), "Mariupol": (37.56, 47.13),
                "Donetsk": (37.80, 48.00), "Luhansk": (39.31, 48.57), "Simferopol": (34.10, 44.95),
                "Nova Kakhovka": (33.35, 46.75), "Horlivka": (38.05, 48.30),
                "Bakhmut": (38.00, 48.60), "Kurakhove": (37.28, 47.98), "Berdiansk": (36.79, 46.76),
                "Skadovsk": (32.91, 46.12), "Polohy": (36.26, 47.48)}
OCC_CHECK_OUT = {"Kherson": (32.60, 46.63), "Nikopol": (34.36, 47.58), "Zaporizhzhia": (35.14, 47.84),
                 "Orikhiv": (35.78, 47.57), "Huliaipole": (36.26, 47.66),
                 "Kramatorsk": (37.56, 48.72), "Sloviansk": (37.61, 48.85),
                 "Kostiantynivka": (37.70, 48.53), "Kupiansk": (37.62, 49.71),
                 "Izium": (37.25, 49.21), "Lyman": (37.80, 48.99), "Ochakiv": (31.54, 46.61),
                 "Beryslav": (33.43, 46.84), "Marhanets": (34.63, 47.64),
                 "Ferosplavna": (34.444, 47.477)}

# Oblast of the large cities and of every city named in the map (region ids of regions.csv;
# luhansk and crimea are outside the model). Smaller cities take the oblast of the nearest
# city listed here (Kyiv city excluded from that rule: its neighbours are in Kyiv oblast).
CITY_OBLAST = {
    "kyiv_city": "Kyiv",
    "kyiv_oblast": "Bila Tserkva, Brovary, Boryspil, Irpin, Fastiv, Vyshneve, Slavutych",
    "kharkiv": "Kharkiv, Lozova, Kupiansk",
    "odesa": "Odesa, Izmail, Chornomorsk, Bilhorod-Dnistrovskyi, Podilsk",
    "dnipropetrovsk": "Dnipro, Kryvyi Rih, Kamianske, Nikopol, Pavlohrad, Novomoskovsk, "
    "Marhanets, Zhovti Vody",
    "donetsk": "Donetsk, Mariupol, Makiivka, Horlivka, Kramatorsk, Sloviansk, Yenakiieve, "
    "Bakhmut, Kostiantynivka, Pokrovsk, Khartsyzk, Druzhkivka, Myrnohrad, Shakhtarsk, Snizhne",
    "zaporizhzhia": "Zaporizhzhia, Melitopol, Berdiansk, Enerhodar, Molochansk",
    "lviv": "Lviv, Drohobych, Stryi, Novyi Rozdil, Boryslav, Yavoriv",
    "mykolaiv": "Mykolaiv",
    "crimea": "Sevastopol, Simferopol, Yevpatoriia, Yalta",
    "luhansk": "Luhansk, Sievierodonetsk, Khrustalnyi, Alchevsk, Lysychansk, Dovzhansk, "
    "Stakhanov, Rubizhne, Antratsyt, Brianka, Rovenky, Krasnodon",
    "vinnytsia": "Vinnytsia, Bar, Koziatyn",
    "poltava": "Poltava, Kremenchuk, Horishni Plavni, Lubny, Myrhorod",
    "chernihiv": "Chernihiv, Nizhyn, Pryluky",
    "kherson": "Kherson, Nova Kakhovka",
    "cherkasy": "Cherkasy, Uman, Smila",
    "khmelnytskyi": "Khmelnytskyi, Kamianets-Podilskyi, Shepetivka",
    "zhytomyr": "Zhytomyr, Berdychiv, Korosten, Novohrad-Volynskyi",
    "chernivtsi": "Chernivtsi",
    "sumy": "Sumy, Konotop, Shostka, Okhtyrka, Romny",
    "rivne": "Rivne, Radyvyliv, Hrabiv",
    "ivano_frankivsk": "Ivano-Frankivsk, Kalush, Kolomyia, Bohorodchany",
    "kirovohrad": "Kropyvnytskyi, Svitlovodsk",
    "ternopil": "Ternopil",
    "volyn": "Lutsk, Kovel, Novovolynsk",
    "zakarpattia": "Uzhhorod, Mukacheve, Khust, Volovets",
}
# Map city names whose match in the city table is a namesake far away: placed at the centroid
# of their line neighbours (EST).
CITY_AT_NEIGHBOURS = {"Hrabiv", "Stepove", "Mykhailivka"}

# Generators of the source case that are not in the sourced list: (id, name, type, status, note).
NEW_PLANTS = {
    "Cherkasy power station": ("cherkasy_chp", "Cherkasy CHP", "chp", None, ""),
    "Kalush power station": ("kalush_chp", "Kalush CHP", "chp", None, ""),
    "Kramatorskaya power station": ("kramatorsk_chp", "Kramatorsk CHP", "chp", None, ""),
    "Slavyansk power station": (
        "sloviansk_tpp", "Sloviansk TPP (Mykolaivka)", "thermal", "destroyed",
        "status EST: put out of operation by shelling in 2022 (front-line town of Mykolaivka)"),
    "Luhanska": ("luhanska_tpp", "Luhanska TPP", "thermal", None, ""),
    "Mironovskaya": ("myronivska_tpp", "Myronivska TPP", "thermal", None, ""),
    "Sievierodonetsk CHP power station": ("sievierodonetsk_chp", "Sievierodonetsk CHP", "chp", None, ""),
    "Starobeshivska": ("starobeshivska_tpp", "Starobeshivska TPP", "thermal", None, ""),
    "Zuevskaya power station": ("zuivska_tpp", "Zuivska TPP", "thermal", None, ""),
}
# Source-case generator name -> sourced site id(s) (one node).
PLANT_MATCH = {
    "Burshtyn power station": ["burshtyn_tpp"], "Ladyzhyn power station": ["ladyzhyn_tpp"],
    "Dobrotvir power station": ["dobrotvir_tpp"], "Kryvorizka power station": ["kryvyi_rih_tpp"],
    "Prydniprovska power station": ["prydniprovska_tpp"], "Trypilska": ["trypilska_tpp"],
    "Zmiivska power station": ["zmiivska_tpp"], "Vuglegirska power station": ["vuhlehirska_tpp"],
    "Kurakhov power station": ["kurakhove_tpp"], "Zaporizhia power station": ["zaporizka_tpp"],
    "Kiev CHP-5": ["kyiv_chp5"], "Kiev CHP-6": ["kyiv_chp6"],
    "Darnytska power station": ["darnytsia_chp"], "Karkov CHP-5": ["kharkiv_chp5"],
    "Chernihiv power station": ["chernihiv_chp"], "Dneipro HPP 2": ["dnipro_hpp"],
    "Kremenchug": ["kremenchuk_hpp"], "Kaniv": ["kaniv_hpp"], "Kiev": ["kyiv_hpp"],
    "Kiev (pumped storage)": ["kyiv_pspp"], "Dniprodzerzhynsk": ["middle_dnipro_hpp"],
    "Dniester": ["dniester_hpp", "dniester_pspp"], "Tashlyk": ["tashlyk_pspp"],
    "Kakhovka": ["kakhovka_hpp"], "Rivne (Rouno)": ["rivne_npp"],
    "Khmelnytska": ["khmelnytskyi_npp"], "South Ukraine": ["south_ukraine_npp"],
    "Zaporozhye": ["zaporizhzhia_npp"],
}
# Substation name in the source case -> sourced site id.
SUB_MATCH = {
    "Zakhidnoukrainska": "zakhidnoukrainska_750", "Vinnytsia substation": "vinnytska_750",
    "Kyivska substation": "kyivska_750", "Chornobyl substation": "chornobyl_750",
    "Dniprovska": "dniprovska_750", "Donbaska": "donbaska_750",
    "Pivdennodonbaska": "pivdennodonbaska_750", "Pivnichnoukrainska": "pivnichnoukrainska_330",
    "Novokyivska substation": "novokyivska_330", "Pivnichna substation": "pivnichna_330",
    "Nyvky substation": "nyvky_330", "Zaliutyne": "zaliutyne_330", "Loseve": "loseve_330",
    "Usatove substation": "usatove_330", "Adzhalyk substation": "adzhalyk_330",
    "Ferosplavna": "ferosplavna_330",
}
# Where imports from neighbouring grids enter (node -> interconnection), EST from the ENTSO-E
# map: Mukacheve 400/220 kV to HU/SK/RO, Zakhidnoukrainska 750 kV to Albertirsa (HU), Dobrotvir
# 220 kV to Zamosc (PL), Usatove 330 kV towards Moldova.
INTERCONNECTORS = {
    "cs_mukacheve": "400/220 kV lines to Hungary, Slovakia and Romania",
    "ss_zakhidnoukrainska": "750 kV line to Albertirsa (Hungary)",
    "pp_dobrotvir_tpp": "220 kV line to Zamosc (Poland)",
    "ss_usatove": "330 kV lines towards Moldova",
}


def slug(s: str) -> str:
    s = s.strip().lower().replace("'", "")
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_R_KM * np.arcsin(np.sqrt(a))


def occupied(lat, lon) -> np.ndarray:
    pts = np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])
    return _OCC_PATH.contains_points(pts)


def check_polygon() -> None:
    for name, (lon, lat) in OCC_CHECK_IN.items():
        assert occupied(lat, lon)[0], f"{name} should be inside the occupied polygon"
    for name, (lon, lat) in OCC_CHECK_OUT.items():
        assert not occupied(lat, lon)[0], f"{name} should be outside the occupied polygon"


def read_inputs():
    subs = pd.read_csv(SHARED / "substations.csv", encoding="utf-8-sig").iloc[:, :3]
    subs.columns = ["name", "lat", "lon"]
    subs["name"] = subs["name"].str.strip()
    gens = pd.read_csv(SHARED / "ukraine_generators_power_capacities_coordinates.csv")
    gens["generator_name"] = gens["generator_name"].str.strip()
    lines = pd.read_csv(SHARED / "map_lines.csv", encoding="utf-8-sig")
    for c in ("from", "from_type", "to", "to_type"):
        lines[c] = lines[c].str.strip()
    cities = pd.read_csv(SHARED / "ukraine_cities_name_population_coordinates.csv")
    cities = cities.dropna(subset=["population"]).reset_index(drop=True)
    sites = pd.read_csv(DATA / "energy_sites.csv", dtype=str, keep_default_na=False)
    sites = sites.iloc[:N_SOURCED][
        [c for c in sites.columns if c not in ("node", "units")]
    ].reset_index(drop=True)
    regions = pd.read_csv(DATA / "regions.csv")
    return subs, gens, lines, cities, sites, regions


def parse_matpower(path: Path):
    text = path.read_text()

    def block(name):
        s = text.index(f"mpc.{name} = [")
        e = text.index("];", s)
        rows = [ln.split() for ln in text[s:e].splitlines()[1:] if ln.strip()]
        return np.array([[float(x) for x in r] for r in rows])

    return block("bus"), block("branch")


def case_reactance_check(subs, lines, bus, branch) -> pd.DataFrame:
    """Compare the per-km reactance used here with the source case on lines between map
    substations (the case numbers the buses of the 41 map substations first, one bus per
    voltage level, in file order)."""
    volts = {}
    for _, r in lines.iterrows():
        for end, typ in (("from", "from_type"), ("to", "to_type")):
            if r[typ] == "Substation":
                volts.setdefault(r[end], set()).add(int(r["voltage_kv"]))
    first_bus = {}
    b = 1
    for name in subs["name"]:
        v = set(volts[name])
        if min(v) in (330, 500):
            v |= {110, 220}
        first_bus[name] = (b, len(v))
        b += len(v)
    kv = dict(zip(bus[:, 0].astype(int), bus[:, 9], strict=True))
    bus_of = {}
    for name, (b0, n) in first_bus.items():
        for k in range(b0, b0 + n):
            bus_of[(name, int(kv[k]))] = k
    rows = []
    pos = subs.set_index("name")
    for _, r in lines.iterrows():
        if r["from_type"] != "Substation" or r["to_type"] != "Substation":
            continue
        v = int(r["voltage_kv"])
        fb, tb = bus_of.get((r["from"], v)), bus_of.get((r["to"], v))
        m = ((branch[:, 0] == fb) & (branch[:, 1] == tb)) | ((branch[:, 0] == tb) & (branch[:, 1] == fb))
        if fb is None or tb is None or not m.any():
            continue
        x_ohm = float(branch[m, 3][0]) * v**2 / 100.0
        d = float(haversine_km(pos.loc[r["from"], "lat"], pos.loc[r["from"], "lon"],
                               pos.loc[r["to"], "lat"], pos.loc[r["to"], "lon"]))
        rows.append({"from": r["from"], "to": r["to"], "kv": v, "case_x_ohm": round(x_ohm, 2),
                     "here_x_ohm": round(X_OHM_PER_KM[v] * d, 2)})
    return pd.DataFrame(rows)


def main() -> None:  # noqa: C901 - a linear recipe
    check_polygon()
    subs, gens, lines, cities, sites, regions = read_inputs()
    region_ids = set(regions["id"])
    site_by_id = sites.set_index("id")

    # ---------------------------------------------------------------- city -> oblast
    known = {}
    for rid, names in CITY_OBLAST.items():
        for n in names.split(","):
            known[n.strip()] = rid
    kc = cities[cities["city"].isin(known)].drop_duplicates("city")
    missing = sorted(set(known) - set(kc["city"]))
    assert not missing, f"cities not in the city table: {missing}"
    ref = kc[kc["city"] != "Kyiv"]
    ref_lat, ref_lon = ref["lat"].to_numpy(), ref["long"].to_numpy()
    ref_reg = [known[c] for c in ref["city"]]

    def oblast_of(lat, lon, name=None):
        if name in known:
            return known[name]
        d = haversine_km(lat, lon, ref_lat, ref_lon)
        return ref_reg[int(np.argmin(d))]

    # ---------------------------------------------------------------- nodes
    nodes: list[dict] = []
    node_of: dict[tuple[str, str], str] = {}  # (kind, map name) -> node id
    site_node: dict[str, str] = {}
    match_rows: list[dict] = []

    def add_node(nid, name, kind, lat, lon, region, status, source, estimate):
        assert nid not in {n["id"] for n in nodes}, nid
        nodes.append(dict(id=nid, name=name, kind=kind, lat=round(float(lat), 5),
                          lon=round(float(lon), 5), region_id=region, status=status,
                          estimate=estimate, source=source))

    for _, s in subs.iterrows():
        sid = SUB_MATCH.get(s["name"])
        nid = "ss_" + slug(s["name"].replace(" substation", ""))
        if sid:
            row = site_by_id.loc[sid]
            assert abs(float(row.lat) - s.lat) < 1e-4 and abs(float(row.lon) - s.lon) < 1e-4, sid
            region, status = row.region_id, ("occupied" if row.status == "occupied" else None)
            site_node[sid] = nid
        else:
            region, status = oblast_of(s.lat, s.lon), None
        if status is None:
            status = "occupied" if occupied(s.lat, s.lon)[0] else "operational"
        add_node(nid, s["name"].replace(" substation", "") + " substation", "substation",
                 s.lat, s.lon, region, status,
                 f"{SRC}: substations.csv (coordinates), map_lines.csv (voltage)"
                 + ("; status: occupied territory (EST polygon, Sep 2025)"
                    if status == "occupied" and not sid else ""), False)
        node_of[("Substation", s["name"])] = nid
        match_rows.append({"source_case_name": s["name"], "kind": "substation",
                           "node": nid, "sourced_site": sid or ""})

    # plants: group generators within MERGE_KM
    gens = gens.copy()
    gens["group"] = -1
    g = 0
    for i in range(len(gens)):
        if gens.at[i, "group"] >= 0:
            continue
        d = haversine_km(gens.at[i, "latitude"], gens.at[i, "longitude"],
                         gens["latitude"].to_numpy(), gens["longitude"].to_numpy())
        members = np.flatnonzero((d < MERGE_KM) & (gens["group"].to_numpy() < 0))
        gens.loc[members, "group"] = g
        g += 1
    new_plants: list[dict] = []
    for _gid, grp in gens.groupby("group", sort=True):
        names = grp["generator_name"].tolist()
        sourced = [sid for n in names for sid in PLANT_MATCH.get(n, [])]
        lead = grp.iloc[0]
        if sourced:
            base = sourced[0]
            region = site_by_id.loc[base, "region_id"]
            st = [site_by_id.loc[s, "status"] for s in sourced]
            status = "occupied" if ("occupied" in st or occupied(lead.latitude, lead.longitude)[0]) \
                else "operational"
            nid = "pp_" + base
            nm = " / ".join(site_by_id.loc[s, "name"] for s in sourced)
        else:
            region = oblast_of(lead.latitude, lead.longitude)
            status = "occupied" if occupied(lead.latitude, lead.longitude)[0] else "operational"
            first = NEW_PLANTS.get(names[0])
            nid = "pp_" + (first[0] if first else slug(names[0]) + "_solar")
            nm = first[1] if first else " / ".join(names) + " solar"
        if region not in region_ids:
            status = "occupied"
        add_node(nid, nm, "plant", lead.latitude, lead.longitude, region, status,
                 f"{SRC}: ukraine_generators_power_capacities_coordinates.csv"
                 + ("; status: occupied territory (EST polygon, Sep 2025)"
                    if status == "occupied" and not sourced else ""), False)
        for s in sourced:
            site_node[s] = nid
        for n in names:
            node_of[("Generator", n)] = nid
            match_rows.append({"source_case_name": n, "kind": "generator", "node": nid,
                               "sourced_site": ",".join(PLANT_MATCH.get(n, []))})
        for _, r in grp.iterrows():
            if r["generator_name"] in PLANT_MATCH:
                continue
            meta = NEW_PLANTS.get(r["generator_name"])
            if meta:
                pid, pname, ptype, pstat, note = meta
            else:
                assert r["power_type"] == "Solar", r["generator_name"]
                pid, pname, ptype, pstat, note = (slug(r["generator_name"]) + "_solar",
                                                  r["generator_name"] + " solar park", "solar",
                                                  None, "")
            new_plants.append(dict(id=pid, name=pname, type=ptype, lat=r.latitude,
                                   lon=r.longitude, capacity_mw=float(r.power_capacity_mv),
                                   node=nid, region_id=region,
                                   status=pstat or status, note=note))

    # city nodes (a city named in the map stands for that city's substation)
    city_names = sorted({r[e] for _, r in lines.iterrows() for e, t in (("from", "from_type"),
                         ("to", "to_type")) if r[t] == "City"})
    city_pos = {}
    for n in city_names:
        m = cities[cities["city"] == n]
        assert len(m) == 1, n
        city_pos[n] = (float(m.lat.iloc[0]), float(m.long.iloc[0]))
    pos_of_node = {nd["id"]: (nd["lat"], nd["lon"]) for nd in nodes}
    for n in city_names:
        nid = "cs_" + slug(n)
        node_of[("City", n)] = nid
    for n in city_names:  # namesakes: place at the centroid of their neighbours
        if n not in CITY_AT_NEIGHBOURS:
            continue
        nb = []
        for _, r in lines.iterrows():
            for a, ta, b, tb in ((r["from"], r["from_type"], r["to"], r["to_type"]),
                                 (r["to"], r["to_type"], r["from"], r["from_type"])):
                if ta == "City" and a == n:
                    nb.append(pos_of_node.get(node_of[(tb, b)]) if tb != "City" else city_pos[b])
        nb = [p for p in nb if p is not None]
        city_pos[n] = (float(np.mean([p[0] for p in nb])), float(np.mean([p[1] for p in nb])))
    for n in city_names:
        lat, lon = city_pos[n]
        region = oblast_of(lat, lon, n)
        status = "occupied" if (occupied(lat, lon)[0] or region not in region_ids) else "operational"
        est = n in CITY_AT_NEIGHBOURS
        add_node("cs_" + slug(n), f"{n} city substation", "city", lat, lon, region, status,
                 f"{SRC}: map_lines.csv (a City endpoint stands for the city's substation), "
                 "ukraine_cities_name_population_coordinates.csv (coordinates)"
                 + ("; coordinates EST: the city table's match is a namesake elsewhere, placed at "
                    "the centroid of its line neighbours" if est else "")
                 + ("; status: occupied territory (EST polygon, Sep 2025)"
                    if status == "occupied" else ""), est)
        match_rows.append({"source_case_name": n, "kind": "city", "node": "cs_" + slug(n),
                           "sourced_site": ""})
    nd = pd.DataFrame(nodes)

    # ---------------------------------------------------------------- lines
    pos = nd.set_index("id")
    acc: dict[tuple[str, str, int], dict] = {}
    for _, r in lines.iterrows():
        a, b = node_of[(r["from_type"], r["from"])], node_of[(r["to_type"], r["to"])]
        if a == b:
            continue
        kv = int(r["voltage_kv"])
        key = (min(a, b), max(a, b), kv)
        if key in acc:
            acc[key]["circuits"] += 1
            continue
        acc[key] = {"from_node": key[0], "to_node": key[1], "voltage_kv": kv, "circuits": 1}
    # plants that the map does not draw: one connection to the nearest operational substation
    # or city node, 220 kV for thermal plants and CHPs, 110 kV for solar parks (EST)
    on_map = {node_of[(r[t], r[e])] for _, r in lines.iterrows()
              for e, t in (("from", "from_type"), ("to", "to_type"))}
    lcap = nd[(nd.kind != "plant") & (nd.status == "operational")]
    for _, n in nd[(nd.kind == "plant") & ~nd.id.isin(on_map)].iterrows():
        cand = lcap if n.status == "operational" else nd[nd.kind != "plant"]
        dd = haversine_km(n.lat, n.lon, cand.lat.to_numpy(), cand.lon.to_numpy())
        other = cand.id.iloc[int(np.argmin(dd))]
        cap = sum(p["capacity_mw"] for p in new_plants if p["node"] == n.id)
        solar = all(p["type"] == "solar" for p in new_plants if p["node"] == n.id)
        kv = 110 if solar else 220
        key = (min(n.id, other), max(n.id, other), kv)
        acc[key] = {"from_node": key[0], "to_node": key[1], "voltage_kv": kv,
                    "circuits": max(1, math.ceil(cap / RATING_MW[kv])), "off_map": True}
    ln = pd.DataFrame(acc.values())
    ln["off_map"] = ln["off_map"].fillna(False).astype(bool) if "off_map" in ln else False
    d = haversine_km(pos.loc[ln.from_node, "lat"].to_numpy(), pos.loc[ln.from_node, "lon"].to_numpy(),
                     pos.loc[ln.to_node, "lat"].to_numpy(), pos.loc[ln.to_node, "lon"].to_numpy())
    # straight-line length; the source case's branch reactance is per-km reactance x this
    # length (checked below on every line between two map substations)
    ln["length_km"] = np.round(d, 1)
    ln["x_ohm"] = np.round(d * ln["voltage_kv"].map(X_OHM_PER_KM).to_numpy(), 3)
    ln["rating_mw"] = ln["voltage_kv"].map(RATING_MW)
    ln["id"] = [f"line_{slug(f[3:])}__{slug(t[3:])}_{kv}"
                for f, t, kv in zip(ln.from_node, ln.to_node, ln.voltage_kv, strict=True)]
    assert ln["id"].is_unique
    st = pos["status"]
    ln["status"] = np.where((st.loc[ln.from_node].to_numpy() == "operational")
                            & (st.loc[ln.to_node].to_numpy() == "operational"),
                            "operational", "occupied")
    ln["estimate"] = True
    ln["source"] = np.where(
        ln["off_map"],
        "EST: plant not drawn on the ENTSO-E map; one connection to the nearest operational "
        "substation or city node (220 kV for thermal/CHP, 110 kV for solar), circuits to carry "
        "its capacity; x and rating as for map lines",
        f"{SRC}: map_lines.csv (endpoints, voltage, one row per circuit); length = "
        "great-circle distance; x from conductor geometry "
        "(Glover, Sarma & Overbye Table A.4, as in the source case); rating EST "
        "(~1.5-2x surge-impedance loading)")

    # ---------------------------------------------------------------- loads
    load_capable = nd[(nd.kind != "plant") & (nd.status == "operational")].reset_index(drop=True)
    cc = cities.copy()
    cc["region_id"] = [oblast_of(la, lo, c) for la, lo, c in
                       zip(cc.lat, cc.long, cc.city, strict=True)]
    cc["occupied"] = occupied(cc.lat.to_numpy(), cc.long.to_numpy()) | ~cc.region_id.isin(region_ids)
    cc = cc[~cc.occupied].reset_index(drop=True)
    lc_lat, lc_lon = load_capable.lat.to_numpy(), load_capable.lon.to_numpy()
    parts = []
    for _, c in cc.iterrows():
        dd = haversine_km(c.lat, c.long, lc_lat, lc_lon)
        if c.population >= SPLIT_MIN_POP and (dd <= SPLIT_RADIUS_KM).sum() > 1:
            idx = np.flatnonzero(dd <= SPLIT_RADIUS_KM)
            w = 1.0 / (dd[idx] + 5.0)
        else:
            idx = np.array([int(np.argmin(dd))])
            w = np.ones(1)
        w = w / w.sum()
        for k, wk in zip(idx, w, strict=True):
            parts.append((load_capable.id[k], c.region_id, c.city, c.population * wk))
    lp = pd.DataFrame(parts, columns=["node", "region_id", "city", "population"])
    reg_pop = lp.groupby("region_id")["population"].sum()
    loads = (lp.groupby(["node", "region_id"], sort=True)
             .agg(population=("population", "sum"),
                  cities=("city", lambda s: ", ".join(list(dict.fromkeys(s))[:4])
                          + (f" and {len(set(s)) - 4} more" if len(set(s)) > 4 else "")))
             .reset_index())
    loads["share_of_region"] = (loads["population"] / loads["region_id"].map(reg_pop)).round(6)
    loads["population"] = loads["population"].round().astype(int)
    loads["source"] = ("city populations from " + SRC.split(" (")[0]
                       + ": ukraine_cities_name_population_coordinates.csv; each city to its nearest "
                       "operational substation or city node (cities of >=300k shared among nodes "
                       "within 30 km by 1/(d+5 km)); oblast by hand for large and map cities, else "
                       "that of the nearest such city (EST); occupied cities dropped (EST polygon)")
    # node design peak (MW) for transformer sizing: oblast peak x share
    peak = loads["share_of_region"] * loads["region_id"].map(regions.set_index("id")["peak_demand_mw"])
    node_peak = peak.groupby(loads["node"]).sum()

    # ---------------------------------------------------------------- transformers per node
    vmax = pd.concat([ln[["from_node", "voltage_kv"]].rename(columns={"from_node": "n"}),
                      ln[["to_node", "voltage_kv"]].rename(columns={"to_node": "n"})])
    vmax_of = vmax.groupby("n")["voltage_kv"].max()
    vset = vmax.groupby("n")["voltage_kv"].agg(lambda s: sorted(set(s)))
    nd["voltage_kv"] = nd["id"].map(vmax_of).astype(int)
    nd["at750_count"] = [AT750_COUNT if (k != "plant" and 750 in vset[i] and len(vset[i]) > 1) else 0
                         for i, k in zip(nd.id, nd.kind, strict=True)]
    nd["at750_mva"] = np.where(nd["at750_count"] > 0, AT750_MVA, 0.0)
    nd["at750_x_pu"] = np.where(nd["at750_count"] > 0, round(VK_AT * 100.0 / AT750_MVA, 5), 0.0)
    lv = [max((v for v in vset[i] if 220 <= v < 750), default=330) for i in nd.id]
    nd["lt_mva"] = [LT_MVA[v] if i in node_peak.index else 0.0 for i, v in zip(nd.id, lv, strict=True)]
    nd["lt_count"] = [max(2, math.ceil(LT_MARGIN * node_peak[i] / m) + 1) if i in node_peak.index else 0
                      for i, m in zip(nd.id, nd["lt_mva"], strict=True)]
    nd["interconnector"] = nd["id"].map(INTERCONNECTORS).fillna("")
    nd["islanded_reason"] = ""
    assert set(INTERCONNECTORS) <= set(nd.id)

    # ---------------------------------------------------------------- component table
    sites = sites.copy()
    node_col, units_col = [], []
    op_nodes = nd[nd.status == "operational"]
    for _, s in sites.iterrows():
        nid = site_node.get(s["id"])
        if nid is None:  # gas, water: nearest (load-capable for water) operational node
            cand = load_capable if s["type"] == "water_utility" else op_nodes
            dd = haversine_km(float(s.lat), float(s.lon), cand.lat.to_numpy(), cand.lon.to_numpy())
            nid = cand.id.iloc[int(np.argmin(dd))]
        node_col.append(nid)
        units_col.append(units_for(s["id"], s["type"], float(s.capacity_mw), nd, nid))
    sites["node"] = node_col
    sites["units"] = units_col
    new_rows = []
    sourced_nodes = set(site_node.values())
    for _, n in nd[nd.kind != "plant"].iterrows():
        if n.id in sourced_nodes:
            continue
        kv = int(n.voltage_kv)
        typ = {750: "substation_750", 500: "substation_330", 330: "substation_330",
               220: "substation_220"}[kv]
        cap = float(n.at750_count * n.at750_mva + n.lt_count * n.lt_mva) or 400.0
        sid = f"{n.id[3:]}_{kv}" if n.kind == "substation" else f"{n.id[3:]}_city_{kv}"
        new_rows.append(dict(
            id=sid, name=f"{n['name']} ({kv} kV)", type=typ, lat=n.lat, lon=n.lon,
            capacity_mw=round(cap), gas_mcm_per_day=0, operator="Ukrenergo" if kv >= 220 else "",
            oblast="", region_id=n.region_id, status=n.status, estimate=True,
            source=f"{SRC} (node {n.id}); capacity_mw EST: transformer MVA at the node "
            "(two 1,000 MVA 750/330 kV groups at 750 kV nodes, load transformers sized N-1 for "
            "1.3x the node's design peak)" + ("; 500 kV node typed substation_330"
                                               if kv == 500 else ""),
            node=n.id, units=int(n.at750_count + n.lt_count) or 2))
    for p in new_plants:
        new_rows.append(dict(
            id=p["id"], name=p["name"], type=p["type"], lat=round(float(p["lat"]), 5),
            lon=round(float(p["lon"]), 5), capacity_mw=p["capacity_mw"], gas_mcm_per_day=0,
            operator="", oblast="", region_id=p["region_id"], status=p["status"], estimate=True,
            source=f"{SRC}: ukraine_generators_power_capacities_coordinates.csv (WRI GPPD); "
            f"type/units EST" + (f"; {p['note']}" if p["note"] else "")
            + ("; status: occupied territory (EST polygon, Sep 2025)"
               if p["status"] == "occupied" and not p["note"] else ""),
            node=p["node"], units=units_for(p["id"], p["type"], p["capacity_mw"], nd, p["node"])))
    comp = pd.concat([sites, pd.DataFrame(new_rows)], ignore_index=True)
    oblast_name = regions.set_index("id")["name"].str.replace(" oblast", "", regex=False)
    comp.loc[N_SOURCED:, "oblast"] = comp.loc[N_SOURCED:, "region_id"].map(oblast_name).fillna(
        comp.loc[N_SOURCED:, "region_id"].str.title())
    assert comp["id"].is_unique, comp[comp["id"].duplicated()]["id"].tolist()
    comp["region_id"] = np.where(comp["region_id"].isin(region_ids), comp["region_id"],
                                 comp["region_id"])
    bad = comp[~comp.region_id.isin(region_ids)]
    assert (bad.status != "operational").all(), bad[["id", "region_id"]]
    # rows in luhansk/crimea: keep the region of the nearest oblast in the table for the file's
    # region check (they are occupied and excluded anyway)
    for i in bad.index:
        lat, lon = float(comp.at[i, "lat"]), float(comp.at[i, "lon"])
        dd = haversine_km(lat, lon, regions.lat.to_numpy(), regions.lon.to_numpy())
        comp.at[i, "region_id"] = regions.id.iloc[int(np.argmin(dd))]
    for i in nd.index[~nd.region_id.isin(region_ids)]:
        dd = haversine_km(nd.at[i, "lat"], nd.at[i, "lon"], regions.lat.to_numpy(),
                          regions.lon.to_numpy())
        nd.at[i, "region_id"] = regions.id.iloc[int(np.argmin(dd))]

    # ---------------------------------------------------------------- write
    nd = nd[["id", "name", "kind", "lat", "lon", "voltage_kv", "region_id", "status",
             "at750_count", "at750_mva", "at750_x_pu", "lt_count", "lt_mva", "interconnector",
             "islanded_reason", "estimate", "source"]]
    nd.to_csv(DATA / "grid_nodes.csv", index=False)
    ln[["id", "from_node", "to_node", "voltage_kv", "circuits", "length_km", "x_ohm", "rating_mw",
        "status", "estimate", "source"]].to_csv(DATA / "grid_lines.csv", index=False)
    loads[["node", "region_id", "population", "share_of_region", "cities", "source"]].to_csv(
        DATA / "grid_loads.csv", index=False)
    cols = [c for c in sites.columns if c not in ("node", "units")] + ["node", "units"]
    comp["capacity_mw"] = [fmt_num(v) for v in comp["capacity_mw"]]
    comp["gas_mcm_per_day"] = [fmt_num(v) for v in comp["gas_mcm_per_day"]]
    comp[cols].to_csv(DATA / "energy_sites.csv", index=False)

    # ---------------------------------------------------------------- report
    op = nd.status == "operational"
    print(f"nodes {len(nd)} (operational {int(op.sum())}): "
          + ", ".join(f"{k} {v}" for k, v in nd.kind.value_counts().items()))
    print(f"lines {len(ln)} (operational {int((ln.status == 'operational').sum())}, circuits "
          f"{int(ln.circuits.sum())}): "
          + ", ".join(f"{k} kV {v}" for k, v in ln.voltage_kv.value_counts().sort_index().items()))
    gen_types = ("thermal", "chp", "hydro", "pumped_storage", "nuclear", "solar")
    g = comp[comp.type.isin(gen_types)]
    print(f"generators {len(g)} (operational {int((g.status == 'operational').sum())}); "
          f"load nodes {loads.node.nunique()}; load rows {len(loads)}; "
          f"components {len(comp)} (new {len(comp) - N_SOURCED})")
    print("per-km reactance (ohm):", {k: round(v, 4) for k, v in X_OHM_PER_KM.items()})
    if "--matches" in sys.argv:
        m = pd.DataFrame(match_rows)
        print("\n| source-case name | kind | node | sourced site(s) |\n|---|---|---|---|")
        for r in m.itertuples():
            print(f"| {r.source_case_name} | {r.kind} | {r.node} | {r.sourced_site} |")
        print()
    bus, branch = parse_matpower(SHARED / "ukraine_full.m")
    chk = case_reactance_check(subs, lines, bus, branch)
    if len(chk):
        ratio = chk.here_x_ohm / chk.case_x_ohm
        print(f"reactance vs source case on {len(chk)} substation-substation lines: "
              f"ratio median {ratio.median():.3f}, min {ratio.min():.3f}, max {ratio.max():.3f}")
        print(chk.to_string(index=False))


def fmt_num(v) -> str:
    f = float(v)
    return str(int(f)) if f == int(f) else repr(round(f, 3))


def units_for(sid: str, typ: str, cap: float, nd: pd.DataFrame, nid: str) -> int:
    if typ == "nuclear":
        return NUCLEAR_UNITS.get(sid, max(1, round(cap / 1000.0)))
    if typ in UNIT_MW:
        return max(1, round(cap / UNIT_MW[typ]))
    if typ in UNITS_OTHER:
        return UNITS_OTHER[typ]
    n = nd.set_index("id").loc[nid]
    return int(n.at750_count + n.lt_count) or 2


if __name__ == "__main__":
    main()
