"""Fits to the Ukrainian Air Force record, their checks and the validation report.

Modules (each imports only lower layers: config, model, experiments; never the viz layer):

* :mod:`~sim.calibration.record`: the record, read once (raw CSV, shipped nightly or monthly
  tables), nights, months, observed rates, missiles by class; cut at a month.
* :mod:`~sim.calibration.air_force_file`: the raw Air Force file (report rows) to nights, and
  the missile classes of its labels.
* :mod:`~sim.calibration.threat_fit`: the nightly launch profile (``calibrate threat``).
* :mod:`~sim.calibration.defense_fit`: the defence parameters (least squares), the
  out-of-sample check, the calibration JSON and the fitted values in the scenario file.
* :mod:`~sim.calibration.simulate`: replicates summed by month (used by every fit and check).
* :mod:`~sim.calibration.rolling_origin`: fit up to an origin, forecast after it, ablations;
  its fitters in :mod:`~sim.calibration.rolling_origin_fitters`, the forecasts scored against
  the record in :mod:`~sim.calibration.forecast_scoring`.
* :mod:`~sim.calibration.oracles`: closed-form checks of the engine.
* :mod:`~sim.calibration.report`: the Markdown report (figures come from :mod:`sim.viz`).
"""
