"""Thresholds: defaults, overrides, who may change them, and what values are refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wufei.accounts.models import Department
from wufei.core.errors import Invalid, NotPermitted
from wufei.core.models import ChangeLog
from wufei.iot.models import Threshold
from wufei.iot.thresholds import SPECS, Thresholds, threshold, threshold_set
from wufei.manifests.tests.world import user
from wufei.registry.choices import DeviceKind
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


def test_every_default_lies_within_its_own_bounds_and_every_device_kind_has_a_silence():
    for spec in SPECS:
        assert spec.min <= spec.default <= spec.max, spec.key
    keys = {s.key for s in SPECS}
    assert {f"silence_{kind}_min" for kind in DeviceKind.values} <= keys


def test_a_setting_overrides_the_default_and_a_loaded_set_keeps_its_values():
    assert threshold("stop_minutes") == Decimal("20")
    loaded = Thresholds.load()
    city = user(role="city")
    threshold_set(actor=city, key="stop_minutes", value="45")
    assert threshold("stop_minutes") == Decimal("45")
    assert loaded["stop_minutes"] == Decimal("20")  # one run sees one set of values
    assert Thresholds.load()["stop_minutes"] == Decimal("45")
    log = ChangeLog.objects.get(object_id=str(Threshold.objects.get(key="stop_minutes").pk))
    assert (log.actor, log.data) == (city, {"key": "stop_minutes", "value": "45.000"})


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "admin"},
        {"role": "city"},
        {"role": "department", "department": "ecology"},
        {"role": "department", "department": "urban"},
        {"role": "county", "department": "urban", "county": True},
    ],
)
def test_officials_of_the_collection_bureaus_may_change_thresholds(fields):
    fields = dict(fields)
    if fields.pop("county", False):
        fields["region"] = factories.region("411002")
    if "department" in fields:
        fields["department"] = dept(fields["department"])
    threshold_set(actor=user(**fields), key="corridor_km", value="2.5")
    assert threshold("corridor_km") == Decimal("2.5")


@pytest.mark.parametrize(
    "fields",
    [
        {"role": "department", "department": "health"},
        {"role": "city", "department": "commerce"},
        {"role": "county"},  # a county official of no bureau
        {"role": "enterprise"},
        {"role": "driver"},
        {"role": "guide"},
        {"role": "public"},
    ],
)
def test_others_may_not(fields):
    fields = dict(fields)
    if "department" in fields:
        fields["department"] = dept(fields["department"])
    if fields["role"] in ("county", "guide"):
        fields["region"] = factories.region("411002")
    if fields["role"] in ("enterprise", "driver"):
        fields["party"] = factories.PartyFactory()
    with pytest.raises(NotPermitted):
        threshold_set(actor=user(**fields), key="corridor_km", value="2.5")
    with pytest.raises(NotPermitted):
        threshold_set(actor=None, key="corridor_km", value="2.5")
    assert not Threshold.objects.exists()


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("corridor_km", "0.1", "out_of_range"),
        ("corridor_km", "51", "out_of_range"),
        ("corridor_km", "abc", "invalid_number"),
        ("corridor_km", "NaN", "invalid_number"),
        ("corridor_km", "", "invalid_number"),
        ("no_such_key", "1", "unknown_threshold"),
        ("bin_full_pct", "96", "levels_out_of_order"),  # above the overflow level (95)
        ("bin_emptied_pct", "85", "levels_out_of_order"),  # above the full level (80)
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(key, value, code):
    with pytest.raises(Invalid) as refused:
        threshold_set(actor=user(role="city"), key=key, value=value)
    assert [e.code for e in refused.value.errors] == [code]
    assert not Threshold.objects.exists()
    assert not ChangeLog.objects.exists()
