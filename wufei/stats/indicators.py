"""Services of the indicator system: custom indicators, targets, and the recomputation of
values from the measures. Every write is here, inside a transaction; pages, API and the
``wufei indicators`` command call these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import scoped_save
from wufei.registry.choices import Confidence, RegionLevel
from wufei.stats.choices import Mandatory, ValueStatus
from wufei.stats.formula import Formula, NoData, Ref, parse
from wufei.stats.measures import Tree, YearFigures, evaluate_year
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue

CUSTOM = "custom"
CUSTOM_FIELDS = (
    "code",
    "name",
    "name_en",
    "level1",
    "level2",
    "unit",
    "formula",
    "direction",
    "department",
    "base_year",
    "source",
    "notes",
)
TARGET_REGION_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.ZONE)
YEARS = range(2000, 2101)
PLACES = Decimal("0.0001")
VALUE_LIMIT = Decimal(10) ** 14  # the value column holds 18 digits, 4 after the point


# --- custom indicators ---------------------------------------------------------------------


def _validate_indicator(indicator: Indicator) -> None:
    formula = parse(indicator.formula)
    if formula.uses_base and indicator.base_year is None:
        raise Invalid(
            [FieldError("base_year", "base_year_required", _("公式使用了 base()，请填写基准年。"))]
        )
    if indicator.base_year is not None and indicator.base_year not in YEARS:
        raise Invalid(
            [FieldError("base_year", "year_out_of_range", _("基准年应在2000—2100之间。"))]
        )


def _next_custom_code() -> str:
    taken = set(Indicator.objects.filter(code__startswith="custom-").values_list("code", flat=True))
    n = len(taken) + 1
    while f"custom-{n}" in taken:
        n += 1
    return f"custom-{n}"


def _ensure_editor(actor) -> None:
    if not may(actor, Action.ADD, Indicator):
        raise NotPermitted(_("只有市级管理人员和平台管理员可以自定义指标。"))


def indicator_create(*, actor, data: Mapping[str, Any]) -> Indicator:
    """A custom indicator (catalogue ``custom``), its formula checked against the measures."""
    _ensure_editor(actor)
    fields = {k: data[k] for k in CUSTOM_FIELDS if k in data}
    if not fields.get("code"):
        fields["code"] = _next_custom_code()
    indicator = Indicator(
        catalogue=CUSTOM,
        confidence=Confidence.PLATFORM,
        mandatory=Mandatory.OPTIONAL,
        computable=True,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        sort_order=9000,
    )
    return scoped_save(
        actor=actor, obj=indicator, creating=True, fields=fields, validate=_validate_indicator
    )


def indicator_update(*, actor, obj: Indicator, data: Mapping[str, Any]) -> Indicator:
    """Change a custom indicator; the catalogues' indicators change only with their data."""
    _ensure_editor(actor)
    if obj.catalogue != CUSTOM:
        raise Invalid(
            [
                FieldError(
                    None, "not_custom", _("只能修改自定义指标；指标体系中的指标随数据文件更新。")
                )
            ]
        )
    fields = {k: data[k] for k in CUSTOM_FIELDS if k in data and k != "code"}
    return scoped_save(
        actor=actor, obj=obj, creating=False, fields=fields, validate=_validate_indicator
    )


def indicator_set_active(*, actor, obj: Indicator, active: bool) -> Indicator:
    """Deactivate (or reactivate) an indicator: an inactive one gets no new values."""
    _ensure_editor(actor)
    return scoped_save(actor=actor, obj=obj, creating=False, fields={"is_active": active})


# --- targets -------------------------------------------------------------------------------


def _validate_target(target: IndicatorTarget) -> None:
    errors = []
    if target.year not in YEARS:
        errors.append(FieldError("year", "year_out_of_range", _("年度应在2000—2100之间。")))
    if target.region.level not in TARGET_REGION_LEVELS:
        errors.append(
            FieldError("region", "region_level", _("目标只能设在市、县（市、区）或功能区。"))
        )
    if abs(target.value) >= VALUE_LIMIT:
        errors.append(FieldError("value", "out_of_range", _("目标值超出范围。")))
    if errors:
        raise Invalid(errors)


def target_set(*, actor, data: Mapping[str, Any]) -> IndicatorTarget:
    """Set the target of (indicator, year, region): create it, or change the existing one.
    County officials set targets in their county, city officials anywhere."""
    keys = {k: data[k] for k in ("indicator", "year", "region")}
    existing = IndicatorTarget.objects.filter(**keys).first()
    fields = {"value": data["value"], "note": data.get("note", "")}
    if existing is not None:
        return scoped_save(
            actor=actor, obj=existing, creating=False, fields=fields, validate=_validate_target
        )
    return scoped_save(
        actor=actor,
        obj=IndicatorTarget(),
        creating=True,
        fields={**keys, **fields},
        validate=_validate_target,
    )


def target_update(*, actor, obj: IndicatorTarget, data: Mapping[str, Any]) -> IndicatorTarget:
    fields = {k: data[k] for k in ("value", "note", "year", "region") if k in data}
    return scoped_save(
        actor=actor, obj=obj, creating=False, fields=fields, validate=_validate_target
    )


# --- values --------------------------------------------------------------------------------


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


class _Inputs:
    """The measure figures of the years an indicator needs, evaluated once per year."""

    def __init__(self, year: int, codes: dict[int, set[str]]):
        self.year = year
        tree = Tree.load()
        self.figures: dict[int, YearFigures] = {
            y: evaluate_year(y, c, tree) for y, c in codes.items()
        }

    @staticmethod
    def years_of(indicator: Indicator, formula: Formula, year: int) -> dict[Ref, int | None]:
        when = {"": year, "prev": year - 1, "base": indicator.base_year}
        return {ref: when[ref.when] for ref in formula.refs}

    def lookup(self, years: dict[Ref, int | None], region_id: int):
        def value(ref: Ref) -> Decimal | None:
            year = years[ref]
            return None if year is None else self.figures[year].get(ref.measure, region_id)

        return value


def _value_row(indicator, formula, years, inputs: _Inputs, region_id: int, year: int):
    row = IndicatorValue(indicator=indicator, year=year, region_id=region_id)
    lookup = inputs.lookup(years, region_id)
    row.inputs = {str(ref): _text(lookup(ref)) for ref in formula.refs}
    if any(y is None for y in years.values()):
        row.status, row.message = ValueStatus.ERROR, _("公式使用了 base()，但指标未设定基准年。")
        return row
    try:
        value = formula.evaluate(lookup).quantize(PLACES, rounding=ROUND_HALF_UP)
    except NoData as exc:
        row.status, row.message = ValueStatus.NO_DATA, exc.message[:300]
        return row
    if abs(value) >= VALUE_LIMIT:
        row.status, row.message = ValueStatus.ERROR, _("计算结果超出可保存的范围。")
        return row
    row.value, row.status = value, ValueStatus.OK
    return row


def recompute_values(year: int, region_ids: Iterable[int] | None = None) -> int:
    """Recompute every active, computable indicator for ``year`` in the city and each county
    and zone (or only ``region_ids`` among them), replacing their stored values in one
    transaction. Returns the number of values stored."""
    indicators = list(Indicator.objects.filter(is_active=True, computable=True))
    parsed: dict[int, Formula | Invalid] = {}
    for indicator in indicators:
        try:
            parsed[indicator.pk] = parse(indicator.formula)
        except Invalid as exc:
            parsed[indicator.pk] = exc
    codes: dict[int, set[str]] = {}
    plans = {}
    for indicator in indicators:
        formula = parsed[indicator.pk]
        if isinstance(formula, Formula):
            years = _Inputs.years_of(indicator, formula, year)
            plans[indicator.pk] = years
            for ref, y in years.items():
                if y is not None:
                    codes.setdefault(y, set()).add(ref.measure)
    inputs = _Inputs(year, codes)
    regions = Tree.load().totals()
    if region_ids is not None:
        wanted = set(region_ids)
        regions = [r for r in regions if r in wanted]
    now = timezone.now()
    rows = []
    for indicator in indicators:
        formula = parsed[indicator.pk]
        for region_id in regions:
            if isinstance(formula, Invalid):
                row = IndicatorValue(
                    indicator=indicator,
                    year=year,
                    region_id=region_id,
                    status=ValueStatus.ERROR,
                    message=str(formula.message)[:300],
                )
            else:
                row = _value_row(indicator, formula, plans[indicator.pk], inputs, region_id, year)
            row.computed_at = now
            rows.append(row)
    with transaction.atomic():
        IndicatorValue.objects.filter(year=year, region_id__in=regions).delete()
        IndicatorValue.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def recompute_for(*, actor, year: int) -> int:
    """Recompute a year on an official's request: the whole city for the city's officials,
    the official's own county otherwise."""
    if not may(actor, Action.CHANGE, IndicatorValue) or not getattr(actor, "is_authenticated", 0):
        raise NotPermitted()
    if year not in YEARS:
        raise Invalid([FieldError("year", "year_out_of_range", _("年度应在2000—2100之间。"))])
    region = getattr(actor, "region", None)
    if region is None:
        return recompute_values(year)
    county = region.county or region
    return recompute_values(year, [county.pk])
