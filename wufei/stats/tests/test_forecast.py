"""Forecasts: the model chosen by history length, the back-test, the interval, and the stored
rows replaced per region and stream."""

from __future__ import annotations

import itertools
import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest
from django.core.management import call_command

from wufei.registry.models import Region, WasteStream
from wufei.stats import forecasts
from wufei.stats.models import Forecast, RollupMonth

WEIDU, CHANGGE, CITY = "411002", "411082", "411000"
AS_OF = date(2025, 1, 15)  # the history ends with December 2024


def seasonal(n: int, *, level=1000.0, slope=8.0, amplitude=120.0) -> list[float]:
    """A known trend plus a 12-month season."""
    return [level + slope * t + amplitude * math.sin(2 * math.pi * t / 12) for t in range(n)]


def put_history(region: Region, stream: str, start: date, values, *, source="manifest"):
    stream_row = WasteStream.objects.get(code=stream)
    RollupMonth.objects.bulk_create(
        RollupMonth(
            region=region,
            stream=stream_row,
            quantity="generated",
            source=source,
            tonnes=Decimal(f"{v:.3f}"),
            records=1,
            month=forecasts.add_months(start, k),
        )
        for k, v in enumerate(values)
        if v
    )


def region(adcode: str) -> Region:
    return Region.objects.get(adcode=adcode)


# --- pure functions -------------------------------------------------------------------------


def test_holt_winters_recovers_trend_and_season():
    values = seasonal(72)
    model = forecasts.fit(values)
    assert model.method == forecasts.HOLT_WINTERS
    expected = seasonal(84)[72:]
    assert np.allclose(model.predict(12), expected, rtol=0.01)
    test = forecasts.backtest(values)
    assert test.months == 12
    assert test.mape is not None and test.mape < 1.0


def test_noisy_series_backtest_is_small_and_deterministic():
    rng = np.random.default_rng(7)
    values = [v + rng.normal(0, 15) for v in seasonal(60)]
    first, second = forecasts.backtest(values), forecasts.backtest(values)
    assert first == second
    assert first.mape is not None and first.mape < 3.0


def test_model_by_history_length():
    assert forecasts.fit(seasonal(24)).method == forecasts.HOLT_WINTERS
    assert forecasts.fit(seasonal(23)).method == forecasts.HOLT
    assert forecasts.fit(seasonal(12)).method == forecasts.HOLT
    short = forecasts.fit([10.0, 20.0, 30.0])
    assert short.method == forecasts.MEAN
    assert list(short.predict(2)) == [20.0, 20.0]


def test_holt_follows_a_straight_line():
    values = [100.0 + 5 * t for t in range(18)]
    model = forecasts.fit(values)
    assert model.method == forecasts.HOLT
    assert np.allclose(model.predict(3), [190.0, 195.0, 200.0], rtol=0.001)


def test_backtest_holds_out_a_quarter_of_a_short_history():
    assert forecasts.holdout_length(100) == 12
    assert forecasts.holdout_length(30) == 7
    assert forecasts.holdout_length(3) == 0
    assert forecasts.backtest([5.0, 6.0, 7.0]) == forecasts.Backtest(0, None)
    test = forecasts.backtest([10.0] * 8)  # two held out, the mean of six predicts them
    assert test == forecasts.Backtest(2, 0.0)


def test_interval_widens_with_the_horizon():
    rng = np.random.default_rng(3)
    series = forecasts.Series(date(2019, 1, 1), tuple(v + rng.normal(0, 20) for v in seasonal(48)))
    _model, points = forecasts.project(series)
    assert len(points) == forecasts.HORIZON
    assert points[0].month == date(2023, 1, 1)
    widths = [p.upper - p.lower for p in points]
    assert all(b > a for a, b in itertools.pairwise(widths))
    assert all(p.lower <= p.tonnes <= p.upper for p in points)


def test_annual_declarations_are_spread_over_their_year():
    by_month = {
        date(2021, 12, 1): {"tonnes": 1200.0, "declared": True},
        date(2022, 12, 1): {"tonnes": 2400.0, "declared": True},
    }
    series = forecasts.build_series(by_month)
    assert series is not None
    assert series.start == date(2021, 1, 1) and series.end == date(2022, 12, 1)
    assert series.values == (100.0,) * 12 + (200.0,) * 12
    assert series.spread == (2021, 2022)
    manifested = {date(2021, 12, 1): {"tonnes": 50.0, "declared": False}}
    one = forecasts.build_series(manifested)
    assert one is not None and one.values == (50.0,)  # one month of manifests
    # manifests standing in after the last annual declaration of a declared stream
    later = {**by_month, date(2023, 2, 1): {"tonnes": 3.0, "declared": False}}
    declared = forecasts.build_series(later, declared_basis=True)
    assert declared is not None and declared.end == date(2022, 12, 1)
    manifest_based = forecasts.build_series(later)
    assert manifest_based is not None and manifest_based.end == date(2023, 2, 1)


# --- stored forecasts -----------------------------------------------------------------------


@pytest.mark.django_db
def test_refit_stores_36_months_with_backtest():
    weidu = region(WEIDU)
    put_history(weidu, "household", date(2019, 1, 1), seasonal(72))
    results = forecasts.refit([weidu], as_of=AS_OF)
    household = next(r for r in results if r.stream.code == "household")
    assert household.method == forecasts.HOLT_WINTERS
    assert household.history_months == 72
    rows = list(Forecast.objects.filter(region=weidu, stream__code="household"))
    assert len(rows) == 36
    assert rows[0].month == date(2025, 1, 1) and rows[-1].month == date(2027, 12, 1)
    assert {r.history_end for r in rows} == {date(2024, 12, 1)}
    assert {r.backtest_months for r in rows} == {12}
    assert rows[0].backtest_mape is not None and rows[0].backtest_mape < Decimal(1)
    expected = seasonal(73)[72]
    assert abs(float(rows[0].tonnes) - expected) / expected < 0.01
    assert all((r.lower or 0) <= r.tonnes <= (r.upper or 0) for r in rows)
    # other streams without history have no rows
    assert not Forecast.objects.filter(region=weidu).exclude(stream__code="household").exists()


@pytest.mark.django_db
def test_refit_is_deterministic_and_replaces_rows():
    weidu = region(WEIDU)
    put_history(weidu, "kitchen", date(2021, 1, 1), seasonal(40, level=300))
    forecasts.refit([weidu], as_of=AS_OF)
    first = list(Forecast.objects.filter(region=weidu).values_list("month", "tonnes", "upper"))
    forecasts.refit([weidu], as_of=AS_OF)
    second = list(Forecast.objects.filter(region=weidu).values_list("month", "tonnes", "upper"))
    assert first == second and len(first) == 36
    RollupMonth.objects.filter(region=weidu).delete()
    forecasts.refit([weidu], as_of=AS_OF)
    assert not Forecast.objects.filter(region=weidu).exists()


@pytest.mark.django_db
def test_short_history_uses_the_mean():
    changge = region(CHANGGE)
    put_history(changge, "sludge", date(2024, 7, 1), [30, 50, 40, 60, 20, 40])
    forecasts.refit([changge], as_of=AS_OF)
    rows = list(Forecast.objects.filter(region=changge, stream__code="sludge"))
    assert {r.method for r in rows} == {forecasts.MEAN}
    assert {r.tonnes for r in rows} == {Decimal("40.000")}
    assert rows[0].backtest_months == 1  # a quarter of six months


@pytest.mark.django_db
def test_history_stops_before_the_current_month():
    weidu = region(WEIDU)
    put_history(weidu, "household", date(2024, 1, 1), [100] * 13)  # Jan 2024 … Jan 2025
    [result] = [r for r in forecasts.refit([weidu], as_of=AS_OF) if r.method]
    assert result.history_end == date(2024, 12, 1)
    assert result.history_months == 12


@pytest.mark.django_db
def test_city_series_is_the_sum_of_its_counties():
    weidu, changge, city = region(WEIDU), region(CHANGGE), region(CITY)
    put_history(weidu, "construction", date(2023, 1, 1), [100] * 24)
    put_history(changge, "construction", date(2023, 1, 1), [50] * 24)
    history = forecasts.histories(city, date(2024, 12, 1))["construction"]
    assert set(history.values) == {150.0}
    forecasts.refit([city], as_of=AS_OF)
    rows = Forecast.objects.filter(region=city, stream__code="construction")
    assert rows.count() == 36
    assert all(abs(r.tonnes - Decimal(150)) < Decimal("0.5") for r in rows)


@pytest.mark.django_db
def test_forecast_command(capsys):
    weidu = region(WEIDU)
    put_history(weidu, "household", date(2023, 1, 1), seasonal(24))
    call_command("forecast", "--region", WEIDU, "--as-of", "2025-01-15")
    out = capsys.readouterr().out
    assert "魏都区" in out and "holt-winters" in out
    assert Forecast.objects.filter(region=weidu).count() == 36


@pytest.mark.django_db
def test_forecasts_are_scoped(client):
    from wufei.manifests.tests.world import user

    weidu, city = region(WEIDU), region(CITY)
    put_history(weidu, "household", date(2024, 1, 1), [100] * 12)
    put_history(region(CHANGGE), "household", date(2024, 1, 1), [100] * 12)
    forecasts.refit([weidu, city], as_of=AS_OF)
    official = user(role="county", region=weidu)
    seen = forecasts.forecast_list(actor=official)
    assert set(seen.values_list("region__adcode", flat=True)) == {WEIDU}
    client.force_login(official)
    answer = client.get("/api/v1/forecasts/", {"stream": "household"}).json()
    assert answer["count"] == 36
    assert {r["region"] for r in answer["results"]} == {WEIDU}
    client.force_login(user(role="city"))
    answer = client.get("/api/v1/forecasts/", {"region": CITY}).json()
    assert answer["count"] == 36
    assert answer["results"][0]["method"] == forecasts.HOLT
