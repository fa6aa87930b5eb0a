"""Declaration services: who declares and reviews what, the lifecycle and its rollup marks,
and every refusal (with its code and field) leaving nothing written.

``declaration_world()`` is the small world the other declaration tests reuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

import pytest
from django.utils import timezone

from wufei.accounts.models import Department, User
from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.core.models import ChangeLog
from wufei.manifests.tests.world import user
from wufei.registry.models import CodeList, Party, Region, WasteCategory, WasteCode
from wufei.registry.tests import factories
from wufei.stats import declarations as s
from wufei.stats.choices import DeclarationStatus, Quantity
from wufei.stats.declarations import DeclarationInput, LineInput
from wufei.stats.models import Declaration, DeclarationLine, RollupDirty

pytestmark = pytest.mark.django_db

WEIDU, CHANGGE, CITY = "411002", "411082", "411000"
IND_CODE = "311-001-S05"  # a general industrial code of the test code list
HW_CODE = "900-041-49"
YEAR = timezone.localdate().year - 1


@dataclass
class World:
    weidu: Region
    changge: Region
    city_region: Region
    factory: Party  # in 魏都区
    other: Party  # in 长葛市
    ent: User
    ent_other: User
    county_weidu: User
    county_changge: User
    city: User
    city2: User
    ecology: User
    agriculture: User
    agriculture_weidu: User
    housing: User
    public: User


def industrial_code() -> WasteCode:
    code_list, _ = CodeList.objects.get_or_create(
        key="nonhaz-codes-test",
        version="2024",
        defaults={"name": "测试一般工业固废代码", "source": "tests", "confidence": "platform"},
    )
    code, _ = WasteCode.objects.get_or_create(
        code=IND_CODE,
        code_list=code_list,
        defaults={
            "name": "钢渣",
            "category": WasteCategory.objects.get(code="S01-S59"),
            "confidence": "platform",
        },
    )
    return code


def declaration_world() -> World:
    industrial_code()
    weidu, changge = factories.region(WEIDU), factories.region(CHANGGE)
    factory = cast(Party, factories.PartyFactory(name="魏都钢铁", region=weidu))
    other = cast(Party, factories.PartyFactory(name="长葛铝业", region=changge))
    department = Department.objects.get
    return World(
        weidu=weidu,
        changge=changge,
        city_region=factories.region(CITY),
        factory=factory,
        other=other,
        ent=user(role="enterprise", party=factory),
        ent_other=user(role="enterprise", party=other),
        county_weidu=user(role="county", region=weidu),
        county_changge=user(role="county", region=changge),
        city=user(role="city"),
        city2=user(role="city"),
        ecology=user(role="department", department=department(code="ecology")),
        agriculture=user(role="department", department=department(code="agriculture")),
        agriculture_weidu=user(
            role="department", department=department(code="agriculture"), region=weidu
        ),
        housing=user(role="department", department=department(code="housing")),
        public=user(role="public"),
    )


def industrial_lines(generated="100", **overrides) -> list[LineInput]:
    """A balanced industrial declaration: 100 = (70 − 5) + 10 + (20 + 10 − 5) + 0."""
    values = {
        "generated": generated,
        "utilised": "70",
        "utilised_prior": "5",
        "stored": "10",
        "disposed_landfill": "20",
        "disposed_other": "10",
        "disposed_prior": "5",
    }
    values.update(overrides)
    return [
        LineInput(item=item, value=value, unit="t", waste_code=IND_CODE)
        for item, value in values.items()
        if value is not None
    ]


def industrial(w: World, **kwargs) -> DeclarationInput:
    values: dict[str, Any] = dict(kind="industrial", year=YEAR, lines=industrial_lines())
    values.update(kwargs)
    return DeclarationInput(**values)


@pytest.fixture
def w() -> World:
    return declaration_world()


def counts() -> tuple[int, ...]:
    """What a refusal must leave unchanged."""
    return tuple(m.objects.count() for m in (Declaration, DeclarationLine, ChangeLog, RollupDirty))


def refused(exc_info, code: str, field: str | None) -> None:
    errors = [(e.code, e.field) for e in exc_info.value.errors]
    assert (code, field) in errors, errors


# --- the lifecycle -------------------------------------------------------------------------


def test_enterprise_drafts_changes_and_submits_its_industrial_declaration(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w))
    assert (d.status, d.party, d.region, d.department) == ("draft", w.factory, w.weidu, None)
    assert (d.period_start, d.period_end) == (date(YEAR, 1, 1), date(YEAR, 12, 31))
    assert d.stream.code == "industrial"
    assert not RollupDirty.objects.exists()  # a draft counts nothing
    lines = industrial_lines(generated="101000", utilised="71000")
    for i, line in enumerate(lines):
        if line.item in ("generated", "utilised"):
            lines[i] = LineInput(line.item, line.value, "千克", IND_CODE)
    s.declaration_update(actor=w.ent, declaration=d, lines=lines, note="更正")
    generated = d.lines.get(item="generated")
    assert (generated.value, generated.entered_value, generated.entered_unit) == (
        Decimal("101"),
        Decimal("101000"),
        "千克",
    )
    assert generated.quantity == Quantity.GENERATED
    assert generated.stream.code == "industrial"
    assert generated.category.code == "S01-S59"
    assert generated.waste_code.code == IND_CODE
    s.declaration_submit(actor=w.ent, declaration=d)
    d.refresh_from_db()
    assert d.status == DeclarationStatus.SUBMITTED and d.submitted_at is not None
    assert RollupDirty.objects.filter(region=w.weidu, day=date(YEAR, 12, 31)).exists()
    events = list(
        ChangeLog.objects.filter(object_id=str(d.pk)).order_by("id").values_list("data", flat=True)
    )
    assert [e["event"] for e in events] == ["create", "update", "submit"]
    assert events[1]["lines"][0]["entered"].endswith("千克")


def test_accept_and_return_mark_the_rollup_slice_and_a_returned_one_is_resubmitted(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    assert RollupDirty.objects.filter(region=w.weidu, day=d.period_end).count() == 1
    RollupDirty.objects.all().delete()
    s.declaration_accept(actor=w.ecology, declaration=d.pk, note="无误")
    d.refresh_from_db()
    assert (d.status, d.reviewed_by, d.review_note) == ("accepted", w.ecology, "无误")
    assert RollupDirty.objects.filter(region=w.weidu, day=d.period_end).exists()
    RollupDirty.objects.all().delete()
    s.declaration_return(actor=w.county_weidu, declaration=d.pk, note="贮存量有误")
    d.refresh_from_db()
    assert (d.status, d.review_note) == ("returned", "贮存量有误")
    assert RollupDirty.objects.filter(region=w.weidu, day=d.period_end).exists()
    s.declaration_update(actor=w.ent, declaration=d, lines=industrial_lines())
    s.declaration_submit(actor=w.ent, declaration=d)
    d.refresh_from_db()
    assert d.status == "submitted" and d.reviewed_by is None


def test_a_town_party_marks_its_county(w):
    town = Region.objects.filter(parent=w.weidu).first()
    w.factory.region = town
    w.factory.save()
    d = s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    assert d.region == town
    assert RollupDirty.objects.filter(region=w.weidu, day=d.period_end).exists()


def test_department_kinds_declare_for_the_city_or_the_bureau_region(w):
    lines = [
        LineInput("straw_collectable", "1000"),
        LineInput("秸秆综合利用量", "0.09", "万吨"),
        LineInput("villages_total", "120", "个"),
    ]
    city_wide = s.declaration_create(
        actor=w.agriculture,
        data=DeclarationInput(kind="agriculture", year=YEAR, lines=lines),
        submit=True,
    )
    assert (city_wide.region, city_wide.department.code) == (w.city_region, "agriculture")
    assert city_wide.stream.code == "agricultural"
    straw = city_wide.lines.get(item="straw_utilised")
    assert (straw.value, straw.stream.code, straw.quantity) == (
        Decimal("900"),
        "agricultural-straw",
        "utilised",
    )
    assert city_wide.lines.get(item="villages_total").quantity == ""
    county = s.declaration_create(
        actor=w.agriculture_weidu,
        data=DeclarationInput(kind="agriculture", year=YEAR, lines=lines),
    )
    assert county.region == w.weidu
    assert RollupDirty.objects.filter(region=w.city_region).exists()


def test_history_is_monthly_with_a_stream_per_item(w):
    d = s.declaration_create(
        actor=w.county_weidu,
        data=DeclarationInput(
            kind="history",
            year=YEAR,
            month=3,
            lines=[LineInput("generated_household", "3200"), LineInput("generated_medical", "12")],
        ),
        submit=True,
    )
    assert (d.period_start, d.period_end, d.region, d.stream) == (
        date(YEAR, 3, 1),
        date(YEAR, 3, 31),
        w.weidu,
        None,
    )
    assert {line.item: line.stream.code for line in d.lines.all()} == {
        "generated_household": "household",
        "generated_medical": "medical",
    }
    assert RollupDirty.objects.filter(region=w.weidu, day=date(YEAR, 3, 31)).exists()


def test_hazardous_lines_take_the_stream_of_their_code(w):
    d = s.declaration_create(
        actor=w.ent,
        data=DeclarationInput(
            kind="hazardous",
            year=YEAR,
            lines=[
                LineInput("generated", "12", "t", HW_CODE),
                LineInput("generated", "0.5", "t", "841-001-01"),
                LineInput("transferred", "11", "t", HW_CODE),
            ],
        ),
    )
    streams = {(line.item, line.waste_code.code): line for line in d.lines.all()}
    assert streams[("generated", HW_CODE)].stream.code == "hazardous"
    assert streams[("generated", "841-001-01")].stream.code == "medical"
    assert streams[("transferred", HW_CODE)].quantity == ""


# --- who ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, kind, target, error",
    [
        ("ent", "agriculture", None, NotPermitted),
        ("ent", "industrial", "other", NotPermitted),
        ("agriculture", "housing", None, NotPermitted),
        ("agriculture", "statistics", None, NotPermitted),
        ("ecology", "industrial", "factory", NotPermitted),
        ("public", "statistics", None, NotPermitted),
        ("county_weidu", "industrial", "other", NotPermitted),
        ("county_weidu", "statistics", "changge", NotPermitted),
        ("agriculture_weidu", "agriculture", "changge", NotPermitted),
    ],
)
def test_who_may_not_declare(w, who, kind, target, error):
    before = counts()
    target_obj = getattr(w, target) if target else None
    data = DeclarationInput(kind=kind, year=YEAR, lines=[])
    if isinstance(target_obj, Party):
        data.party = target_obj
    elif target_obj is not None:
        data.region = target_obj
    with pytest.raises(error):
        s.declaration_create(actor=getattr(w, who), data=data)
    assert counts() == before


@pytest.mark.parametrize(
    "who, kind, target, region",
    [
        ("ent", "hazardous", None, WEIDU),
        ("county_weidu", "industrial", "factory", WEIDU),
        ("city", "industrial", "other", CHANGGE),
        ("county_weidu", "statistics", None, WEIDU),
        ("city", "statistics", "changge", CHANGGE),
        ("city", "statistics", None, CITY),
        ("housing", "sludge", None, CITY),
        ("city", "postal", "weidu", WEIDU),
    ],
)
def test_who_may_declare(w, who, kind, target, region):
    target_obj = getattr(w, target) if target else None
    data = DeclarationInput(kind=kind, year=YEAR)
    if isinstance(target_obj, Party):
        data.party = target_obj
    elif target_obj is not None:
        data.region = target_obj
    d = s.declaration_create(actor=getattr(w, who), data=data)
    assert d.region.adcode == region


def test_reviewers(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    for actor, allowed in [
        (w.ent, False),
        (w.ent_other, False),
        (w.county_weidu, True),
        (w.county_changge, False),
        (w.city, True),
        (w.ecology, True),
        (w.agriculture, False),
        (w.housing, False),
        (w.public, False),
    ]:
        assert s.may_review(actor, d) is allowed, actor
    for outsider in (w.agriculture, w.county_changge):
        with pytest.raises(NotFound):  # cannot even see it
            s.declaration_accept(actor=outsider, declaration=d.pk)
    with pytest.raises(NotPermitted):
        s.declaration_accept(actor=w.ent, declaration=d.pk)
    assert Declaration.objects.get(pk=d.pk).status == "submitted"


def test_the_declarant_never_reviews_its_own_declaration(w):
    data = DeclarationInput(kind="statistics", year=YEAR, lines=[LineInput("gdp", "4.4", "亿元")])
    d = s.declaration_create(actor=w.city, data=data, submit=True)
    assert d.lines.get().value == Decimal("44000")
    with pytest.raises(NotPermitted):
        s.declaration_accept(actor=w.city, declaration=d.pk)
    s.declaration_accept(actor=w.city2, declaration=d.pk)
    # a county official who submitted a city official's draft is a declarant too
    draft = s.declaration_create(
        actor=w.county_weidu,
        data=DeclarationInput(kind="statistics", year=YEAR - 1, lines=[LineInput("gdp", "1")]),
    )
    s.declaration_submit(actor=w.city, declaration=draft)
    assert s.declarants(draft) == {w.county_weidu.pk, w.city.pk}
    assert not s.may_review(w.city, draft) and not s.may_review(w.county_weidu, draft)
    assert s.may_review(w.city2, draft)


# --- refusals -------------------------------------------------------------------------------


def test_a_second_declaration_of_the_same_period_is_already_declared(w):
    first = s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    before = counts()
    with pytest.raises(Invalid) as exc:
        s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    refused(exc, "already_declared", None)
    assert counts() == before
    draft = s.declaration_create(actor=w.county_weidu, data=industrial(w, party=w.factory))
    with pytest.raises(Invalid) as exc:
        s.declaration_submit(actor=w.ent, declaration=draft)
    refused(exc, "already_declared", None)
    s.declaration_return(actor=w.ecology, declaration=first, note="重报")
    s.declaration_submit(actor=w.ent, declaration=draft)  # the returned one counts no more


def test_a_monthly_declaration_overlapping_an_annual_one_is_already_declared(w):
    s.declaration_create(
        actor=w.housing,
        data=DeclarationInput(kind="sludge", year=YEAR, lines=[LineInput("sludge_generated", "9")]),
        submit=True,
    )
    with pytest.raises(Invalid) as exc:
        s.declaration_create(
            actor=w.housing,
            data=DeclarationInput(
                kind="sludge", year=YEAR, month=5, lines=[LineInput("sludge_generated", "1")]
            ),
            submit=True,
        )
    refused(exc, "already_declared", None)


@pytest.mark.parametrize(
    "lines, code, field",
    [
        (industrial_lines(generated="-1"), "negative_value", "lines.0.value"),
        (industrial_lines(generated="abc"), "invalid_number", "lines.0.value"),
        (industrial_lines(generated=""), "required", "lines.0.value"),
        ([LineInput("产量", "1", "t", IND_CODE)], "unknown_item", "lines.0.item"),
        (
            [LineInput("generated", "1", "t", "999-999-S05")],
            "unknown_waste_code",
            "lines.0.waste_code",
        ),
        ([LineInput("generated", "1", "t", HW_CODE)], "unknown_waste_code", "lines.0.waste_code"),
        ([LineInput("generated", "1", "t", "")], "required", "lines.0.waste_code"),
        ([LineInput("generated", "1", "m²", IND_CODE)], "unit_not_convertible", "lines.0.unit"),
        (
            [LineInput("generated", "1", "t", IND_CODE), LineInput("产生量", "2", "t", IND_CODE)],
            "duplicate_line",
            "lines.1.item",
        ),
        (industrial_lines(generated="120"), "balance_mismatch", "lines"),
        (industrial_lines(utilised_prior="80", generated="25"), "part_exceeds_whole", "lines"),
        ([], "no_lines", "lines"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(w, lines, code, field):
    before = counts()
    with pytest.raises(Invalid) as exc:
        s.declaration_create(actor=w.ent, data=industrial(w, lines=lines), submit=True)
    refused(exc, code, field)
    assert all(e.message for e in exc.value.errors)
    assert counts() == before


def test_the_balance_allows_one_percent(w):
    s.declaration_create(
        actor=w.ent, data=industrial(w, lines=industrial_lines("100.9")), submit=True
    )
    with pytest.raises(Invalid) as exc:
        s.declaration_create(
            actor=w.ent,
            data=industrial(w, year=YEAR - 1, lines=industrial_lines("101.2")),
            submit=True,
        )
    refused(exc, "balance_mismatch", "lines")


def test_a_draft_may_be_incomplete_but_is_checked_at_submission(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w, lines=industrial_lines("120")))
    with pytest.raises(Invalid) as exc:
        s.declaration_submit(actor=w.ent, declaration=d)
    refused(exc, "balance_mismatch", "lines")
    assert Declaration.objects.get(pk=d.pk).status == "draft"
    assert not RollupDirty.objects.exists()


@pytest.mark.parametrize(
    "kind, year, month, code, field",
    [
        ("industrial", timezone.localdate().year, None, "period_in_future", "year"),
        ("industrial", timezone.localdate().year + 1, None, "period_in_future", "year"),
        ("industrial", YEAR, 5, "period_not_allowed", "month"),
        ("industrial", YEAR, 13, "invalid_period", "month"),
        ("industrial", 1900, None, "invalid_period", "year"),
        ("industrial", "二〇二四", None, "invalid_period", "year"),
        ("nonsense", YEAR, None, "unknown_kind", "kind"),
    ],
)
def test_bad_periods_are_refused(w, kind, year, month, code, field):
    before = counts()
    with pytest.raises(Invalid) as exc:
        s.declaration_create(actor=w.ent, data=industrial(w, kind=kind, year=year, month=month))
    refused(exc, code, field)
    assert counts() == before


def test_the_current_month_is_not_over(w):
    today = timezone.localdate()
    with pytest.raises(Invalid) as exc:
        s.declaration_create(
            actor=w.housing,
            data=DeclarationInput(kind="sludge", year=today.year, month=today.month),
        )
    refused(exc, "period_in_future", "month")


def test_only_drafts_and_returned_declarations_change(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    with pytest.raises(s.InvalidTransition):
        s.declaration_update(actor=w.ent, declaration=d, lines=industrial_lines())
    with pytest.raises(s.InvalidTransition):
        s.declaration_submit(actor=w.ent, declaration=d)
    s.declaration_accept(actor=w.ecology, declaration=d)
    with pytest.raises(s.InvalidTransition):
        s.declaration_accept(actor=w.city, declaration=d)
    with pytest.raises(Invalid) as exc:
        s.declaration_return(actor=w.city, declaration=d, note=" ")
    refused(exc, "required", "note")
    with pytest.raises(NotPermitted):  # a reviewer does not edit figures
        s.declaration_update(actor=w.ecology, declaration=d, lines=industrial_lines())
