"""Forecasts with intervals, time to exhaustion, and `aiops forecast`."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from aiops.analytics.forecast import forecast_series, season_points, time_to_exhaustion
from aiops.cli import main

HOUR, DAY = 3600.0, 86400.0


def seasonal(days: float, step: float = 900.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    ts = 1.7e9 + step * np.arange(int(days * DAY / step))
    y = 100 + 20 * np.sin(2 * np.pi * ts / DAY) + np.random.default_rng(seed).normal(0, 1, ts.size)
    return ts, y


def test_intervals_contain_held_out_values_of_a_clean_seasonal_series() -> None:
    ts, y = seasonal(4.25)
    n = 4 * 96                                    # fit on 4 days, hold out 6 hours
    fc = forecast_series(y[:n], ts[:n], 6 * HOUR)
    assert "daily profile" in fc.method and fc.season_points == 96
    np.testing.assert_allclose(fc.timestamps, ts[n:])
    inside = (y[n:] >= fc.lower) & (y[n:] <= fc.upper)
    assert inside.mean() >= 0.9
    assert np.mean(np.abs(fc.mean - y[n:])) < 2.0            # it follows the daily swing (+-20)
    assert np.all(fc.upper - fc.lower < 12)                    # and the band is not uselessly wide


def test_season_is_daily_only_with_two_days_of_data() -> None:
    assert season_points(1.7e9 + 300 * np.arange(288 * 2), 300.0) == 288
    assert season_points(1.7e9 + 300 * np.arange(288), 300.0) == 0
    assert season_points(1.7e9 + 300 * np.arange(288 * 3), 300.0, season=None) == 0


def test_a_short_noisy_series_without_season_gets_a_plain_model() -> None:
    rng = np.random.default_rng(1)
    ts = 1.7e9 + 60 * np.arange(120)
    y = 5 + rng.normal(0, 0.5, 120)
    y[40:45] = np.nan                                          # gaps are interpolated
    fc = forecast_series(y, ts, 600)
    assert fc.season_points == 0 and fc.mean.shape == (10,)
    assert np.all(fc.lower <= fc.mean) and np.all(fc.mean <= fc.upper)
    assert abs(fc.mean[-1] - 5) < 1
    with pytest.raises(ValueError, match="at least"):
        forecast_series(y[:5], ts[:5], 600)
    with pytest.raises(ValueError, match="method"):
        forecast_series(y, ts, 600, method="prophet")


def test_time_to_exhaustion_of_a_linear_disk_fill_is_close_to_the_truth() -> None:
    rng = np.random.default_rng(2)
    ts = 1.7e9 + 60.0 * np.arange(12 * 60)                   # 12 h of minutes
    used = 60e9 + 1e9 / HOUR * (ts - ts[0]) + rng.normal(0, 2e7, ts.size)   # +1 GB/h from 60 GB
    truth = ts[0] + 40 * HOUR                                  # 100 GB after 40 h
    ex = time_to_exhaustion(used, ts, capacity=100e9)
    assert ex.status == "reaches" and ex.direction == 1
    assert abs(ex.eta - truth) < 0.05 * (truth - ts[-1])      # within 5 % of the 28 h ahead
    assert ex.eta_early is not None and ex.eta_early <= truth
    assert ex.eta_late is None or ex.eta_late >= truth


def test_exhaustion_limits_for_ratios_and_available_quantities() -> None:
    ts = 1.7e9 + 60.0 * np.arange(200)
    rng = np.random.default_rng(3)
    ratio = 0.5 + 0.001 * np.arange(200) + rng.normal(0, 0.003, 200)
    ex = time_to_exhaustion(ratio, ts)
    assert ex.limit == 1.0 and ex.status == "reaches"
    assert abs((ex.eta - ts[-1]) / 60 - 300) < 30             # 0.7 -> 1.0 at 0.001 a minute
    free = 1000 - 2 * np.arange(200) + rng.normal(0, 3, 200)
    ex = time_to_exhaustion(free, ts)
    assert ex.limit == 0.0 and ex.direction == -1 and ex.eta > ts[-1]
    assert time_to_exhaustion(free, ts, capacity=2000).status == "not_approaching"
    assert time_to_exhaustion(free, ts, capacity=700).status == "already"
    assert time_to_exhaustion(free, ts, capacity=0, horizon=HOUR).status == "beyond_horizon"


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["aiops", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture()
def disk_csv(tmp_path: Path) -> Path:
    ts = 1700000000 + 300 * np.arange(288)
    y = 40 + 0.05 * np.arange(288) + np.random.default_rng(4).normal(0, 0.1, 288)
    path = tmp_path / "disk.csv"
    path.write_text("timestamp,value\n" + "".join(f"{t},{v:.3f}\n" for t, v in zip(ts, y)), encoding="utf-8")
    return path


def test_forecast_command_text_shows_numbers_plot_and_eta(monkeypatch, capsys, disk_csv) -> None:
    code, out, _ = run(monkeypatch, capsys, "forecast", "--input", str(disk_csv), "--horizon", "2h", "--capacity", "60")
    assert code == 0
    assert "ets(" in out and "95% interval" in out
    assert "capacity 60: reached in ~" in out                  # 54.4 -> 60 at 0.6/h: ~9h
    assert "━" in out and "•" in out and "└" in out            # the plot


def test_forecast_command_csv_and_json(monkeypatch, capsys, disk_csv) -> None:
    code, out, _ = run(monkeypatch, capsys, "forecast", "-i", str(disk_csv), "-H", "1h", "-f", "csv", "--method", "holt")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and out.startswith("timestamp,forecast,lower,upper\n") and len(rows) == 12
    assert rows[0]["timestamp"] == str(1700000000 + 300 * 288)
    assert all(float(r["lower"]) <= float(r["forecast"]) <= float(r["upper"]) for r in rows)
    code, out, _ = run(monkeypatch, capsys, "forecast", "-i", str(disk_csv), "-H", "30m", "-f", "json", "--capacity", "auto")
    doc = json.loads(out)
    assert code == 0 and len(doc["points"]) == 6 and doc["exhaustion"]["status"] == "no_limit"


@pytest.mark.parametrize("args, message", [(["--horizon", "soon"], "--horizon"), (["--capacity", "lots"], "--capacity"),
                                           (["--format", "png"], "--format"), (["--level", "2"], "--level")])
def test_forecast_command_bad_options_exit_2(monkeypatch, capsys, disk_csv, args, message) -> None:
    code, out, err = run(monkeypatch, capsys, "forecast", "--input", str(disk_csv), *args)
    assert code == 2 and out == "" and message in err
