"""The energy fit recovers a known damage factor from campaigns the model itself made, and its
replay settings keep the fit and check periods apart."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sim.calibration import energy_fit as ef


def synthetic_leakers() -> pd.DataFrame:
    """March 2024: three massive strikes on the power system and a few drones on other
    nights (the fit reads only the leakers per night and weapon class)."""
    dates = [ef.START + dt.timedelta(days=k) for k in range(30)]
    leak = pd.DataFrame(0, index=dates, columns=["drone", "cruise", "ballistic"])
    leak["drone"] = 4
    for d in ("2024-03-21", "2024-03-23", "2024-03-28"):
        leak.loc[dt.date.fromisoformat(d)] = [30, 15, 5]
    return leak


@pytest.mark.parametrize("k_true", [0.7, 1.5])
def test_fit_recovers_a_known_damage_factor(k_true):
    leak = synthetic_leakers()
    # the 'observed' loss: the model's own campaign at k_true, on other seeds than the fit's
    obs = ef.summarise(leak, k_true, 0.8, 4, end=ef.FIT_NIGHT, seed0=500)[
        "dtek_thermal_lost_share_30mar"].mean()
    assert 0.05 < obs < 0.98
    k = ef.fit_k(leak, 4, target=obs, grid=(0.25, 0.5, 1, 2, 3, 4))
    assert k == pytest.approx(k_true, rel=0.3)


def test_replay_settings_follow_the_record_dates():
    cfg = ef.replay_config(3.0, 0.7)
    assert cfg.state_as_of < ef.START  # the start state knows nothing of the campaign
    assert cfg.import_capacity_mw == 1700 and cfg.import_capacity_mw_by_month["2024-12"] == 2100
    assert "2024-11" not in cfg.import_capacity_mw_by_month
    assert cfg.availability_by_month["2024-07"]["nuclear"] == pytest.approx(7 / 9)
    dg = cfg.distributed_generation_mw_by_month
    assert dg["2024-12"] == pytest.approx(835.0)
    assert np.all(np.diff([dg[m] for m in sorted(dg)]) >= 0)
    # the check periods lie after the fit window
    for (a0, _a1), _r, _s in ef.CHECKS.values():
        assert a0 > ef.FIT_END
