"""Rollups from manifests and declarations, case by case, on the manifests' small world.

Every case drives the real services, refreshes the marked slices and reads the rows back;
the last cases check that the full rebuild gives the same tables and what the marks do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wufei.accounts.models import User
from wufei.manifests import corrections, services
from wufei.manifests.choices import State
from wufei.manifests.tests.world import World, hazardous_world, run_to, user
from wufei.registry.models import Facility, Party, Permit, Region, TreatmentMethod, WasteStream
from wufei.registry.tests import factories
from wufei.stats.choices import DeclarationStatus, Quantity, Source
from wufei.stats.models import Declaration, DeclarationLine, Rollup, RollupDirty, RollupMonth
from wufei.stats.rollups import _forget, _take, mark_dirty, rebuild, refresh
from wufei.trace.services import containers_pack

pytestmark = pytest.mark.django_db

YUZHOU = "411081"


@dataclass
class StoreWorld:
    """The small world plus a second disposer in 禹州市 that the first receiver, keeping
    loads in storage, sends them on to."""

    w: World
    disposer: Party
    facility: Facility
    disposer_clerk: User


def store_world(w: World) -> StoreWorld:
    yuzhou = factories.region(YUZHOU)
    disposer = cast(
        Party,
        factories.PartyFactory(
            name="禹州危废处置", region=yuzhou, is_receiver=True, is_generator=False
        ),
    )
    facility = cast(
        Facility,
        factories.FacilityFactory(
            site=factories.SiteFactory(party=disposer, region=yuzhou, kind="treatment"),
            kind="hazardous",
        ),
    )
    permit = cast(
        Permit, factories.PermitFactory(party=disposer, facility=facility, kind="hw_operation")
    )
    permit.waste_codes.set([w.code])
    w.receiver.is_generator = True
    w.receiver.save(update_fields=["is_generator"])
    return StoreWorld(w, disposer, facility, user(role="enterprise", party=disposer))


def a_town(county: str = "411002") -> Region:
    return Region.objects.filter(parent__adcode=county, level="town").order_by("adcode")[0]


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def day_of(at: dt.datetime) -> dt.date:
    return timezone.localdate(at)


def advance(w: World, m, state: str, *, at=None, pickup_kg="350.5", received_kg=None, **kw):
    """A submitted ``m`` driven to ``state`` (or until rejected), every step at ``at``."""
    receiver_clerk = kw.get("receiver_clerk", w.receiver_clerk)
    steps: dict[str, Callable] = {
        State.PICKED_UP: lambda m: services.manifest_pick_up(
            actor=w.driver,
            manifest=m,
            signing_code_entered=services.signing_code(m),
            pickup_kg=pickup_kg,
            vehicle=w.vehicle,
            at=at,
        ),
        State.IN_TRANSIT: lambda m: services.manifest_depart(actor=w.driver, manifest=m, at=at),
        State.RECEIVED: lambda m: services.manifest_receive(
            actor=receiver_clerk,
            manifest=m,
            received_kg=received_kg or pickup_kg,
            accepted_kg=kw.get("accepted_kg"),
            reason=kw.get("reason", ""),
            at=at,
        ),
        State.COMPLETED: lambda m: services.manifest_complete(
            actor=receiver_clerk, manifest=m, method=kw.get("method", w.method), at=at
        ),
    }
    order: list[str] = list(steps)
    start = order.index(m.state) + 1 if m.state in order else 0
    for target in order[start : order.index(state) + 1]:
        m = steps[target](m)
        if m.state == State.REJECTED:
            break
    return m


def figures(model=Rollup, **filters) -> dict[tuple, Decimal]:
    """{(county adcode, quantity, source): tonnes} summed over the other keys."""
    out: dict[tuple, Decimal] = {}
    for region, quantity, source, tonnes in model.objects.filter(**filters).values_list(
        "region__adcode", "quantity", "source", "tonnes"
    ):
        key = (region, quantity, source)
        out[key] = out.get(key, Decimal(0)) + tonnes
    return out


def table(model) -> list[tuple]:
    """Every row of ``model`` but its id, sorted (ids of null keys first)."""
    fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    rows = model.objects.values_list(*fields)
    return sorted(rows, key=lambda row: tuple((v is not None, v or 0) for v in row))


@pytest.fixture
def w():
    return hazardous_world()


WEIDU, CHANGGE = "411002", "411082"


def test_a_completed_manifest_counts_generation_receipt_and_its_fate(w):
    m = run_to(w, State.COMPLETED)
    result = refresh()
    today = timezone.localdate()
    assert result.slices == 1 and result.months == 1 and result.years == (today.year,)
    assert figures() == {
        (WEIDU, Quantity.GENERATED, Source.MANIFEST): Decimal("0.351"),  # 350.5 kg, half up
        (WEIDU, Quantity.RECEIVED, Source.MANIFEST): Decimal("0.351"),
        (WEIDU, Quantity.TREATED, Source.MANIFEST): Decimal("0.351"),  # D10 treats
    }
    generated = Rollup.objects.get(quantity=Quantity.GENERATED)
    assert (generated.day, generated.stream_id, generated.facility_id) == (today, w.stream.pk, None)
    assert generated.category_id == w.code.category_id and generated.records == 1
    fate = Rollup.objects.get(quantity=Quantity.TREATED)
    assert fate.facility_id == m.receiver_facility_id
    assert figures(RollupMonth, month=today.replace(day=1)) == figures()
    assert not RollupDirty.objects.exists()


def test_drafts_and_cancelled_manifests_count_nothing(w):
    run_to(w, State.DRAFT)
    m = run_to(w, State.SUBMITTED)
    services.manifest_cancel(actor=w.clerk, manifest=m, reason="不再转移")
    refresh()
    assert not Rollup.objects.exists() and not RollupMonth.objects.exists()


def test_steps_fall_on_the_local_days_they_happened(w):
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    picked, received, done = ago(40), ago(39.5), ago(2)
    m = advance(w, m, State.PICKED_UP, at=picked)
    m = advance(w, m, State.RECEIVED, at=received)
    m = advance(w, m, State.COMPLETED, at=done)
    refresh()
    days = dict(Rollup.objects.values_list("quantity", "day"))
    assert days == {
        Quantity.GENERATED: day_of(picked),
        Quantity.RECEIVED: day_of(received),
        Quantity.TREATED: day_of(done),
    }
    months = set(RollupMonth.objects.values_list("quantity", "month"))
    assert (Quantity.GENERATED, day_of(picked).replace(day=1)) in months


def test_a_late_arrival_after_a_refresh_rebuilds_only_its_slices(w):
    run_to(w, State.COMPLETED)
    refresh()
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    advance(w, m, State.PICKED_UP, at=ago(70), pickup_kg="100")
    marked = set(RollupDirty.objects.values_list("region__adcode", "day"))
    assert marked == {(WEIDU, day_of(ago(70)))}
    result = refresh()
    assert result.slices == 1 and result.years == (day_of(ago(70)).year,)
    old = Rollup.objects.get(day=day_of(ago(70)))
    assert (old.quantity, old.tonnes) == (Quantity.GENERATED, Decimal("0.100"))
    assert Rollup.objects.filter(day=timezone.localdate()).count() == 3
    assert RollupMonth.objects.get(month=day_of(ago(70)).replace(day=1)).tonnes == Decimal("0.1")


def test_a_limited_refresh_leaves_the_rest_of_the_backlog_marked(w):
    """A page view rebuilds a few slices; the cron job takes the rest."""
    region = Region.objects.get(adcode=WEIDU)
    days = [timezone.localdate() - dt.timedelta(days=n) for n in range(5)]
    mark_dirty(region.pk, days)
    assert refresh(limit=2).slices == 2
    assert RollupDirty.objects.count() == 3
    assert refresh().slices == 3 and not RollupDirty.objects.exists()


def test_a_partial_receipt_counts_what_was_accepted(w):
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    advance(
        w,
        m,
        State.COMPLETED,
        pickup_kg="400",
        received_kg="398",
        accepted_kg="300",
        reason="部分包装破损退回",
    )
    refresh()
    assert figures() == {
        (WEIDU, Quantity.GENERATED, Source.MANIFEST): Decimal("0.400"),
        (WEIDU, Quantity.RECEIVED, Source.MANIFEST): Decimal("0.300"),
        (WEIDU, Quantity.TREATED, Source.MANIFEST): Decimal("0.300"),
    }


def test_a_rejected_load_is_generated_once_even_when_shipped_again(w):
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    m = advance(w, m, State.RECEIVED, pickup_kg="350", accepted_kg="0", reason="包装不合格")
    assert m.state == State.REJECTED
    refresh()
    assert figures() == {
        (WEIDU, Quantity.GENERATED, Source.MANIFEST): Decimal("0.350"),
        (WEIDU, Quantity.RECEIVED, Source.MANIFEST): Decimal("0"),
    }
    assert Rollup.objects.get(quantity=Quantity.RECEIVED).records == 1
    codes = list(m.items.values_list("container__code", flat=True))
    again, _ = services.manifest_create(
        actor=w.clerk, data=w.data(containers=(), carry=codes), submit=True
    )
    advance(w, again, State.COMPLETED, pickup_kg="350")
    refresh()
    assert figures() == {
        (WEIDU, Quantity.GENERATED, Source.MANIFEST): Decimal("0.350"),
        (WEIDU, Quantity.RECEIVED, Source.MANIFEST): Decimal("0.350"),
        (WEIDU, Quantity.TREATED, Source.MANIFEST): Decimal("0.350"),
    }


@pytest.mark.parametrize(
    "code, fate",
    [
        ("D10", Quantity.TREATED),
        ("D1", Quantity.LANDFILLED),
        ("R1", Quantity.ENERGY),
        ("R4", Quantity.UTILISED),
    ],
)
def test_completion_counts_the_methods_fate(w, code, fate):
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
    method = TreatmentMethod.objects.get(code=code)
    advance(w, m, State.COMPLETED, pickup_kg="200", method=method)
    refresh()
    assert figures()[(WEIDU, fate, Source.MANIFEST)] == Decimal("0.200")
    fates = {q for _r, q, _s in figures()} - {Quantity.GENERATED, Quantity.RECEIVED}
    assert fates == {fate}


def store_and_forward(sw: StoreWorld, *, pack: bool = False, complete_first: bool = True):
    """A generator's load kept at the first receiver (G-STORE), then sent on to the second
    disposer (packed into a big box first when ``pack``)."""
    w = sw.w
    store = TreatmentMethod.objects.get(code="G-STORE")
    first, _ = services.manifest_create(
        actor=w.clerk, data=w.data(flow="hazardous-small", masses=("120", "80")), submit=True
    )
    first = advance(w, first, State.RECEIVED, pickup_kg="200", at=ago(3))
    if complete_first:
        first = advance(w, first, State.COMPLETED, method=store, at=ago(3))
    codes = list(first.items.values_list("container__code", flat=True))
    if pack:
        codes = [containers_pack(actor=w.receiver_clerk, children=codes).code]
    onward, _ = services.manifest_create(
        actor=w.receiver_clerk,
        data=w.data(
            containers=(),
            carry=codes,
            receiver=sw.disposer,
            receiver_facility=sw.facility,
            generator_site=None,
        ),
        submit=True,
    )
    onward = advance(
        w,
        onward,
        State.COMPLETED,
        pickup_kg="199",
        at=ago(1),
        receiver_clerk=sw.disposer_clerk,
    )
    return first, onward


@pytest.mark.parametrize("pack", [False, True], ids=["as-is", "packed"])
def test_an_onward_leg_takes_its_load_out_of_storage_and_generates_nothing(w, pack):
    sw = store_world(w)
    store_and_forward(sw, pack=pack)
    refresh()
    assert figures() == {
        (WEIDU, Quantity.GENERATED, Source.MANIFEST): Decimal("0.200"),
        (WEIDU, Quantity.RECEIVED, Source.MANIFEST): Decimal("0.200"),
        (WEIDU, Quantity.STORED, Source.MANIFEST): Decimal("0.200"),
        # the onward leg in the storing receiver's county, 长葛
        (CHANGGE, Quantity.STORED, Source.MANIFEST): Decimal("-0.199"),
        (CHANGGE, Quantity.RECEIVED, Source.MANIFEST): Decimal("0.199"),
        (CHANGGE, Quantity.TREATED, Source.MANIFEST): Decimal("0.199"),
    }
    stored = figures(quantity=Quantity.STORED)
    assert sum(stored.values()) == Decimal("0.001")  # storage nets out city-wide
    assert table(Rollup) == (rebuild(), table(Rollup))[1]


def test_storing_a_load_already_sent_on_turns_the_onward_pick_up_into_a_release(w):
    sw = store_world(w)
    first, onward = store_and_forward(sw, complete_first=False)
    refresh()
    assert figures()[(CHANGGE, Quantity.GENERATED, Source.MANIFEST)] == Decimal("0.199")
    store = TreatmentMethod.objects.get(code="G-STORE")
    services.manifest_complete(actor=w.receiver_clerk, manifest=first, method=store)
    marked = set(RollupDirty.objects.values_list("region__adcode", "day"))
    assert (CHANGGE, day_of(onward.picked_up_at)) in marked
    refresh()
    after = figures()
    assert (CHANGGE, Quantity.GENERATED, Source.MANIFEST) not in after
    assert after[(CHANGGE, Quantity.STORED, Source.MANIFEST)] == Decimal("-0.199")
    before_rebuild = table(Rollup), table(RollupMonth)
    rebuild()
    assert (table(Rollup), table(RollupMonth)) == before_rebuild


def test_a_town_rolls_up_into_its_county(w):
    town = a_town()
    site = factories.SiteFactory(party=w.generator, region=town, kind="factory")
    m, _ = services.manifest_create(actor=w.clerk, data=w.data(generator_site=site), submit=True)
    assert m.region_id == town.pk
    advance(w, m, State.PICKED_UP, pickup_kg="10")
    refresh()
    assert figures() == {(WEIDU, Quantity.GENERATED, Source.MANIFEST): Decimal("0.010")}


def test_a_correction_rebuilds_the_figures_it_changed(w):
    m = run_to(w, State.COMPLETED)
    refresh()
    rev = corrections.correction_propose(
        actor=w.clerk,
        manifest=m,
        changes={"pickup_kg": "360", "method": "D1"},
        reason="磅单录入错误",
    )
    assert RollupDirty.objects.count() == 0  # proposing changes no figure
    for actor in (w.carrier, w.receiver_clerk):
        corrections.correction_approve(actor=actor, revision=rev)
    assert RollupDirty.objects.count() == 1
    refresh()
    assert figures() == {
        (WEIDU, Quantity.GENERATED, Source.MANIFEST): Decimal("0.360"),
        (WEIDU, Quantity.RECEIVED, Source.MANIFEST): Decimal("0.351"),
        (WEIDU, Quantity.LANDFILLED, Source.MANIFEST): Decimal("0.351"),
    }


def test_saves_that_change_no_figure_mark_nothing_and_read_nothing(w):
    m = run_to(w, State.PICKED_UP)
    refresh()
    m = services.manifest_depart(actor=w.driver, manifest=m)  # a state that counts the same
    assert not RollupDirty.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        m.save(update_fields=["ledger_seq", "ledger_head"])
    assert len(queries) == 1


def declare(region: Region, status: str, *, value="12.5", year=2024) -> Declaration:
    industrial = WasteStream.objects.get(code="industrial")
    d = Declaration.objects.create(
        kind="industrial",
        region=region,
        stream=industrial,
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 12, 31),
        status=status,
    )
    DeclarationLine.objects.create(
        declaration=d,
        item="generated",
        quantity=Quantity.GENERATED,
        value=Decimal(value),
        entered_value=Decimal(value),
        entered_unit="t",
    )
    DeclarationLine.objects.create(  # no waste flow: not counted
        declaration=d,
        item="crop_output",
        quantity="",
        value=Decimal("99"),
        entered_value=Decimal("99"),
        entered_unit="t",
    )
    mark_dirty(region.pk, [d.period_end])
    return d


def set_status(d: Declaration, status: str) -> None:
    """What the declarations services do: change the status, mark the slice."""
    d.status = status
    d.save(update_fields=["status"])
    mark_dirty(d.region_id, [d.period_end])


def test_declarations_count_only_while_submitted_or_accepted():
    town = a_town()
    d = declare(town, DeclarationStatus.DRAFT)
    refresh()
    assert not Rollup.objects.exists()
    seen = {}
    for status in (
        DeclarationStatus.SUBMITTED,
        DeclarationStatus.ACCEPTED,
        DeclarationStatus.RETURNED,
    ):
        set_status(d, status)
        refresh()
        seen[status] = figures()
    counted = {(WEIDU, Quantity.GENERATED, Source.DECLARED): Decimal("12.500")}
    assert seen == {
        DeclarationStatus.SUBMITTED: counted,
        DeclarationStatus.ACCEPTED: counted,
        DeclarationStatus.RETURNED: {},
    }


def test_a_city_wide_declaration_stays_with_the_city_on_its_period_end():
    city = Region.objects.get(level="city")
    declare(city, DeclarationStatus.ACCEPTED, value="3.33335", year=2023)
    refresh()
    row = Rollup.objects.get()
    assert (row.region_id, row.day, row.tonnes) == (
        city.pk,
        dt.date(2023, 12, 31),
        Decimal("3.333"),
    )
    assert RollupMonth.objects.get().month == dt.date(2023, 12, 1)


def test_the_full_rebuild_gives_the_refreshed_tables(w):
    sw = store_world(w)
    store_and_forward(sw, pack=True)
    run_to(w, State.COMPLETED)
    declare(factories.region(CHANGGE), DeclarationStatus.SUBMITTED, year=timezone.localdate().year)
    refresh()
    refreshed = table(Rollup), table(RollupMonth)
    assert refreshed[0]
    result = rebuild()
    assert (result.days, result.months) == (len(refreshed[0]), len(refreshed[1]))
    assert (table(Rollup), table(RollupMonth)) == refreshed
    assert not RollupDirty.objects.exists()


def test_rebuilding_one_year_leaves_the_others_and_their_marks():
    old = declare(factories.region(CHANGGE), DeclarationStatus.ACCEPTED, year=2022)
    declare(factories.region(CHANGGE), DeclarationStatus.ACCEPTED, year=2023)
    refresh()
    set_status(old, DeclarationStatus.RETURNED)  # marks 2022-12-31
    rebuild(2023)
    assert RollupDirty.objects.get().day == dt.date(2022, 12, 31)
    assert set(Rollup.objects.values_list("day__year", flat=True)) == {2022, 2023}
    rebuild(2022)
    assert set(Rollup.objects.values_list("day__year", flat=True)) == {2023}
    assert not RollupDirty.objects.exists()


def test_a_mark_set_again_while_its_slice_is_rebuilt_stays_for_the_next_refresh():
    weidu = factories.region(WEIDU)
    mark_dirty(weidu.pk, [dt.date(2024, 5, 1), dt.date(2024, 5, 2)])
    taken = _take(10, timezone.now())
    assert len(taken) == 2
    mark_dirty(weidu.pk, [dt.date(2024, 5, 2)])  # a writer changes a record meanwhile
    _forget(taken)
    assert list(RollupDirty.objects.values_list("day", flat=True)) == [dt.date(2024, 5, 2)]


def test_marking_is_idempotent_and_ignores_missing_days():
    weidu = factories.region(WEIDU)
    mark_dirty(weidu.pk, [dt.date(2024, 5, 1), None, dt.date(2024, 5, 1)])
    mark_dirty(weidu.pk, [dt.date(2024, 5, 1)])
    mark_dirty(weidu.pk, [None])
    assert RollupDirty.objects.count() == 1


def test_the_command_refreshes_and_rebuilds(w, capsys):
    from django.core.management import call_command

    run_to(w, State.COMPLETED)
    call_command("rollup")
    assert "refreshed 1 slices" in capsys.readouterr().out
    call_command("rollup", "--rebuild", "--year", str(timezone.localdate().year))
    assert "3 daily rows" in capsys.readouterr().out
