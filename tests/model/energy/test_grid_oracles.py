"""Oracles for the load-shedding solver on small networks with closed-form answers.

* a radial line sheds exactly its load when cut;
* two parallel lines share flow inversely to their reactance (DC) ;
* a bottleneck cut limits served demand to the cut capacity;
* on random small grids (hypothesis): served never exceeds demand, generation balances served
  demand (no losses), the transport relaxation never serves less than the DC flow, and the
  transport value equals networkx's maximum flow.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.energy.grid import BASE_MVA, GridLP

KV = 330.0
ZBASE = KV**2 / BASE_MVA


def grid_frames(n_nodes, lines, *, at=None):
    """Nodes n0..n{k-1} on a line of latitude; lines = [(a, b, x_ohm, rating, circuits)]."""
    nodes = pd.DataFrame({
        "id": [f"n{i}" for i in range(n_nodes)],
        "kind": "substation",
        "lat": 50.0,
        "lon": [24.0 + 0.5 * i for i in range(n_nodes)],
        "voltage_kv": KV,
        "region_id": "r",
        "status": "operational",
        "at750_count": 0,
        "at750_mva": 0.0,
        "at750_x_pu": 0.0,
        "lt_count": 0,
        "lt_mva": 0.0,
        "interconnector": "",
    })
    for nid, (cnt, mva, x) in (at or {}).items():
        i = int(nid[1:])
        nodes.loc[i, ["at750_count", "at750_mva", "at750_x_pu"]] = [cnt, mva, x]
    rows = []
    for k, (a, b, x, r, c, *kv) in enumerate(lines):
        rows.append({"id": f"l{k}", "from_node": f"n{a}", "to_node": f"n{b}",
                     "voltage_kv": kv[0] if kv else KV, "circuits": c, "x_ohm": x,
                     "rating_mw": r, "status": "operational"})
    return nodes, pd.DataFrame(rows)


def make_lp(nodes, lines, loads: dict[int, float], gens: dict[int, float], mode="dc"):
    load_ids = [f"n{i}" for i in loads]
    lp = GridLP(nodes, lines, load_ids, np.array(list(loads.values()), float),
                [f"n{i}" for i in gens], [], mode=mode)
    lp.set_network(np.array(list(gens.values()), float), 0.0, lp.line_circuits, lp.at_groups,
                   np.full(len(loads), np.inf), np.zeros(len(loads)))
    lp.set_scale(1.0)
    return lp


@pytest.mark.parametrize("mode", ["dc", "transport"])
def test_radial_line_cut_sheds_exactly_its_load(mode):
    # n0 (plant, 1000 MW) - n1 (load 300) - n2 (load 200): cutting n1-n2 sheds exactly 200
    nodes, lines = grid_frames(3, [(0, 1, 10.0, 1000, 1), (1, 2, 10.0, 1000, 1)])
    lp = make_lp(nodes, lines, {1: 300.0, 2: 200.0}, {0: 1000.0}, mode)
    r = lp.solve()
    assert r.served_mw == pytest.approx(500.0)
    lp.set_network(np.array([1000.0]), 0.0, np.array([1.0, 0.0]), lp.at_groups,
                   np.full(2, np.inf), np.zeros(2))
    r = lp.solve()
    assert r.demand_mw - r.served_mw == pytest.approx(200.0, abs=1e-6)
    np.testing.assert_allclose(r.node_served_mw, [300.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("x1,x2", [(10.0, 10.0), (10.0, 30.0), (7.0, 2.0)])
def test_parallel_lines_share_flow_inversely_to_reactance(x1, x2):
    nodes, lines = grid_frames(2, [(0, 1, x1, 5000, 1), (0, 1, x2, 5000, 1)])
    d = 900.0
    lp = make_lp(nodes, lines, {1: d}, {0: 2000.0}, "dc")
    r = lp.solve()
    assert r.served_mw == pytest.approx(d)
    f = lp.flows()
    assert f[0] == pytest.approx(d * x2 / (x1 + x2), rel=1e-6)
    assert f[1] == pytest.approx(d * x1 / (x1 + x2), rel=1e-6)


def test_parallel_circuits_of_one_line_split_equally_and_lose_one():
    nodes, lines = grid_frames(2, [(0, 1, 10.0, 400, 2)])
    lp = make_lp(nodes, lines, {1: 700.0}, {0: 2000.0}, "dc")
    assert lp.solve().served_mw == pytest.approx(700.0)
    lp.set_network(np.array([2000.0]), 0.0, np.array([1.0]), lp.at_groups, np.full(1, np.inf),
                   np.zeros(1))
    assert lp.solve().served_mw == pytest.approx(400.0)


def test_dc_loop_flow_binds_before_transport():
    # triangle n0 (gen) -> n1, n2 (load at n2). Direct n0-n2 line (x=10, 300 MW) and a detour
    # n0-n1-n2 (x=10+10). DC: f_direct = 2/3 of the load, so the direct line limits the load
    # to 450 MW; transport can route 300 + 1000 = 1300 MW.
    nodes, lines = grid_frames(3, [(0, 2, 10.0, 300, 1), (0, 1, 10.0, 1000, 1),
                                   (1, 2, 10.0, 1000, 1)])
    dc = make_lp(nodes, lines, {2: 2000.0}, {0: 5000.0}, "dc").solve()
    tr = make_lp(nodes, lines, {2: 2000.0}, {0: 5000.0}, "transport").solve()
    assert dc.served_mw == pytest.approx(450.0, rel=1e-6)
    assert tr.served_mw == pytest.approx(1300.0, rel=1e-6)


@pytest.mark.parametrize("mode", ["dc", "transport"])
def test_bottleneck_cut_limits_served_demand(mode):
    # west: generators n0, n1; east: loads n2, n3 (500 MW each); the cut is two feeders of
    # 150 and 100 MW. Radial feeders: served = 250 MW in both modes.
    nodes, lines = grid_frames(4, [(0, 2, 10.0, 150, 1), (1, 3, 10.0, 100, 1)])
    r = make_lp(nodes, lines, {2: 500.0, 3: 500.0}, {0: 800.0, 1: 800.0}, mode).solve()
    assert r.served_mw == pytest.approx(250.0, rel=1e-6)
    # Meshed on both sides (n0-n1 and n2-n3 strong ties): transport still reaches the cut
    # capacity; DC in general does not (the feeders share flow by reactance, so the 100 MW
    # feeder binds before the 150 MW one is full).
    nodes, lines = grid_frames(4, [(0, 2, 10.0, 150, 1), (1, 3, 10.0, 100, 1),
                                   (2, 3, 1.0, 5000, 1), (0, 1, 1.0, 5000, 1)])
    r = make_lp(nodes, lines, {2: 500.0, 3: 500.0}, {0: 800.0, 1: 800.0}, mode).solve()
    if mode == "transport":
        assert r.served_mw == pytest.approx(250.0, rel=1e-6)
    else:
        assert r.served_mw <= 250.0 + 1e-6


def test_autotransformer_group_limits_750_to_330_transfer():
    # n0 (plant) --750 kV-- n1 (750 kV substation: 2 groups x 500 MVA) --330 kV-- n2 (load)
    nodes, lines = grid_frames(3, [(0, 1, 50.0, 5000, 1, 750.0), (1, 2, 5.0, 5000, 1)],
                               at={"n1": (2, 500.0, 0.03)})
    lp = make_lp(nodes, lines, {2: 1500.0}, {0: 3000.0}, "dc")
    assert lp.solve().served_mw == pytest.approx(1000.0, rel=1e-6)
    lp.set_network(np.array([3000.0]), 0.0, lp.line_circuits, np.array([1.0]),
                   np.full(1, np.inf), np.zeros(1))
    assert lp.solve().served_mw == pytest.approx(500.0, rel=1e-6)


def test_critical_load_is_shed_last_and_transformer_limits_node():
    nodes, lines = grid_frames(3, [(0, 1, 10.0, 1000, 1), (0, 2, 10.0, 1000, 1)])
    lp = GridLP(nodes, lines, ["n1", "n2"], np.array([300.0, 300.0]), ["n0"], [], mode="dc")
    # 200 MW of generation; node 2 has a 50 MW critical load; node 1 can take at most 120 MW
    lp.set_network(np.array([200.0]), 0.0, lp.line_circuits, lp.at_groups,
                   np.array([120.0, np.inf]), np.array([0.0, 50.0]))
    lp.set_scale(1.0)
    r = lp.solve()
    assert r.served_mw == pytest.approx(200.0)
    assert r.critical_served_mw[1] == pytest.approx(50.0)
    assert r.node_served_mw[0] <= 120.0 + 1e-6


@st.composite
def small_grids(draw):
    n = draw(st.integers(3, 7))
    edges = []
    for i in range(1, n):  # a spanning tree, then extra lines
        edges.append((draw(st.integers(0, i - 1)), i))
    for _ in range(draw(st.integers(0, 5))):
        a, b = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        if a != b:
            edges.append((a, b))
    lines = [(a, b, draw(st.floats(1.0, 50.0)), draw(st.floats(0.0, 800.0)),
              draw(st.integers(1, 2))) for a, b in edges]
    gens = {i: draw(st.floats(0.0, 1500.0)) for i in range(n) if draw(st.booleans())}
    if not gens:
        gens = {0: 500.0}
    loads = {i: draw(st.floats(0.0, 900.0)) for i in range(n) if draw(st.booleans())}
    if not loads:
        loads = {n - 1: 400.0}
    up = [draw(st.integers(0, c)) for (*_, c) in lines]
    return n, lines, gens, loads, np.array(up, float)


def networkx_max_flow(n, lines, gens, loads, up):
    g = nx.DiGraph()
    for i, cap in gens.items():
        g.add_edge("S", i, capacity=cap)
    for i, d in loads.items():
        g.add_edge(i, "T", capacity=d)
    for (a, b, _x, r, _c), u in zip(lines, up, strict=True):
        for s, t in ((a, b), (b, a)):
            old = g.get_edge_data(s, t, {"capacity": 0.0})["capacity"]
            g.add_edge(s, t, capacity=old + r * u)
    g.add_nodes_from(["S", "T"])
    return nx.maximum_flow_value(g, "S", "T")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_grids())
def test_random_grids_balance_bounds_and_max_flow(case):
    n, lines, gens, loads, up = case
    nodes, lf = grid_frames(n, lines)
    out = {}
    for mode in ("dc", "transport"):
        lp = make_lp(nodes, lf, loads, gens, mode)
        lp.set_network(np.array(list(gens.values())), 0.0, up, lp.at_groups,
                       np.full(len(loads), np.inf), np.zeros(len(loads)))
        r = lp.solve()
        gen = lp.generation()
        assert r.served_mw <= r.demand_mw + 1e-6
        assert np.all(r.node_served_mw <= np.array(list(loads.values())) + 1e-6)
        assert np.all(gen <= np.array(list(gens.values())) + 1e-6) and np.all(gen >= -1e-6)
        assert gen.sum() == pytest.approx(r.served_mw, abs=1e-5)  # no losses: balance
        caps = np.repeat(np.array([r_ for (_a, _b, _x, r_, _c) in lines]), 1) * up
        assert np.all(np.abs(lp.flows()) <= caps + 1e-6)
        out[mode] = r.served_mw
    assert out["transport"] >= out["dc"] - 1e-6
    assert out["transport"] == pytest.approx(networkx_max_flow(n, lines, gens, loads, up),
                                             abs=1e-5)
