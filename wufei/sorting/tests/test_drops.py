"""Recording a drop from the guide's phone: bad input refused with stable codes and nothing
written, scope, retries, photo; the drop is credited and checked in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wufei.core.errors import Invalid, NotPermitted
from wufei.sorting.drops import record_drop
from wufei.sorting.models import Drop, DropSource, Flag, FlagKind, PointsEntry
from wufei.sorting.tests.test_points_world import build

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 5, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def world():
    return build()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def record(world, actor="guide", **fields):
    values = {
        "household_code": world.households[0].code,
        "waste_class": "kitchen",
        "weight_kg": "1.25",
        "dropped_at": NOW,
        "now": NOW,
    }
    values.update(fields)
    user = world.users[actor] if isinstance(actor, str) else actor
    return record_drop(actor=user, **values)


def refusal(world, **fields) -> tuple[str, str | None]:
    before = (Drop.objects.count(), PointsEntry.objects.count())
    with pytest.raises(Invalid) as refused:
        record(world, **fields)
    assert (Drop.objects.count(), PointsEntry.objects.count()) == before
    return refused.value.code, refused.value.field


def test_a_guide_records_a_drop_with_station_photo_and_its_points(world):
    photo = SimpleUploadedFile("drop.png", PNG, content_type="image/png")
    drop = record(world, station=world.bin_station, correct=True, photo=photo)
    assert drop.source == DropSource.GUIDE
    assert drop.guide == world.guide
    assert drop.community == world.a and drop.household == world.households[0]
    assert drop.weight_kg == Decimal("1.25")
    assert drop.photo.name.startswith("sorting/drops/")
    assert PointsEntry.objects.filter(drop=drop).count() == 2  # drop-any + first-of-day


def test_codes_are_matched_by_card_number_and_case_and_spaces_do_not_matter(world):
    h = world.households[1]
    assert record(world, household_code=f"  {h.card_number.lower()} ").household == h


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"household_code": "H9999990000"}, ("unknown_household", "household_code")),
        ({"household_code": ""}, ("unknown_household", "household_code")),
        ({"weight_kg": "80"}, ("out_of_range", "weight_kg")),
        ({"weight_kg": "0"}, ("out_of_range", "weight_kg")),
        ({"weight_kg": "-1"}, ("out_of_range", "weight_kg")),
        ({"weight_kg": "abc"}, ("invalid_number", "weight_kg")),
        ({"weight_kg": "NaN"}, ("invalid_number", "weight_kg")),
        ({"waste_class": "glass"}, ("bad_class", "waste_class")),
        ({"waste_class": ""}, ("bad_class", "waste_class")),
        ({"dropped_at": NOW + timedelta(minutes=6)}, ("in_future", "dropped_at")),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_nothing_is_written(world, fields, expected):
    assert refusal(world, **fields) == expected


def test_five_minutes_of_clock_skew_are_accepted(world):
    assert record(world, dropped_at=NOW + timedelta(minutes=5)).pk


def test_every_error_is_reported_at_once(world):
    with pytest.raises(Invalid) as refused:
        record(world, household_code="NOPE", waste_class="x", weight_kg="80")
    codes = {e.code for e in refused.value.errors}
    assert codes == {"unknown_household", "bad_class", "out_of_range"}


def test_a_station_elsewhere_and_a_bad_photo_are_refused(world):
    assert refusal(world, station=world.station_c) == ("station_elsewhere", "station")
    # a station of another community in the same street is fine
    assert record(world, station=world.station_b).station == world.station_b
    fake = SimpleUploadedFile("drop.png", b"not an image", content_type="image/png")
    assert refusal(world, photo=fake, dropped_at=NOW - timedelta(hours=1)) == (
        "photo_type",
        "photo",
    )


def test_an_inactive_household_is_refused(world):
    h = world.households[2]
    h.is_active = False
    h.save()
    assert refusal(world, household_code=h.code) == ("household_inactive", "household_code")


def test_a_guide_cannot_record_in_another_street(world):
    # the other street's households are unknown to the guide ...
    assert refusal(world, household_code=world.stranger.code) == (
        "unknown_household",
        "household_code",
    )
    # ... and the other street's guide cannot record for ours
    with pytest.raises(Invalid):
        record(world, actor="other_guide")
    assert record(world, actor="other_guide", household_code=world.stranger.code).pk


def test_the_public_cannot_record_drops(world):
    with pytest.raises((Invalid, NotPermitted)):
        record(world, actor="public")
    assert not Drop.objects.exists()


def test_a_county_official_may_record_without_a_guide_row(world):
    drop = record(world, actor="county")
    assert drop.guide is None and drop.source == DropSource.GUIDE


def test_a_retried_request_returns_the_same_drop(world):
    first = record(world, dropped_at=NOW - timedelta(seconds=30, microseconds=1))
    again = record(world, dropped_at=NOW - timedelta(seconds=30, microseconds=900))
    assert again.pk == first.pk
    assert Drop.objects.count() == 1
    assert not Flag.objects.exists()
    # a different weight is a different drop (and a rapid repeat)
    other = record(world, weight_kg="1.3", dropped_at=NOW - timedelta(seconds=29))
    assert other.pk != first.pk
    assert Flag.objects.get(drop=other).kind == FlagKind.RAPID_REPEAT


def test_an_implausible_drop_is_kept_flagged_and_credited(world):
    drop = record(world, weight_kg="12")
    assert Drop.objects.filter(pk=drop.pk).exists()
    assert Flag.objects.get(drop=drop).kind == FlagKind.IMPLAUSIBLE_WEIGHT
    assert PointsEntry.objects.filter(drop=drop).exists()


def test_photo_size_limit(world):
    big = SimpleUploadedFile(
        "drop.png", PNG + b"\x00" * (5 * 1024 * 1024), content_type="image/png"
    )
    assert refusal(world, photo=big) == ("photo_too_large", "photo")
