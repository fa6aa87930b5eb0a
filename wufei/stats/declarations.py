"""Declarations (申报): every write and state change, one service each.

A declaration is drafted (``declaration_create``), its lines replaced while it is a draft or
returned (``declaration_update``), submitted by its declarant (``declaration_submit``), and
accepted or returned by a reviewer (``declaration_accept`` / ``declaration_return``): a city
or county official of its region, or an official of the kind's department, never the one who
declared it. Submitted and accepted declarations count in the statistics, so each change of
status marks the rollup slice of (its county, its period's last day) dirty in the same
transaction. Refusals are typed errors with stable codes; nothing is half-written.

The checks of a declaration's content (period, declarant, lines, balance) are plain
functions here, shared with the Excel import (``declaration_import``), so a figure is
refused for the same reason whichever way it came in.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.models import Department
from wufei.accounts.scoping import is_permitted, restrict, role_of
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted, WufeiError
from wufei.core.models import ChangeLog
from wufei.core.services import log_change, snapshot
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Party, Region, WasteCode, WasteStream
from wufei.registry.selectors import light_regions
from wufei.stats import units
from wufei.stats.choices import COUNTED_STATUSES, DeclarationStatus
from wufei.stats.declaration_kinds import (
    ANNUAL,
    BALANCE_TOLERANCE,
    DEPARTMENT,
    MONTHLY,
    PARTY,
    Balance,
    Item,
    Kind,
    get_kind,
    item_stream,
)
from wufei.stats.models import Declaration, DeclarationLine
from wufei.stats.rollups import mark_dirty

FIRST_YEAR = 1990
EDITABLE = (DeclarationStatus.DRAFT, DeclarationStatus.RETURNED)
RETURNABLE = (DeclarationStatus.SUBMITTED, DeclarationStatus.ACCEPTED)
REGION_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.ZONE)
OFFICIALS = (Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL)
CITYWIDE = (Role.ADMIN, Role.CITY_OFFICIAL)


class InvalidTransition(WufeiError):
    code = "invalid_transition"
    status = 409


# --- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One figure as typed: an item (code or label), a value, its unit, a waste code."""

    item: str
    value: Any
    unit: str = ""
    waste_code: str = ""


@dataclass
class DeclarationInput:
    kind: str
    year: int | None
    month: int | None = None
    party: Party | None = None  # party kinds (an enterprise's own party by default)
    region: Region | None = None  # other kinds (the actor's region, or the city, by default)
    lines: list[LineInput] = field(default_factory=list)
    note: str = ""
    origin: str = ""


@dataclass(frozen=True)
class Problem:
    """A refused figure: the lines it concerns (``None``: the declaration as a whole), the
    line field (``value``, ``unit`` …; blank for a rule over several lines), code, message."""

    lines: tuple[int, ...] | None
    field: str
    code: str
    message: str

    def as_field_error(self) -> FieldError:
        if self.lines is None:
            return FieldError(self.field or None, self.code, self.message)
        if len(self.lines) == 1 and self.field:
            return FieldError(f"lines.{self.lines[0]}.{self.field}", self.code, self.message)
        return FieldError("lines", self.code, self.message)


def refuse(problems: Sequence[Problem]) -> None:
    if problems:
        raise Invalid([p.as_field_error() for p in problems])


# --- periods -------------------------------------------------------------------------------


def period_of(kind: Kind, year, month) -> tuple[date, date]:
    """The first and last day of the declared period; refused when malformed, not a period
    the kind is declared for, or not yet over."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise Invalid([FieldError("year", "invalid_period", _("请填写有效的年度。"))]) from None
    if month in ("", None):
        month = None
    else:
        try:
            month = int(month)
        except (TypeError, ValueError):
            month = 0
        if not 1 <= month <= 12:
            raise Invalid([FieldError("month", "invalid_period", _("月份应为 1 至 12。"))])
    if not FIRST_YEAR <= year <= 2100:
        raise Invalid(
            [FieldError("year", "invalid_period", _("年度应不早于 %(y)s 年。") % {"y": FIRST_YEAR})]
        )
    if month is not None and MONTHLY not in kind.periods:
        raise Invalid(
            [FieldError("month", "period_not_allowed", _("本类申报按年度填报，不填月份。"))]
        )
    if month is None and ANNUAL not in kind.periods:
        raise Invalid([FieldError("month", "period_not_allowed", _("本类申报须按月填报。"))])
    if month is None:
        start, end = date(year, 1, 1), date(year, 12, 31)
    else:
        start, end = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if end >= timezone.localdate():
        raise Invalid(
            [
                FieldError(
                    "month" if month is not None else "year",
                    "period_in_future",
                    _("统计期 %(start)s 至 %(end)s 尚未结束，不能申报。")
                    % {"start": start.isoformat(), "end": end.isoformat()},
                )
            ]
        )
    return start, end


def period_label(declaration: Declaration) -> str:
    start, end = declaration.period_start, declaration.period_end
    if start.month == 1 and end.month == 12 and start.year == end.year:
        return _("%(year)s年") % {"year": start.year}
    return _("%(year)s年%(month)s月") % {"year": start.year, "month": start.month}


# --- who declares, who reviews ---------------------------------------------------------------


def city_region() -> Region:
    city = Region.objects.filter(level=RegionLevel.CITY).defer("boundary").order_by("pk").first()
    if city is None:
        raise NotFound(_("未登记市级行政区划。"))
    return city


def _within(region: Region, scope: Region | None) -> bool:
    return scope is not None and (region.path + "/").startswith(scope.path + "/")


def may_declare(actor, kind: Kind) -> bool:
    """Whether ``actor`` may declare ``kind`` for some party or region (menus, choices)."""
    role = role_of(actor)
    if role in OFFICIALS:
        return True
    if role == Role.ENTERPRISE:
        return kind.declarant == PARTY and actor.party_id is not None
    if role == Role.DEPARTMENT_OFFICIAL:
        return kind.declarant == DEPARTMENT and actor.department.code == kind.department
    return False


def declarant_of(
    actor, kind: Kind, party: Party | None, region: Region | None
) -> tuple[Party | None, Region, Department | None]:
    """The party, region and department a declaration of ``kind`` by ``actor`` is for:

    enterprises declare party kinds for their own party; department officials their
    department's kinds for their region (the city when they have none); city officials any
    kind anywhere, county officials any kind in their county. Out of scope: ``NotPermitted``.
    """
    role = role_of(actor)
    denied = NotPermitted(_("您无权为该单位或区划填报此类申报。"))
    if not may_declare(actor, kind):
        raise NotPermitted(_("您无权填报此类申报。"))
    department = None
    if kind.declarant == PARTY:
        if party is None and role == Role.ENTERPRISE:
            party = actor.party
        if party is None:
            raise Invalid([FieldError("party", "required", _("请选择申报单位。"))])
        if role == Role.ENTERPRISE and party.pk != actor.party_id:
            raise denied
        if role == Role.COUNTY_OFFICIAL and not _within(party.region, actor.region):
            raise denied
        return party, party.region, None
    if kind.declarant == DEPARTMENT:
        department = Department.objects.get(code=kind.department)
    if role == Role.DEPARTMENT_OFFICIAL or role == Role.COUNTY_OFFICIAL:
        own = actor.region or city_region()
        if region is not None and region.pk != own.pk:
            raise denied
        region = own
    elif region is None:
        region = city_region()
    if region.level not in REGION_LEVELS:
        raise Invalid(
            [FieldError("region", "invalid_region", _("请选择市或县（市、区）级行政区划。"))]
        )
    return None, region, department


def may_review(actor, declaration: Declaration, *, submitted: set[int] | None = None) -> bool:
    """City officials; county officials of its region; officials of its kind's department
    (in their region, if they have one) — but never its declarant. ``submitted``: who
    submitted it, when the caller has read that already (``submitters``)."""
    kind = get_kind(declaration.kind)
    role = role_of(actor)
    if kind is None:
        return False
    if role in CITYWIDE:
        allowed = True
    elif role == Role.COUNTY_OFFICIAL:
        allowed = _within(declaration.region, actor.region)
    elif role == Role.DEPARTMENT_OFFICIAL and kind.department:
        allowed = actor.department.code == kind.department and (
            actor.region_id is None or _within(declaration.region, actor.region)
        )
    else:
        allowed = False
    return allowed and actor.pk not in declarants(declaration, submitted)


def may_edit(actor, declaration: Declaration) -> bool:
    kind = get_kind(declaration.kind)
    if kind is None or declaration.status not in EDITABLE:
        return False
    try:
        declarant_of(actor, kind, declaration.party, declaration.region)
    except WufeiError:
        return False
    return is_permitted(actor, Action.CHANGE, declaration)


def declarants(declaration: Declaration, submitted: set[int] | None = None) -> set[int]:
    """Users who drafted or submitted ``declaration`` (who may therefore not review it)."""
    if submitted is None:
        submitted = submitters([declaration.pk]).get(declaration.pk, set())
    return ({declaration.created_by_id} if declaration.created_by_id else set()) | submitted


def submitters(pks: Iterable[int]) -> dict[int, set[int]]:
    """Who submitted each of the declarations ``pks`` (from the change log), in one query."""
    rows = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Declaration),
        object_id__in=[str(pk) for pk in pks],
        data__event="submit",
        actor__isnull=False,
    ).values_list("object_id", "actor_id")
    out: dict[int, set[int]] = {}
    for object_id, actor_id in rows:
        out.setdefault(int(object_id), set()).add(actor_id)
    return out


# --- lines ---------------------------------------------------------------------------------


def _stream_ids(codes: Iterable[str]) -> list[int]:
    roots = WasteStream.objects.filter(code__in=list(codes)).values_list("pk", flat=True)
    return WasteStream.descendant_ids(roots)


def codes_for(kind: Kind, start: date, end: date) -> dict[str, WasteCode]:
    """The waste codes a per-code kind may name for a period: codes of its streams, of the
    hazardous list or not as the kind says, in force on some day of the period (the newest
    version where several are)."""
    if not kind.per_code:
        return {}
    rows = (
        WasteCode.objects.filter(category__stream_id__in=_stream_ids(kind.code_streams))
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=end))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=start))
        .select_related("category")
    )
    found: dict[str, WasteCode] = {}
    for code in rows:
        if code.category.code.startswith("HW") != kind.hazardous_codes:
            continue
        best = found.get(code.code)
        if best is None or (code.valid_from or date.min) > (best.valid_from or date.min):
            found[code.code] = code
    return found


def stream_ids_by_code() -> dict[str, int]:
    return dict(WasteStream.objects.values_list("code", "pk"))


@dataclass
class CheckedLine:
    index: int
    item: Item
    waste_code: WasteCode | None
    value: Decimal  # in the item's base unit
    entered_value: Decimal
    entered_unit: str


def check_lines(
    kind: Kind, lines: Sequence[LineInput], codes: dict[str, WasteCode]
) -> tuple[list[CheckedLine], list[Problem]]:
    """Each line on its own: item, waste code, number, sign, unit, and no line twice."""
    checked, problems = [], []
    seen: dict[tuple[str, str], int] = {}
    for index, line in enumerate(lines):
        found = _check_line(kind, index, line, codes)
        if isinstance(found, Problem):
            problems.append(found)
            continue
        key = (found.item.code, found.waste_code.code if found.waste_code else "")
        if key in seen:
            problems.append(
                Problem(
                    (index,),
                    "item",
                    "duplicate_line",
                    _("“%(item)s”%(code)s 重复填报（与第 %(first)s 项相同）。")
                    % {
                        "item": found.item.label,
                        "code": f"（{key[1]}）" if key[1] else "",
                        "first": seen[key] + 1,
                    },
                )
            )
            continue
        seen[key] = index
        checked.append(found)
    return checked, problems


def _check_line(
    kind: Kind, index: int, line: LineInput, codes: dict[str, WasteCode]
) -> CheckedLine | Problem:
    at = (index,)
    item = kind.find_item(line.item)
    if item is None:
        return Problem(
            at,
            "item",
            "unknown_item",
            _("“%(item)s”不是“%(kind)s”的申报项。") % {"item": line.item, "kind": kind.label},
        )
    code_text = str(line.waste_code or "").strip().upper()
    waste_code = None
    if kind.per_code:
        if not code_text:
            return Problem(at, "waste_code", "required", _("请填写废物代码。"))
        waste_code = codes.get(code_text)
        if waste_code is None:
            return Problem(
                at,
                "waste_code",
                "unknown_waste_code",
                _("废物代码“%(code)s”不在%(lists)s中（或在该统计期不适用）。")
                % {"code": code_text, "lists": kind.code_lists},
            )
    elif code_text:
        return Problem(at, "waste_code", "waste_code_not_allowed", _("本类申报不按废物代码填报。"))
    if line.value is None or str(line.value).strip() == "":
        return Problem(at, "value", "required", _("请填写数值。"))
    try:
        entered = units.parse_number(line.value)
        value = units.quantize(entered * units.factor(line.unit, item.unit))
    except Invalid as exc:
        error = exc.errors[0]
        return Problem(at, error.field or "value", error.code, error.message)
    if entered < 0:
        return Problem(at, "value", "negative_value", _("数值不能为负数。"))
    unit = str(line.unit or "").strip() or item.base_unit
    return CheckedLine(index, item, waste_code, value, entered, unit)


def check_rules(kind: Kind, checked: Sequence[CheckedLine]) -> list[Problem]:
    """Rules over several lines: the balance identity per waste code, parts within wholes."""
    groups: dict[str, list[CheckedLine]] = {}
    for line in checked:
        groups.setdefault(line.waste_code.code if line.waste_code else "", []).append(line)
    problems = []
    for code, lines in groups.items():
        values = {line.item.code: line.value for line in lines}
        at = tuple(line.index for line in lines)
        where = f"（{code}）" if code else ""
        if kind.balance is not None:
            problems += _balance(kind, kind.balance, values, at, where)
        for part, whole in kind.parts:
            if part in values and whole in values and values[part] > values[whole]:
                problems.append(
                    Problem(
                        tuple(line.index for line in lines if line.item.code in (part, whole)),
                        "",
                        "part_exceeds_whole",
                        _("%(where)s“%(part)s”（%(pv)s）不能大于“%(whole)s”（%(wv)s）。")
                        % {
                            "where": where,
                            "part": kind.label_of(part),
                            "whole": kind.label_of(whole),
                            "pv": _plain(values[part]),
                            "wv": _plain(values[whole]),
                        },
                    )
                )
    return problems


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _balance(
    kind: Kind, rule: Balance, values: dict[str, Decimal], at: tuple[int, ...], where: str
) -> list[Problem]:
    total = values.get(rule.total, Decimal(0))
    parts = sum((values.get(c, Decimal(0)) for c in rule.plus), Decimal(0)) - sum(
        (values.get(c, Decimal(0)) for c in rule.minus), Decimal(0)
    )
    if abs(total - parts) <= BALANCE_TOLERANCE * max(abs(total), abs(parts)):
        return []
    signs = " + ".join(kind.label_of(c) for c in rule.plus)
    minus = " − ".join(kind.label_of(c) for c in rule.minus)
    return [
        Problem(
            at,
            "",
            "balance_mismatch",
            _(
                "%(where)s产生量 %(total)s 吨与 %(signs)s − %(minus)s = %(parts)s 吨不平衡"
                "（允许误差 1%%）。"
            )
            % {
                "where": where,
                "total": _plain(total),
                "signs": signs,
                "minus": minus,
                "parts": _plain(parts),
            },
        )
    ]


def build_lines(
    kind: Kind, checked: Sequence[CheckedLine], streams: dict[str, int]
) -> list[DeclarationLine]:
    out = []
    for line in checked:
        item, code = line.item, line.waste_code
        stream_id: int | None = streams.get(item_stream(kind, item))
        if code is not None and not item.stream:
            stream_id = code.category.stream_id
        out.append(
            DeclarationLine(
                item=item.code,
                quantity=item.quantity,
                stream_id=stream_id,
                waste_code=code,
                category_id=code.category_id if code is not None else None,
                value=line.value,
                entered_value=line.entered_value,
                entered_unit=line.entered_unit[:16],
            )
        )
    return out


def lines_of(declaration: Declaration) -> list[LineInput]:
    """A declaration's lines as inputs again (to re-check them at submission)."""
    return [
        LineInput(
            item=line.item,
            value=line.entered_value,
            unit=line.entered_unit,
            waste_code=line.waste_code.code if line.waste_code_id else "",
        )
        for line in declaration.lines.select_related("waste_code").order_by("pk")
    ]


# --- checks shared with the import ------------------------------------------------------------


def already_declared(
    kind: Kind,
    party: Party | None,
    region: Region,
    start: date,
    end: date,
    exclude: int | None = None,
) -> Declaration | None:
    """A counted declaration of the same kind and declarant whose period overlaps."""
    rows = Declaration.objects.filter(
        kind=kind.code,
        status__in=COUNTED_STATUSES,
        period_start__lte=end,
        period_end__gte=start,
    )
    rows = rows.filter(party=party) if kind.declarant == PARTY else rows.filter(region=region)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return rows.order_by("pk").first()


def already_declared_error(found: Declaration) -> FieldError:
    return FieldError(
        None,
        "already_declared",
        _(
            "该单位（区划）%(period)s的此类申报已提交（编号 %(pk)s），不能重复申报；"
            "如需更正，请审核人退回后修改。"
        )
        % {"period": period_label(found), "pk": found.pk},
    )


def _kind_of(code: str) -> Kind:
    kind = get_kind(code)
    if kind is None:
        raise Invalid([FieldError("kind", "unknown_kind", _("申报类型不存在。"))])
    return kind


def _checked_lines(
    kind: Kind, lines: Sequence[LineInput], start: date, end: date, *, complete: bool
) -> list[DeclarationLine]:
    checked, problems = check_lines(kind, lines, codes_for(kind, start, end))
    refuse(problems)
    if complete:
        if not checked:
            raise Invalid([FieldError("lines", "no_lines", _("请至少填报一项数值。"))])
        refuse(check_rules(kind, checked))
    return build_lines(kind, checked, stream_ids_by_code())


def _log(actor, declaration: Declaration, action: str, event: str) -> None:
    lines = [
        {
            "item": line.item,
            "waste_code": line.waste_code.code if line.waste_code_id else "",
            "value": str(line.value),
            "entered": f"{line.entered_value} {line.entered_unit}",
        }
        for line in declaration.lines.select_related("waste_code").order_by("pk")
    ]
    data = {**snapshot(declaration), "event": event, "lines": lines}
    log_change(actor=actor, obj=declaration, action=action, data=data)


def _mark(declaration: Declaration) -> None:
    mark_dirty(declaration.region_id, [declaration.period_end])


# --- services ------------------------------------------------------------------------------


def declaration_create(*, actor, data: DeclarationInput, submit: bool = False) -> Declaration:
    """A new declaration with its lines, as a draft or (``submit``) submitted at once."""
    kind = _kind_of(data.kind)
    party, region, department = declarant_of(actor, kind, data.party, data.region)
    start, end = period_of(kind, data.year, data.month)
    with transaction.atomic():
        lines = _checked_lines(kind, data.lines, start, end, complete=submit)
        if submit:
            _lock_declarant(kind, party, region)
            found = already_declared(kind, party, region, start, end)
            if found is not None:
                raise Invalid([already_declared_error(found)])
        now = timezone.now()
        declaration = Declaration.objects.create(
            kind=kind.code,
            party=party,
            department=department,
            region=region,
            stream_id=stream_ids_by_code().get(kind.stream) if kind.stream else None,
            period_start=start,
            period_end=end,
            status=DeclarationStatus.SUBMITTED if submit else DeclarationStatus.DRAFT,
            origin=(data.origin or "")[:120],
            note=(data.note or "")[:300],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now,
            submitted_at=now if submit else None,
        )
        for line in lines:
            line.declaration = declaration
        DeclarationLine.objects.bulk_create(lines)
        if not is_permitted(actor, Action.ADD, declaration):
            raise NotPermitted(_("保存后的记录将超出您的权限范围，未作任何修改。"))
        _log(actor, declaration, "create", "submit" if submit else "create")
        if submit:
            _mark(declaration)
    return declaration


def _lock_declarant(kind: Kind, party: Party | None, region: Region) -> None:
    """Serialise submissions of one declarant, so two cannot both pass ``already_declared``."""
    if kind.declarant == PARTY and party is not None:
        list(Party.objects.select_for_update().filter(pk=party.pk).values_list("pk"))
    else:
        list(Region.objects.select_for_update().filter(pk=region.pk).values_list("pk"))


def _locked(actor, declaration: Declaration | int) -> Declaration:
    pk = declaration.pk if isinstance(declaration, Declaration) else declaration
    visible = restrict(Declaration.objects.select_for_update(), actor, Action.VIEW).order_by()
    found = visible.filter(pk=pk).first()
    if found is None:
        raise NotFound()
    found.region = Region.objects.defer("boundary").get(pk=found.region_id)
    if found.party_id is not None:
        found.party = light_regions(Party.objects.select_related("region"), "region").get(
            pk=found.party_id
        )
    return found


def _ensure_declarant(actor, declaration: Declaration) -> Kind:
    kind = _kind_of(declaration.kind)
    declarant_of(actor, kind, declaration.party, declaration.region)
    if not is_permitted(actor, Action.CHANGE, declaration):
        raise NotPermitted()
    return kind


def _ensure_state(declaration: Declaration, allowed: Iterable[str], message: str) -> None:
    if declaration.status not in allowed:
        raise InvalidTransition(
            _("申报当前状态为“%(status)s”，%(message)s")
            % {"status": declaration.get_status_display(), "message": message}
        )


def declaration_update(
    *,
    actor,
    declaration: Declaration | int,
    lines: Sequence[LineInput],
    note: str | None = None,
    submit: bool = False,
) -> Declaration:
    """Replace the lines (and the note) of a draft or returned declaration; with ``submit``,
    submit it too (both or neither)."""
    with transaction.atomic():
        d = _locked(actor, declaration)
        kind = _ensure_declarant(actor, d)
        _ensure_state(d, EDITABLE, _("只有草稿或已退回的申报可以修改。"))
        new_lines = _checked_lines(kind, lines, d.period_start, d.period_end, complete=False)
        d.lines.all().delete()
        for line in new_lines:
            line.declaration = d
        DeclarationLine.objects.bulk_create(new_lines)
        if note is not None:
            d.note = note[:300]
            d.save(update_fields=["note"])
        _log(actor, d, "update", "update")
        if submit:
            d = declaration_submit(actor=actor, declaration=d)
    return d


def declaration_submit(*, actor, declaration: Declaration | int) -> Declaration:
    """The declarant submits: every rule is checked again, and no other declaration of the
    same kind, declarant and period may count already."""
    with transaction.atomic():
        d = _locked(actor, declaration)
        kind = _ensure_declarant(actor, d)
        _ensure_state(d, EDITABLE, _("不能提交。"))
        period_of(kind, d.period_start.year, None if _annual(d) else d.period_start.month)
        _checked_lines(kind, lines_of(d), d.period_start, d.period_end, complete=True)
        _lock_declarant(kind, d.party, d.region)
        found = already_declared(kind, d.party, d.region, d.period_start, d.period_end, d.pk)
        if found is not None:
            raise Invalid([already_declared_error(found)])
        d.status = DeclarationStatus.SUBMITTED
        d.submitted_at = timezone.now()
        d.reviewed_by, d.reviewed_at, d.review_note = None, None, ""
        d.save(
            update_fields=["status", "submitted_at", "reviewed_by", "reviewed_at", "review_note"]
        )
        _log(actor, d, "update", "submit")
        _mark(d)
    return d


def _annual(d: Declaration) -> bool:
    return d.period_start.month == 1 and d.period_end.month == 12


def _review(actor, declaration, *, allowed, status: str, note: str, event: str) -> Declaration:
    with transaction.atomic():
        d = _locked(actor, declaration)
        if not may_review(actor, d):
            raise NotPermitted(
                _(
                    "您不能审核此申报（审核人须为所在地市、县管理人员或主管部门人员，且不是申报人）。"
                )
            )
        _ensure_state(d, allowed, _("不能执行此审核操作。"))
        d.status = status
        d.reviewed_by = actor
        d.reviewed_at = timezone.now()
        d.review_note = note[:300]
        d.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        _log(actor, d, "update", event)
        _mark(d)
    return d


def declaration_accept(*, actor, declaration: Declaration | int, note: str = "") -> Declaration:
    """A reviewer accepts a submitted declaration (it keeps counting)."""
    return _review(
        actor,
        declaration,
        allowed=(DeclarationStatus.SUBMITTED,),
        status=DeclarationStatus.ACCEPTED,
        note=note or "",
        event="accept",
    )


def declaration_return(*, actor, declaration: Declaration | int, note: str) -> Declaration:
    """A reviewer returns a submitted (or accepted) declaration with the reason; it stops
    counting until its declarant corrects and submits it again."""
    if not (note or "").strip():
        raise Invalid([FieldError("note", "required", _("请填写退回原因。"))])
    return _review(
        actor,
        declaration,
        allowed=RETURNABLE,
        status=DeclarationStatus.RETURNED,
        note=note.strip(),
        event="return",
    )
