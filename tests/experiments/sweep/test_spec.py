"""Sweep files and design generation (no model runs)."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.errors import ScenarioError, SimInputError
from sim.config.io import parse_set_args
from sim.config.safe_yaml import parse_yaml_text
from sim.experiments.sweep.designs import design_size, generate_design
from sim.experiments.sweep.errors import SweepSpecError
from sim.experiments.sweep.spec import Factor, load_sweep
from tests.fixtures.toy import write_toy_sweep


def _write(tmp_path, **spec):
    return write_toy_sweep(tmp_path, **spec)


def test_valid_sweep_loads(tmp_path):
    loaded = load_sweep(_write(tmp_path))
    assert loaded.name == "toy"
    assert loaded.base_path == (tmp_path / "toy-scenario.yaml").resolve()
    assert [f.key for f in loaded.spec.factors] == ["defense.budget_eur", "defense.interceptor.pk"]
    assert loaded.spec.levers[0].kind == "values"
    assert loaded.spec.uncertainties[0].kind == "range"
    assert len(loaded.identity()) == 64


def test_yaml_reads_exponent_floats():
    def yaml_load(text):
        return parse_yaml_text(text, "<test>")

    assert yaml_load("a: 1e9\nb: 2.5e-3\nc: 7\nd: 1_000")["a"] == 1e9
    assert isinstance(yaml_load("a: 1e9")["a"], float)
    assert yaml_load("c: 7")["c"] == 7


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bogus": 1}, "bogus"),
        (
            {"uncertainties": [{"key": "defense.interceptor.pk", "low": 0.9, "high": 0.4}]},
            "inverted range",
        ),
        (
            {"uncertainties": [{"key": "defense.interceptor.pk", "low": 0.5, "high": 0.5}]},
            "empty range",
        ),
        ({"levers": [{"key": "defense.budget_eur", "values": []}]}, "empty value list"),
        ({"levers": [{"key": "defense.budget_eur", "values": [1, 1]}]}, "duplicate"),
        (
            {"levers": [{"key": "defense.budget_eur", "values": [1], "low": 0, "high": 2}]},
            "not both",
        ),
        (
            {"uncertainties": [{"key": "defense.interceptor.pk", "low": 0, "high": 1, "log": True}]},
            "low > 0",
        ),
        (
            {"uncertainties": [{"key": "defense.interceptor.pk", "low": 0.1}]},
            "both `low` and `high`",
        ),
        (
            {"uncertainties": [{"key": "defense.budget_eur", "low": 0.1, "high": 1}]},
            "declared twice",
        ),
        ({"design": {"kind": "latin_hypercube"}}, "needs `samples`"),
        ({"design": {"kind": "csv"}}, "needs `path`"),
        ({"replicates": 0}, "replicates"),
        ({"levers": [{"key": "not a key", "values": [1]}]}, "key"),
        ({"uncertainties": [{"key": "defense.interceptor.pk"}]}, "needs `values` or `low`/`high`"),
        ({"outcomes": []}, "empty list"),
        ({"fixed": {"defense.budget_eur": 1}}, "also in `fixed`"),
    ],
)
def test_bad_sweep_files(tmp_path, change, message):
    path = _write(tmp_path, **change)
    with pytest.raises(SweepSpecError) as err:
        load_sweep(path)
    assert message in str(err.value)
    assert str(path) in str(err.value)
    assert isinstance(err.value, SimInputError) and err.value.exit_code == 2


def test_error_names_key_path(tmp_path):
    path = _write(tmp_path, uncertainties=[{"key": "defense.interceptor.pk", "low": 0.9, "high": 0.1}])
    with pytest.raises(SweepSpecError, match=r"uncertainties\[0\]: inverted range"):
        load_sweep(path)


def test_missing_files(tmp_path):
    with pytest.raises(SweepSpecError, match="not found"):
        load_sweep(tmp_path / "nope.yaml")
    path = _write(tmp_path, base="missing.yaml")
    with pytest.raises(SweepSpecError, match="base: scenario file not found"):
        load_sweep(path)
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    with pytest.raises(SweepSpecError, match="invalid YAML"):
        load_sweep(tmp_path / "bad.yaml")


def test_parse_overrides():
    assert parse_set_args(["period.nights=10", "defense.basing.policy=central"]) == {
        "period.nights": 10,
        "defense.basing.policy": "central",
    }
    with pytest.raises(ScenarioError, match="key.path=value"):
        parse_set_args(["period.nights"])
    with pytest.raises(ScenarioError, match="not a key path"):
        parse_set_args(["bad key=1"])


def test_full_factorial_order_and_size(tmp_path):
    path = _write(
        tmp_path,
        levers=[
            {"key": "defense.budget_eur", "values": [0.0, 1e8]},
            {"key": "defense.basing.policy", "values": ["central", "dispersed"]},
        ],
        uncertainties=[{"key": "defense.interceptor.pk", "low": 0.4, "high": 0.8, "levels": 3}],
        design={"kind": "full_factorial"},
    )
    loaded = load_sweep(path)
    d = generate_design(loaded)
    assert design_size(loaded) == d.n_points == 12
    pts = d.points
    assert list(pts["point"]) == list(range(12))
    assert list(pts["defense.budget_eur"][:6]) == [0.0] * 6
    assert list(pts["defense.basing.policy"][:3]) == ["central"] * 3
    assert np.allclose(pts["defense.interceptor.pk"][:3], [0.4, 0.6, 0.8])
    assert list(pts["policy"]) == [0] * 3 + [1] * 3 + [2] * 3 + [3] * 3
    assert d.overrides(4) == {
        "defense.budget_eur": 0.0,
        "defense.basing.policy": "dispersed",
        "defense.interceptor.pk": 0.6,
    }


def test_full_factorial_range_needs_levels(tmp_path):
    loaded = load_sweep(_write(tmp_path, design={"kind": "full_factorial"}))
    with pytest.raises(SweepSpecError, match=r"uncertainties\[0\] \(defense.interceptor.pk\): needs `levels"):
        design_size(loaded)


def test_latin_hypercube_crossed_with_levers(tmp_path):
    loaded = load_sweep(_write(tmp_path))
    d = generate_design(loaded)
    assert d.n_points == design_size(loaded) == 4 * 10
    # every policy faces the same uncertainty sample
    pk = d.points["defense.interceptor.pk"].to_numpy().reshape(4, 10)
    assert (pk == pk[0]).all()
    # Latin hypercube: one point per 1/n stratum
    u = d.unit[:10, 0]
    assert sorted(np.floor(u * 10).astype(int)) == list(range(10))
    assert ((pk >= 0.4) & (pk <= 0.9)).all()
    assert d.unit_names == ["defense.interceptor.pk"]


def test_design_is_seeded(tmp_path):
    a = generate_design(load_sweep(_write(tmp_path / "a", seed=1)))
    b = generate_design(load_sweep(_write(tmp_path / "b", seed=1)))
    c = generate_design(load_sweep(_write(tmp_path / "c", seed=2)))
    assert a.points.equals(b.points)
    assert not a.points.equals(c.points)


def test_joint_levers_and_integer_and_log(tmp_path):
    path = _write(
        tmp_path,
        levers=[{"key": "defense.basing.policy", "values": ["central", "dispersed", "mixed"]}],
        uncertainties=[
            {"key": "defense.delivery.interceptors_per_month", "low": 500, "high": 3000},
            {
                "key": "defense.costs.interceptor_unit_cost_eur",
                "low": 1000.0,
                "high": 100000.0,
                "log": True,
            },
        ],
        design={"kind": "sobol_sequence", "samples": 16, "levers": "joint"},
    )
    loaded = load_sweep(path)
    d = generate_design(loaded)
    assert d.n_points == 16
    assert d.unit.shape == (16, 3)
    per_month = d.points["defense.delivery.interceptors_per_month"]
    assert per_month.dtype == np.int64 and per_month.between(500, 3000).all()
    cost = d.points["defense.costs.interceptor_unit_cost_eur"]
    assert cost.between(1000, 100000).all()
    assert (np.log10(cost) < 3.5).any() and (np.log10(cost) > 4.5).any()  # geometric spread
    assert set(d.points["defense.basing.policy"]) <= {"central", "dispersed", "mixed"}


@pytest.mark.parametrize(
    ("kind", "extra", "n"),
    [
        ("sobol", {}, 8 * (2 + 2)),
        ("sobol", {"second_order": True}, 8 * (2 * 2 + 2)),
        ("morris", {"levels": 4}, 8 * (2 + 1)),
    ],
)
def test_sensitivity_design_sizes(tmp_path, kind, extra, n):
    path = _write(
        tmp_path,
        levers=[],
        uncertainties=[
            {"key": "defense.interceptor.pk", "low": 0.4, "high": 0.9},
            {"key": "threat.decoy_share", "low": 0.1, "high": 0.5},
        ],
        design={"kind": kind, "samples": 8, **extra},
    )
    loaded = load_sweep(path)
    d = generate_design(loaded)
    assert d.n_points == design_size(loaded) == n


def test_csv_design(tmp_path):
    (tmp_path / "points.csv").write_text(
        "defense.budget_eur,defense.interceptor.pk\n0,0.5\n2e8,0.7\n4e8,0.9\n"
    )
    path = _write(tmp_path, design={"kind": "csv", "path": "points.csv"})
    loaded = load_sweep(path)
    d = generate_design(loaded)
    assert d.n_points == design_size(loaded) == 3
    assert list(d.points["defense.budget_eur"]) == [0.0, 2e8, 4e8]
    # out of the declared range
    (tmp_path / "points.csv").write_text("defense.budget_eur,defense.interceptor.pk\n0,0.95\n")
    with pytest.raises(SweepSpecError, match="row 2, column defense.interceptor.pk"):
        generate_design(load_sweep(path))
    # unknown column
    (tmp_path / "points.csv").write_text("defense.budget_eur,defense.interceptor.pk,foo\n0,0.5,1\n")
    with pytest.raises(SweepSpecError, match="not declared"):
        generate_design(load_sweep(path))


def test_csv_design_free_factors(tmp_path):
    (tmp_path / "p.csv").write_text("defense.budget_eur,defense.basing.policy\n0,central\n1e8,dispersed\n")
    path = _write(
        tmp_path,
        levers=[{"key": "defense.budget_eur"}],
        uncertainties=[{"key": "defense.basing.policy"}],
        design={"kind": "csv", "path": "p.csv"},
    )
    d = generate_design(load_sweep(path))
    assert list(d.points["defense.basing.policy"]) == ["central", "dispersed"]


def test_identity_ignores_cosmetics_but_not_content(tmp_path):
    a = load_sweep(_write(tmp_path / "a", description="one"))
    b = load_sweep(_write(tmp_path / "b", description="two", max_runs=5))
    c = load_sweep(_write(tmp_path / "c", replicates=4))
    d = load_sweep(_write(tmp_path / "d"), overrides={"period.nights": 5})
    assert a.identity() == b.identity()
    assert a.identity() != c.identity()
    assert a.identity() != d.identity()
    data = yaml.safe_load((tmp_path / "a" / "toy-scenario.yaml").read_text())
    data["period"]["nights"] = 3
    (tmp_path / "a" / "toy-scenario.yaml").write_text(yaml.safe_dump(data))
    assert load_sweep(tmp_path / "a" / "toy.yaml").identity() != a.identity()


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(min_value=1e-3, max_value=1e6),
    span=st.floats(min_value=1e-3, max_value=1e6),
    log=st.booleans(),
    u=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20),
)
def test_from_unit_stays_in_range(low, span, log, u):
    f = Factor(key="a.b", low=low, high=low + span, log=log)
    vals = f.from_unit(np.array(u))
    assert all(low <= v <= low + span for v in vals)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(0, 10**6), min_size=1, max_size=8, unique=True),
    u=st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=20),
)
def test_from_unit_picks_declared_values(values, u):
    f = Factor(key="a.b", values=values)
    assert set(f.from_unit(np.array(u))) <= set(values)
