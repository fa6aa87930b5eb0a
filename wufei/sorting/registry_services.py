"""Writes of the sorting registry and the guides' roster (plan tasks 4 and 10): compounds and
villages, households with one printable code each (一户一码), stations with their fixed times
(定时定点), the guides (督导员) with their stations, shifts, inspections and training.

Every function takes the acting user (``actor``) and, where time matters, the day (``today``)
or the moment (``now``) — a controllable clock. Bad input is refused with a typed
:class:`~wufei.core.errors.Invalid` and stable codes before anything is written; the actor's
right is checked on the row inside the transaction, so a refused write leaves nothing behind;
every write is logged. Officials (administrators, the city, county governments and the urban
management bureau) manage the registry; a guide's account registers households, checks in to
its own shifts and records station checks in its own street.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import ensure_permitted, is_permitted, may, role_of
from wufei.cases.services import check_photo, check_place
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted, WufeiError
from wufei.core.services import log_change, scoped_save
from wufei.registry.choices import DeviceKind, RegionLevel, SiteKind
from wufei.registry.models import Region
from wufei.sorting.absorb import match_unregistered
from wufei.sorting.models import (
    Attendance,
    Community,
    CommunityKind,
    Guide,
    Household,
    Shift,
    ShiftStatus,
    Station,
    StationCheck,
    Training,
)

# Officials who manage the registry; the row scope (county, the bureau's streams) narrows it.
MANAGER_ROLES = frozenset(
    {Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL, Role.DEPARTMENT_OFFICIAL}
)

SEQ_DIGITS = 4
SEQ_MAX = 10**SEQ_DIGITS - 1  # codes H/C + 6 digits + 0000..9999
CARD_PREFIX = "XC"
UNIT_MAX = Household._meta.get_field("unit").max_length or 40

PHONE_DIGITS = re.compile(r"^1\d{10}$")
PHONE_MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")
TIME_TEXT = re.compile(r"^(\d{1,2}):(\d{2})$")

PLAN_MAX_DAYS = 92
CHECK_IN_EARLY = timedelta(minutes=30)
FUTURE_TOLERANCE = timedelta(minutes=5)

# Shift states: from-state → states it may move to.
SHIFT_MOVES: dict[str, tuple[str, ...]] = {
    ShiftStatus.PLANNED: (ShiftStatus.ON_DUTY, ShiftStatus.ABSENT),
    ShiftStatus.ABSENT: (ShiftStatus.ON_DUTY,),  # an official's correction: present after all
    ShiftStatus.ON_DUTY: (),
}


class InvalidTransition(WufeiError):
    code = "invalid_transition"
    status = 409


# --- helpers -------------------------------------------------------------------------------------


def _invalid(field: str | None, code: str, message: str) -> Invalid:
    return Invalid([FieldError(field, code, message)])


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(errors)


def is_manager(actor) -> bool:
    return role_of(actor) in MANAGER_ROLES


def ensure_manager(actor) -> None:
    """Managing the registry and the roster is officials' work, whatever the row scope says."""
    if not is_manager(actor):
        raise NotPermitted(_("只有管理人员可以维护分类小区、投放点和督导员名册。"))


def _ensure_in_scope(actor, obj, action: str) -> None:
    """Refuse a row the actor may not write; raised inside the transaction, so it rolls back."""
    if not is_permitted(actor, action, obj):
        raise NotPermitted(_("该记录超出您的权限范围，未作任何修改。"))


def _visible(actor, obj) -> None:
    """Rows the actor may not even see answer like missing ones."""
    if obj is None or obj.pk is None or not is_permitted(actor, Action.VIEW, obj):
        raise NotFound()


def _locked(model, obj, actor):
    """``obj`` re-read under a row lock, checked for view and change."""
    row = model._default_manager.select_for_update().filter(pk=obj.pk).first()
    if row is None or not is_permitted(actor, Action.VIEW, row):
        raise NotFound()
    ensure_permitted(actor, Action.CHANGE, row)
    return row


def guide_of(actor) -> Guide | None:
    """The roster entry linked to a guide's account, if any."""
    if not getattr(actor, "is_authenticated", False):
        return None
    return Guide.objects.filter(user=actor).first()


def within(region: Region, outer: Region) -> bool:
    """Whether ``region`` is ``outer`` or lies below it."""
    return region.path == outer.path or region.path.startswith(f"{outer.path}/")


def mask_phone(value: str | None, *, field: str = "phone") -> str:
    """An 11-digit mobile number stored masked (138****1234); an already masked one kept.

    Anything else is refused: the registry never keeps a full number."""
    text = re.sub(r"[\s-]", "", value or "")
    if not text:
        return ""
    if PHONE_DIGITS.match(text):
        return f"{text[:3]}****{text[-4:]}"
    if PHONE_MASKED.match(text):
        return text
    raise _invalid(
        field,
        "phone_invalid",
        _("手机号须为 11 位数字（将脱敏保存为 138****1234 形式），或已脱敏的号码。"),
    )


# --- communities ---------------------------------------------------------------------------------

COMMUNITY_FIELDS = (
    "kind",
    "name",
    "region",
    "site",
    "committee",
    "households_total",
    "is_pilot",
    "sorting_since",
    "coarse_sorting",
    "collection_covered",
    "lon",
    "lat",
    "is_active",
)
SITE_KIND_OF: dict[str, str] = {
    CommunityKind.COMPOUND: SiteKind.COMMUNITY,
    CommunityKind.VILLAGE: SiteKind.VILLAGE,
}


def _check_community(community: Community) -> None:
    """A compound under a street, a village under a town, its site of the matching kind in
    the same place, the committee a community party, 大类粗分 only in villages."""
    errors: list[FieldError] = []
    region = community.region
    if region.level != RegionLevel.TOWN:
        errors.append(
            FieldError("region", "region_not_town", _("分类小区（村）须登记在街道（乡镇）之下。"))
        )
    site = community.site
    if site is not None:
        if site.kind != SITE_KIND_OF.get(community.kind):
            errors.append(
                FieldError(
                    "site",
                    "site_kind_mismatch",
                    _("登记场所须为%(kind)s类场所。")
                    % {"kind": SiteKind(SITE_KIND_OF[community.kind]).label},
                )
            )
        if not (within(site.region, region) or within(region, site.region)):
            errors.append(
                FieldError(
                    "site",
                    "site_outside_region",
                    _("登记场所不在%(region)s。") % {"region": region},
                )
            )
    committee = community.committee
    if committee is not None and not committee.is_community:
        errors.append(
            FieldError("committee", "committee_not_community", _("请选择登记为社区/村的单位。"))
        )
    if community.coarse_sorting and community.kind != CommunityKind.VILLAGE:
        errors.append(
            FieldError(
                "coarse_sorting",
                "coarse_sorting_village_only",
                _("大类粗分只适用于行政村。"),
            )
        )
    check_place(region, community.lon, community.lat, errors=errors)
    _raise(errors)


def _community_save(*, actor, obj: Community, creating: bool, data: dict) -> Community:
    ensure_manager(actor)
    fields = {k: v for k, v in data.items() if k in COMMUNITY_FIELDS}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    name = fields.get("name", obj.name)
    region = fields.get("region") or (obj.region if obj.region_id else None)
    if name and region is not None:
        taken = Community.objects.filter(region=region, name=name).exclude(pk=obj.pk)
        if taken.exists():
            raise _invalid(
                "name",
                "name_taken",
                _("%(region)s已有名为“%(name)s”的小区（村）。") % {"region": region, "name": name},
            )
    return scoped_save(
        actor=actor, obj=obj, creating=creating, fields=fields, validate=_check_community
    )


def community_create(*, actor, data: dict) -> Community:
    return _community_save(actor=actor, obj=Community(), creating=True, data=data)


def community_update(*, actor, obj: Community, data: dict) -> Community:
    return _community_save(actor=actor, obj=obj, creating=False, data=data)


# --- households ----------------------------------------------------------------------------------


def code_prefix(community: Community) -> str:
    """``H`` + the registered site's id for a compound or village with a site (the codes the
    smart bins send), else ``C`` + the community's id; six digits either way."""
    if community.site_id:
        return f"H{community.site_id:06d}"
    return f"C{community.pk:06d}"


def card_prefix(community: Community) -> str:
    return f"{CARD_PREFIX}{community.pk:06d}"


def _next_seq(field: str, prefix: str) -> int:
    """The sequence after the highest ``prefix`` + 4 digits already used (0 if none)."""
    width = len(prefix) + SEQ_DIGITS
    used = (
        Household.objects.filter(**{f"{field}__startswith": prefix})
        .order_by(f"-{field}")
        .values_list(field, flat=True)
    )
    for value in used.iterator(chunk_size=100):
        tail = value[len(prefix) :]
        if len(value) == width and tail.isdigit():
            return int(tail) + 1
    return 0


def next_code(community: Community) -> str:
    """The code the next household of ``community`` would get (shown on the form)."""
    prefix = code_prefix(community)
    return f"{prefix}{_next_seq('code', prefix):0{SEQ_DIGITS}d}"


@dataclass(frozen=True)
class NewHousehold:
    unit: str = ""
    phone: str = ""


def _register(
    *,
    actor,
    community: Community,
    rows: Sequence[NewHousehold],
    with_cards: bool,
    today: date,
) -> list[Household]:
    if not may(actor, Action.ADD, Household):
        raise NotPermitted(_("您无权登记住户。"))
    _visible(actor, community)
    with transaction.atomic():
        locked = Community.objects.select_for_update().get(pk=community.pk)
        if not locked.is_active:
            raise _invalid("community", "community_inactive", _("该小区（村）已停用。"))
        prefix = code_prefix(locked)
        first = _next_seq("code", prefix)
        if first + len(rows) - 1 > SEQ_MAX:
            raise _invalid(
                "count",
                "too_many",
                _("本小区（村）户码最多 %(max)s 个，还可登记 %(left)s 户。")
                % {"max": SEQ_MAX + 1, "left": max(SEQ_MAX + 1 - first, 0)},
            )
        cards = card_prefix(locked)
        first_card = _next_seq("card_number", cards) if with_cards else 0
        if with_cards and first_card + len(rows) - 1 > SEQ_MAX:
            raise _invalid("with_cards", "too_many", _("本小区（村）卡号已用完。"))
        households = [
            Household(
                community=locked,
                code=f"{prefix}{first + i:0{SEQ_DIGITS}d}",
                card_number=f"{cards}{first_card + i:0{SEQ_DIGITS}d}" if with_cards else None,
                unit=row.unit,
                phone_masked=row.phone,
                registered_on=today,
            )
            for i, row in enumerate(rows)
        ]
        # One bulk insert (SQLite splits it into statements of at most 999 variables).
        created = Household.objects.bulk_create(households)
        # Every row is in the same community, so one row answers for all of them.
        probe = Household.objects.filter(code=created[0].code).first()
        if probe is None or not is_permitted(actor, Action.ADD, probe):
            raise NotPermitted(_("该小区（村）超出您的权限范围，未登记任何住户。"))
        matched = match_unregistered(created)
        log_change(
            actor=actor,
            obj=locked,
            action="register",
            data={
                "households": len(created),
                "first": created[0].code,
                "last": created[-1].code,
                "cards": with_cards,
                "matched_drops": matched,
            },
        )
    return created


def households_register(
    *,
    actor,
    community: Community,
    count: int,
    unit_labels: Sequence[str] | None = None,
    with_cards: bool = False,
    today: date,
) -> list[Household]:
    """Register ``count`` households of ``community`` in one bulk insert, with codes
    continuing the community's sequence (and card numbers if ``with_cards``); ``unit_labels``,
    when given, is one door label per household."""
    errors: list[FieldError] = []
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise _invalid("count", "count_invalid", _("登记户数须为正整数。"))
    if count > SEQ_MAX + 1:
        raise _invalid("count", "too_many", _("一次最多登记 %(max)s 户。") % {"max": SEQ_MAX + 1})
    units = [str(u).strip() for u in unit_labels] if unit_labels is not None else [""] * count
    if len(units) != count:
        errors.append(
            FieldError(
                "unit_labels",
                "unit_labels_count",
                _("门牌数（%(units)s）须与登记户数（%(count)s）相同。")
                % {"units": len(units), "count": count},
            )
        )
    long = [u for u in units if len(u) > UNIT_MAX]
    if long:
        errors.append(
            FieldError(
                "unit_labels",
                "too_long",
                _("门牌不能超过 %(max)s 个字：%(unit)s") % {"max": UNIT_MAX, "unit": long[0]},
            )
        )
    _raise(errors)
    rows = [NewHousehold(unit=u) for u in units]
    return _register(
        actor=actor, community=community, rows=rows, with_cards=with_cards, today=today
    )


def household_register(
    *,
    actor,
    community: Community,
    unit: str = "",
    phone: str = "",
    with_card: bool = False,
    today: date,
) -> Household:
    """Register one household with its door label and a masked phone."""
    unit = (unit or "").strip()
    errors: list[FieldError] = []
    if len(unit) > UNIT_MAX:
        errors.append(
            FieldError("unit", "too_long", _("门牌不能超过 %(max)s 个字。") % {"max": UNIT_MAX})
        )
    try:
        masked = mask_phone(phone)
    except Invalid as exc:
        errors.extend(exc.errors)
        masked = ""
    _raise(errors)
    (household,) = _register(
        actor=actor,
        community=community,
        rows=[NewHousehold(unit=unit, phone=masked)],
        with_cards=with_card,
        today=today,
    )
    return household


def household_update(*, actor, obj: Household, data: dict) -> Household:
    """Change a household's door label or phone (masked); the code never changes."""
    errors: list[FieldError] = []
    fields: dict[str, Any] = {}
    if "unit" in data:
        unit = (data["unit"] or "").strip()
        if len(unit) > UNIT_MAX:
            errors.append(
                FieldError("unit", "too_long", _("门牌不能超过 %(max)s 个字。") % {"max": UNIT_MAX})
            )
        fields["unit"] = unit
    for key in ("phone", "phone_masked"):
        if key in data:
            try:
                fields["phone_masked"] = mask_phone(data[key], field=key)
            except Invalid as exc:
                errors.extend(exc.errors)
    _raise(errors)
    with transaction.atomic():
        row = _locked(Household, obj, actor)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save(update_fields=list(fields) or None)
        log_change(actor=actor, obj=row, action="update")
    return row


def household_deactivate(*, actor, household: Household) -> Household:
    """Mark a household gone (moved out); its code and ledger stay."""
    with transaction.atomic():
        row = _locked(Household, household, actor)
        if not row.is_active:
            raise InvalidTransition(_("该住户已停用。"), code="already_inactive")
        row.is_active = False
        row.save(update_fields=["is_active"])
        log_change(actor=actor, obj=row, action="deactivate")
    return row


# --- stations ------------------------------------------------------------------------------------

STATION_FIELDS = (
    "kind",
    "name",
    "community",
    "region",
    "device",
    "operator",
    "schedule",
    "lon",
    "lat",
    "is_active",
)


def _minutes(text: str) -> int | None:
    match = TIME_TEXT.match(text.strip())
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _schedule_items(value) -> list:
    """Pairs from a list, a JSON text, or a text like ``07:00-09:00, 18:00-21:00``."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError as exc:
                raise _invalid("schedule", "schedule_format", _("投放时段格式不正确。")) from exc
        pieces = [p for p in re.split(r"[,，;；、\s]+", text) if p]
        return [re.split(r"\s*[-–—~～至]\s*", p) for p in pieces]
    return value


def parse_schedule(value) -> list[list[str]]:
    """A station's put-out times as sorted ``[["HH:MM", "HH:MM"], …]``: each period starts
    before it ends and no two overlap. Refused with ``schedule_format``, ``schedule_order``
    or ``schedule_overlap``."""
    items = _schedule_items(value)
    if not isinstance(items, list):
        raise _invalid("schedule", "schedule_format", _("投放时段须为时段列表。"))
    periods: list[tuple[int, int]] = []
    for item in items:
        pair = list(item) if isinstance(item, (list, tuple)) else None
        if pair is None or len(pair) != 2 or not all(isinstance(p, str) for p in pair):
            raise _invalid(
                "schedule",
                "schedule_format",
                _("每个投放时段须为“开始-结束”，如 07:00-09:00。"),
            )
        start, end = _minutes(pair[0]), _minutes(pair[1])
        if start is None or end is None:
            raise _invalid(
                "schedule",
                "schedule_format",
                _("时间须为 HH:MM 格式：%(value)s") % {"value": f"{pair[0]}-{pair[1]}"},
            )
        if start >= end:
            raise _invalid(
                "schedule",
                "schedule_order",
                _("时段开始须早于结束：%(value)s") % {"value": f"{pair[0]}-{pair[1]}"},
            )
        periods.append((start, end))
    periods.sort()
    for (s1, e1), (s2, e2) in pairwise(periods):
        if s2 < e1:
            raise _invalid(
                "schedule",
                "schedule_overlap",
                _("投放时段重叠：%(a)s 与 %(b)s")
                % {"a": f"{_hhmm(s1)}-{_hhmm(e1)}", "b": f"{_hhmm(s2)}-{_hhmm(e2)}"},
            )
    return [[_hhmm(s), _hhmm(e)] for s, e in periods]


def schedule_text(schedule) -> str:
    """``07:00-09:00、18:00-21:00`` (全天 when empty)."""
    if not schedule:
        return _("全天")
    return "、".join(f"{a}-{b}" for a, b in schedule)


def _check_station(station: Station) -> None:
    errors: list[FieldError] = []
    community = station.community
    if community is not None and station.region_id != community.region_id:
        errors.append(
            FieldError(
                "region",
                "region_mismatch",
                _("投放点所在街道（乡镇）须与所属小区（村）一致：%(region)s。")
                % {"region": community.region},
            )
        )
    device = station.device
    if device is not None and device.kind not in (DeviceKind.SMART_BIN, DeviceKind.BIN_SENSOR):
        errors.append(FieldError("device", "device_kind", _("请选择智能分类回收箱或满溢传感器。")))
    check_place(station.region, station.lon, station.lat, errors=errors)
    _raise(errors)


def _station_save(*, actor, obj: Station, creating: bool, data: dict) -> Station:
    ensure_manager(actor)
    fields = {k: v for k, v in data.items() if k in STATION_FIELDS}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    if "schedule" in fields:
        fields["schedule"] = parse_schedule(fields["schedule"])
    community = fields.get("community", obj.community if not creating else None)
    if community is not None and not fields.get("region"):
        fields["region"] = community.region
    if creating and not fields.get("region"):
        raise _invalid("region", "required", _("请选择所在街道（乡镇）或所属小区（村）。"))
    return scoped_save(
        actor=actor, obj=obj, creating=creating, fields=fields, validate=_check_station
    )


def station_create(*, actor, data: dict) -> Station:
    return _station_save(actor=actor, obj=Station(), creating=True, data=data)


def station_update(*, actor, obj: Station, data: dict) -> Station:
    return _station_save(actor=actor, obj=obj, creating=False, data=data)


# --- guides --------------------------------------------------------------------------------------

GUIDE_FIELDS = ("name", "phone_masked", "user", "region", "is_volunteer", "joined_on", "is_active")


def _check_stations(region: Region, stations: Iterable[Station]) -> None:
    outside = [s for s in stations if not within(s.region, region)]
    if outside:
        raise _invalid(
            "stations",
            "station_outside_region",
            _("投放点“%(station)s”不在%(region)s。") % {"station": outside[0], "region": region},
        )


def _check_guide(guide: Guide) -> None:
    errors: list[FieldError] = []
    user = guide.user
    if user is not None:
        if user.role != Role.GUIDE:
            errors.append(FieldError("user", "user_not_guide", _("只能关联角色为督导员的账号。")))
        elif user.region is None or not within(guide.region, user.region):
            errors.append(
                FieldError(
                    "user",
                    "user_region_mismatch",
                    _("该账号的管辖区域不包含%(region)s。") % {"region": guide.region},
                )
            )
    _raise(errors)


def _guide_save(*, actor, obj: Guide, creating: bool, data: dict) -> Guide:
    ensure_manager(actor)
    fields = {k: v for k, v in data.items() if k in GUIDE_FIELDS}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
    if "phone_masked" in fields:
        fields["phone_masked"] = mask_phone(fields["phone_masked"], field="phone_masked")
    user = fields.get("user")
    if user is not None and Guide.objects.filter(user=user).exclude(pk=obj.pk).exists():
        raise _invalid("user", "user_taken", _("该账号已关联其他督导员。"))
    stations = data.get("stations")
    region = fields.get("region") or (obj.region if not creating else None)
    if stations is not None and region is not None:
        stations = list(stations)
        for station in stations:
            _visible(actor, station)
        _check_stations(region, stations)
    m2m = {"stations": stations} if stations is not None else None
    return scoped_save(
        actor=actor, obj=obj, creating=creating, fields=fields, m2m=m2m, validate=_check_guide
    )


def guide_create(*, actor, data: dict) -> Guide:
    return _guide_save(actor=actor, obj=Guide(), creating=True, data=data)


def guide_update(*, actor, obj: Guide, data: dict) -> Guide:
    return _guide_save(actor=actor, obj=obj, creating=False, data=data)


def guide_assign_stations(*, actor, guide: Guide, stations: Sequence[Station]) -> Guide:
    """Set the stations a guide is responsible for (all in the guide's street)."""
    ensure_manager(actor)
    for station in stations:
        _visible(actor, station)
    with transaction.atomic():
        row = _locked(Guide, guide, actor)
        _check_stations(row.region, stations)
        row.stations.set(stations)
        log_change(
            actor=actor,
            obj=row,
            action="stations",
            data={"stations": sorted(s.pk for s in stations)},
        )
    return row


def guide_deactivate(*, actor, guide: Guide, today: date) -> Guide:
    """Take a guide off the roster: inactive, no stations, planned shifts from today dropped."""
    ensure_manager(actor)
    with transaction.atomic():
        row = _locked(Guide, guide, actor)
        if not row.is_active:
            raise InvalidTransition(_("该督导员已离岗。"), code="already_inactive")
        row.is_active = False
        row.save(update_fields=["is_active"])
        row.stations.clear()
        dropped, _detail = row.shifts.filter(day__gte=today, status=ShiftStatus.PLANNED).delete()
        log_change(actor=actor, obj=row, action="deactivate", data={"shifts_dropped": dropped})
    return row


# --- shifts --------------------------------------------------------------------------------------


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _check_plan(guide: Guide, station: Station, start: date, end: date) -> None:
    errors: list[FieldError] = []
    if end < start:
        errors.append(FieldError("end", "period_reversed", _("结束日期不能早于开始日期。")))
    elif (end - start).days + 1 > PLAN_MAX_DAYS:
        errors.append(
            FieldError(
                "end", "range_too_long", _("一次最多排 %(days)s 天。") % {"days": PLAN_MAX_DAYS}
            )
        )
    if not guide.is_active:
        errors.append(FieldError("guide", "guide_inactive", _("该督导员已离岗。")))
    if not station.is_active:
        errors.append(FieldError("station", "station_inactive", _("该投放点已停用。")))
    if not station.schedule:
        errors.append(
            FieldError("station", "no_schedule", _("该投放点没有定时投放时段，无法排班。"))
        )
    if not guide.stations.filter(pk=station.pk).exists():
        errors.append(
            FieldError(
                "station", "station_not_assigned", _("该督导员未负责此投放点，请先分配投放点。")
            )
        )
    _raise(errors)


def shifts_plan(*, actor, guide: Guide, station: Station, start: date, end: date) -> list[Shift]:
    """Shifts for ``guide`` at ``station`` on every day from ``start`` to ``end`` (inclusive),
    one per put-out period of the station's schedule. Shifts already planned there are kept
    (planning again is harmless); a clash with the guide's duty elsewhere is refused."""
    ensure_manager(actor)
    _visible(actor, station)
    with transaction.atomic():
        row = _locked(Guide, guide, actor)
        station = Station.objects.get(pk=station.pk)
        _check_plan(row, station, start, end)
        periods = [(_time(a), _time(b)) for a, b in station.schedule]
        existing: dict[date, list[Shift]] = {}
        for shift in row.shifts.filter(day__gte=start, day__lte=end):
            existing.setdefault(shift.day, []).append(shift)
        new: list[Shift] = []
        day = start
        while day <= end:
            for starts, ends in periods:
                same = None
                for other in existing.get(day, ()):
                    if other.starts < ends and starts < other.ends:
                        if other.station_id == station.pk and other.starts == starts:
                            same = other
                            continue
                        raise _invalid(
                            "station",
                            "shift_overlap",
                            _("%(day)s %(start)s-%(end)s 与该督导员在“%(station)s”的排班冲突。")
                            % {
                                "day": day.isoformat(),
                                "start": other.starts.strftime("%H:%M"),
                                "end": other.ends.strftime("%H:%M"),
                                "station": other.station,
                            },
                        )
                if same is None:
                    new.append(Shift(guide=row, station=station, day=day, starts=starts, ends=ends))
            day += timedelta(days=1)
        created = Shift.objects.bulk_create(new)
        if created:
            probe = Shift.objects.filter(guide=row, day=created[0].day).first()
            if probe is not None:
                _ensure_in_scope(actor, probe, Action.ADD)
        log_change(
            actor=actor,
            obj=row,
            action="shifts_plan",
            data={
                "station": station.pk,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "created": len(created),
            },
        )
    return created


def _shift_moment(shift: Shift, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(shift.day, at))


def shift_check_in(*, actor, shift: Shift, now: datetime | None = None) -> Shift:
    """A guide checks in to their own shift (from 30 minutes before it starts until it ends);
    an official may record the guide present at any time after the shift began."""
    now = now or timezone.now()
    with transaction.atomic():
        row = Shift.objects.select_for_update().select_related("guide").filter(pk=shift.pk).first()
        if row is None or not is_permitted(actor, Action.VIEW, row):
            raise NotFound()
        if role_of(actor) == Role.GUIDE:
            if row.guide.user_id != actor.pk:
                raise NotPermitted(_("只能为本人的排班签到。"))
            opens = _shift_moment(row, row.starts) - CHECK_IN_EARLY
            closes = _shift_moment(row, row.ends)
            if not opens <= now <= closes:
                raise _invalid(
                    "shift",
                    "outside_shift",
                    _("只能在排班开始前 30 分钟至结束前签到。"),
                )
        else:
            ensure_manager(actor)
            if now < _shift_moment(row, row.starts):
                raise _invalid("shift", "not_started", _("排班尚未开始。"))
        ensure_permitted(actor, Action.CHANGE, row)
        if row.status == ShiftStatus.ON_DUTY:
            raise InvalidTransition(_("该排班已签到。"), code="already_checked_in")
        if role_of(actor) == Role.GUIDE and row.status != ShiftStatus.PLANNED:
            raise InvalidTransition(_("该排班已标为缺岗，请联系管理人员更正。"))
        if ShiftStatus.ON_DUTY not in SHIFT_MOVES[row.status]:
            raise InvalidTransition()
        row.status = ShiftStatus.ON_DUTY
        row.checked_in_at = now
        row.save(update_fields=["status", "checked_in_at"])
        log_change(actor=actor, obj=row, action="check_in")
    return row


def shift_mark_absent(*, actor, shift: Shift, now: datetime | None = None) -> Shift:
    """An official marks a planned shift missed (缺岗) once it has started."""
    ensure_manager(actor)
    now = now or timezone.now()
    with transaction.atomic():
        row = _locked(Shift, shift, actor)
        if ShiftStatus.ABSENT not in SHIFT_MOVES[row.status]:
            raise InvalidTransition(_("只能将未签到的排班标为缺岗。"), code="invalid_transition")
        if now < _shift_moment(row, row.starts):
            raise _invalid("shift", "not_started", _("排班尚未开始。"))
        row.status = ShiftStatus.ABSENT
        row.save(update_fields=["status"])
        log_change(actor=actor, obj=row, action="absent")
    return row


# --- station checks ------------------------------------------------------------------------------


def station_check_add(
    *,
    actor,
    station: Station,
    score: int,
    bins_clean: bool = True,
    overflowing: bool = False,
    mixed: bool = False,
    signage_ok: bool = True,
    note: str = "",
    photo: UploadedFile | None = None,
    checked_at: datetime | None = None,
    now: datetime | None = None,
) -> StationCheck:
    """An inspection of a station (桶边督导、巡查) by an official or a guide in its street;
    a guide's check names the guide."""
    role = role_of(actor)
    if (role not in MANAGER_ROLES and role != Role.GUIDE) or not may(
        actor, Action.ADD, StationCheck
    ):
        raise NotPermitted(_("只有管理人员和督导员可以登记投放点检查。"))
    _visible(actor, station)
    now = now or timezone.now()
    checked_at = checked_at or now
    errors: list[FieldError] = []
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
        errors.append(FieldError("score", "out_of_range", _("得分须为 0-100 的整数。")))
    if timezone.is_naive(checked_at):
        checked_at = timezone.make_aware(checked_at)
    if checked_at > now + FUTURE_TOLERANCE:
        errors.append(FieldError("checked_at", "in_future", _("检查时间不能晚于现在。")))
    note = (note or "").strip()
    if len(note) > 300:
        errors.append(FieldError("note", "too_long", _("说明不能超过 300 字。")))
    check_photo(photo, field="photo", errors=errors)
    _raise(errors)
    guide = guide_of(actor) if role == Role.GUIDE else None
    with transaction.atomic():
        check = StationCheck(
            station=station,
            guide=guide,
            checked_at=checked_at,
            bins_clean=bool(bins_clean),
            overflowing=bool(overflowing),
            mixed=bool(mixed),
            signage_ok=bool(signage_ok),
            score=score,
            note=note,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if photo:
            check.photo.save(photo.name, photo, save=False)
        check.save()
        _ensure_in_scope(actor, check, Action.ADD)
        log_change(actor=actor, obj=check, action="create")
    return check


# --- training ------------------------------------------------------------------------------------

TRAINING_FIELDS = ("title", "held_on", "place", "trainer", "region", "hours")


def _check_training(training: Training) -> None:
    if training.hours is not None and training.hours <= Decimal(0):
        raise _invalid("hours", "out_of_range", _("学时须大于 0。"))


def _training_save(*, actor, obj: Training, creating: bool, data: dict) -> Training:
    ensure_manager(actor)
    fields = {k: v for k, v in data.items() if k in TRAINING_FIELDS}
    for key in ("title", "place", "trainer"):
        if key in fields:
            fields[key] = (fields[key] or "").strip()
    return scoped_save(
        actor=actor, obj=obj, creating=creating, fields=fields, validate=_check_training
    )


def training_create(*, actor, data: dict) -> Training:
    return _training_save(actor=actor, obj=Training(), creating=True, data=data)


def training_update(*, actor, obj: Training, data: dict) -> Training:
    return _training_save(actor=actor, obj=obj, creating=False, data=data)


@dataclass(frozen=True)
class AttendanceRow:
    guide: Guide
    present: bool = True
    passed: bool | None = None


def attendance_record(
    *, actor, training: Training, rows: Sequence[AttendanceRow], today: date
) -> list[Attendance]:
    """Record who attended a held training and who passed its test (upsert per guide)."""
    ensure_manager(actor)
    _visible(actor, training)
    errors: list[FieldError] = []
    if training.held_on > today:
        errors.append(FieldError("training", "not_held_yet", _("培训尚未举行，不能登记出席。")))
    seen: set[int] = set()
    for row in rows:
        _visible(actor, row.guide)
        if row.guide.pk in seen:
            errors.append(
                FieldError("guides", "duplicate", _("督导员“%(name)s”重复。") % {"name": row.guide})
            )
        seen.add(row.guide.pk)
        if not within(row.guide.region, training.region):
            errors.append(
                FieldError(
                    "guides",
                    "guide_outside_region",
                    _("督导员“%(name)s”不在%(region)s。")
                    % {"name": row.guide, "region": training.region},
                )
            )
        if row.passed and not row.present:
            errors.append(
                FieldError(
                    "guides",
                    "passed_without_presence",
                    _("督导员“%(name)s”未出席，不能记为考核合格。") % {"name": row.guide},
                )
            )
    _raise(errors)
    out: list[Attendance] = []
    with transaction.atomic():
        locked = _locked(Training, training, actor)
        for row in rows:
            record, _created = Attendance.objects.update_or_create(
                training=locked,
                guide=row.guide,
                defaults={"present": row.present, "passed": row.passed},
            )
            out.append(record)
        log_change(
            actor=actor,
            obj=locked,
            action="attendance",
            data={
                "guides": [r.guide.pk for r in rows],
                "present": sum(1 for r in rows if r.present),
                "passed": sum(1 for r in rows if r.passed),
            },
        )
    return out
