"""Residents' reports that become cases (plan tasks 21-22: a public that takes part).

A resident files a report without an account (``report_file``): what (the kind), what they
saw, where (a point inside the city), a photo, optionally a phone number (kept masked). The
report gets a follow code, the stream its kind concerns, the bureau regulating that stream,
the time limit of its first stage, and a link to an open IoT alert nearby if there is one.
Officials then move it along received → assigned → handled → answered, and the reporter rates
the answer by the code, which closes the case; a report out of scope is rejected with a
reason. Every step is a ReportEvent (the reporter's timeline) and restarts the stage clock:
``escalate_overdue`` escalates a report whose stage outlives its limit, and closes an answered
report its reporter never rated.

Writes follow the house rules: input is checked before anything is written (one typed
``Invalid`` with every field's error), rights are checked on the row locked inside the
transaction, and ``now`` is a controllable clock. Floods are refused per client key (at most
``HOURLY_LIMIT`` reports an hour and ``DAILY_LIMIT`` a day) with ``ReportThrottled`` (429)
before anything is written.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action, Role
from wufei.accounts.models import Department
from wufei.accounts.scoping import is_permitted, role_of
from wufei.alerts.choices import AlertStatus, Rule
from wufei.alerts.models import Alert
from wufei.cases.models import Report, ReportEvent, ReportKind, ReportStage, StageLimit
from wufei.cases.services import InvalidTransition, check_photo
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted, WufeiError
from wufei.core.services import log_change
from wufei.iot.rules.geo import degrees_around, distance_m
from wufei.registry.choices import RegionLevel
from wufei.registry.geo import boundary_of
from wufei.registry.models import Party, Region, Site, WasteStream

# --- rules as constants (the time limits per stage are data: StageLimit) -------------------------

DESCRIPTION_MAX = 1000
ADDRESS_MAX = 200
COMMENT_MAX = 300
NOTE_MAX = 2000
HOURLY_LIMIT, DAILY_LIMIT = 5, 20
CODE_LENGTH = 10
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed
COORDINATE = Decimal("0.000001")
TOWN_SITE_RADIUS_M = 3000  # a town without a boundary: the town of a registered site this near
ALERT_RADIUS_M = 500
ALERT_WINDOW = timedelta(hours=48)
MOBILE = re.compile(r"^1[3-9]\d{9}$")

# Which stream a kind of report concerns: open burning is mostly straw (agricultural waste).
HOUSEHOLD, AGRICULTURAL = "household", "agricultural"
STREAM_OF_KIND: dict[str, str] = {
    ReportKind.DUMPING: HOUSEHOLD,
    ReportKind.OVERFLOW: HOUSEHOLD,
    ReportKind.MISSED_PICKUP: HOUSEHOLD,
    ReportKind.MIXED_TRANSPORT: HOUSEHOLD,
    ReportKind.BURNING: AGRICULTURAL,
    ReportKind.OTHER: HOUSEHOLD,
}
# IoT alerts that may be about the same thing as a report of a kind, most telling first.
ALERT_RULES_OF_KIND: dict[str, tuple[str, ...]] = {
    ReportKind.DUMPING: (Rule.SUSPECTED_DUMPING, Rule.BIN_FULL),
    ReportKind.OVERFLOW: (Rule.BIN_FULL,),
    ReportKind.MISSED_PICKUP: (Rule.BIN_FULL,),
    ReportKind.MIXED_TRANSPORT: (Rule.SUSPECTED_DUMPING, Rule.ROUTE_DEVIATION),
    ReportKind.BURNING: (Rule.SUSPECTED_DUMPING,),
    ReportKind.OTHER: (Rule.SUSPECTED_DUMPING, Rule.BIN_FULL),
}

OFFICIAL_ROLES = frozenset(
    {Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL, Role.DEPARTMENT_OFFICIAL}
)
OPEN_STAGES = (ReportStage.RECEIVED, ReportStage.ASSIGNED, ReportStage.HANDLED)
FINAL_STAGES = (ReportStage.CLOSED, ReportStage.REJECTED)
ASSIGNABLE = (ReportStage.RECEIVED, ReportStage.ASSIGNED)  # assigning again re-dispatches

# The steps of the reporter's timeline, in words.
ACTION_LABELS = {
    "receive": gettext_lazy("举报已受理"),
    "link_alert": gettext_lazy("关联物联网预警"),
    "assign": gettext_lazy("派单至责任单位"),
    "handle": gettext_lazy("现场处置完成"),
    "answer": gettext_lazy("答复举报人"),
    "reject": gettext_lazy("不予受理"),
    "rate": gettext_lazy("举报人评价"),
    "escalate": gettext_lazy("超时督办"),
    "auto_close": gettext_lazy("超期未评价，自动办结"),
}


class ReportThrottled(WufeiError):
    """Too many reports from one client: try again in ``retry_after`` seconds."""

    code = "throttled"
    status = 429
    default_message = gettext_lazy("提交过于频繁，请稍后再试。")

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            _("提交过于频繁（每小时限 %(hour)s 件，每天限 %(day)s 件），请 %(m)s 分钟后再试。")
            % {"hour": HOURLY_LIMIT, "day": DAILY_LIMIT, "m": minutes}
        )


def _invalid(field: str | None, code: str, message: str) -> Invalid:
    return Invalid([FieldError(field, code, message)])


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(errors)


# --- where: the town containing a point ----------------------------------------------------------


def _inside(region: Region, lon: float, lat: float) -> bool:
    """Inside ``region``'s own boundary (never a parent's: a zone without one is not 'inside')."""
    if not region.boundary:
        return False
    geometry = boundary_of(region)
    from shapely.geometry import Point

    return geometry is not None and geometry.contains(Point(lon, lat))


def locate(lon: Decimal | float, lat: Decimal | float) -> Region | None:
    """The region a point lies in, as finely as the reference data allows, or None outside the
    city: the town (乡镇、街道) whose boundary contains it; towns ship without boundaries, so
    else the town of the nearest registered site within 3 km in the same county; else the
    county (县、市、区) itself."""
    x, y = float(lon), float(lat)
    counties = Region.objects.filter(
        level__in=(RegionLevel.COUNTY, RegionLevel.ZONE), boundary__isnull=False
    ).order_by("adcode")
    county = next((c for c in counties if _inside(c, x, y)), None)
    if county is None:
        return None
    towns = Region.objects.filter(
        level=RegionLevel.TOWN, path__startswith=f"{county.path}/", boundary__isnull=False
    )
    for town in towns:
        if _inside(town, x, y):
            return town
    dlat, dlon = degrees_around(y, TOWN_SITE_RADIUS_M)
    sites = Site.objects.filter(
        region__level=RegionLevel.TOWN,
        region__path__startswith=f"{county.path}/",
        lat__gte=y - dlat,
        lat__lte=y + dlat,
        lon__gte=x - dlon,
        lon__lte=x + dlon,
    ).values_list("region_id", "lat", "lon")
    best = min(
        ((distance_m(y, x, float(la), float(lo)), region_id) for region_id, la, lo in sites),
        default=None,
    )
    if best is not None and best[0] <= TOWN_SITE_RADIUS_M:
        return Region.objects.get(pk=best[1])
    return county


# --- who files: the rate limit -------------------------------------------------------------------


def retry_after(client_key: str, now: datetime) -> int | None:
    """Seconds until ``client_key`` may file again, or None when it may file now."""
    waits = []
    for window, limit in ((timedelta(hours=1), HOURLY_LIMIT), (timedelta(days=1), DAILY_LIMIT)):
        times = list(
            Report.objects.filter(client_key=client_key, created_at__gt=now - window)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(times) >= limit:  # the limit-th newest must leave the window first
            waits.append((times[limit - 1] + window - now).total_seconds())
    if not waits:
        return None
    return max(1, int(-(-max(waits) // 1)))


def _lock_client(client_key: str) -> None:
    """Serialise filings of one client (SQLite's IMMEDIATE transactions already do)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [client_key])


def _ensure_not_throttled(client_key: str, now: datetime) -> None:
    wait = retry_after(client_key, now)
    if wait is not None:
        raise ReportThrottled(wait)


# --- what: checking a filing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    """A filing's checked values."""

    kind: str
    description: str
    lon: Decimal
    lat: Decimal
    region: Region
    address: str
    contact_masked: str


def _text(data, name: str) -> str:
    value = data.get(name, "") if data is not None else ""
    return str(value if value is not None else "").strip()


def mask_phone(phone: str) -> str:
    """138****5678: enough for the handler to recognise a call back, not to dial it."""
    return f"{phone[:3]}****{phone[-4:]}"


def _check_place(data, errors: list[FieldError]) -> tuple[Decimal, Decimal, Region] | None:
    lon_text, lat_text = _text(data, "lon"), _text(data, "lat")
    if not lon_text or not lat_text:
        errors.append(FieldError("lon", "no_place", _("请在地图上选择或定位问题发生的位置。")))
        return None
    try:
        lon = Decimal(lon_text).quantize(COORDINATE)
        lat = Decimal(lat_text).quantize(COORDINATE)
    except InvalidOperation:
        errors.append(FieldError("lon", "place_invalid", _("位置的经纬度格式不正确。")))
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors.append(FieldError("lon", "place_invalid", _("位置的经纬度格式不正确。")))
        return None
    region = locate(lon, lat)
    if region is None:
        errors.append(
            FieldError(
                "lon",
                "outside_city",
                _("所选位置（%(lon)s, %(lat)s）不在许昌市范围内，本平台只受理许昌市的问题。")
                % {"lon": lon, "lat": lat},
            )
        )
        return None
    return lon, lat, region


def check_filing(data, photo: UploadedFile | None) -> Filing:
    """Every field of a filing checked, or ``Invalid`` with one error per bad field."""
    errors: list[FieldError] = []
    kind = _text(data, "kind")
    if kind not in ReportKind.values:
        errors.append(FieldError("kind", "kind_invalid", _("请选择问题类型。")))
    description = _text(data, "description")
    if not description:
        errors.append(FieldError("description", "required", _("请描述您看到的问题。")))
    elif len(description) > DESCRIPTION_MAX:
        errors.append(
            FieldError(
                "description",
                "too_long",
                _("问题描述不能超过 %(n)s 字（现 %(len)s 字）。")
                % {"n": DESCRIPTION_MAX, "len": len(description)},
            )
        )
    address = _text(data, "address")
    if len(address) > ADDRESS_MAX:
        errors.append(
            FieldError("address", "too_long", _("位置描述不能超过 %(n)s 字。") % {"n": ADDRESS_MAX})
        )
    contact = re.sub(r"[\s-]", "", _text(data, "contact"))
    if contact.startswith("+86"):
        contact = contact[3:]
    if contact and not MOBILE.match(contact):
        errors.append(FieldError("contact", "phone_invalid", _("请填写 11 位手机号码，或不填。")))
    place = _check_place(data, errors)
    check_photo(photo, field="photo", errors=errors)
    _raise(errors)
    if place is None:  # cannot happen: a missing place is an error raised above
        raise _invalid("lon", "no_place", _("请在地图上选择或定位问题发生的位置。"))
    lon, lat, region = place
    return Filing(
        kind=kind,
        description=description,
        lon=lon,
        lat=lat,
        region=region,
        address=address,
        contact_masked=mask_phone(contact) if contact else "",
    )


# --- whose: stream, bureau, time limit, a nearby alert -------------------------------------------


def stream_for(kind: str) -> WasteStream | None:
    code = STREAM_OF_KIND.get(kind, HOUSEHOLD)
    stream = WasteStream.objects.filter(code=code).first()
    if stream is None and code != HOUSEHOLD:
        stream = WasteStream.objects.filter(code=HOUSEHOLD).first()
    return stream


def department_for(stream: WasteStream | None) -> Department | None:
    """The bureau regulating ``stream`` (or its parent stream)."""
    node = stream
    while node is not None:
        department = Department.objects.filter(streams=node).order_by("code").first()
        if department is not None:
            return department
        node = node.parent
    return None


def stage_limit(stage: str) -> timedelta | None:
    hours = StageLimit.objects.filter(stage=stage).values_list("hours", flat=True).first()
    return timedelta(hours=hours) if hours else None


def _due(stage: str, since: datetime) -> datetime | None:
    if stage in FINAL_STAGES:
        return None
    limit = stage_limit(stage)
    return since + limit if limit is not None else None


def _alert_point(alert: Alert, sites: dict[int, tuple[float, float]]) -> tuple[float, float] | None:
    """(lat, lon) of an alert: its own coordinates, else its subject site's."""
    details = alert.details or {}
    if details.get("lat") is not None and details.get("lon") is not None:
        try:
            return float(details["lat"]), float(details["lon"])
        except (TypeError, ValueError):
            return None
    site_id = _alert_site_id(alert)
    return sites.get(site_id) if site_id is not None else None


def _alert_site_id(alert: Alert) -> int | None:
    details = alert.details or {}
    raw = details.get("site")
    if raw is None and alert.subject_type == "bin":
        raw = alert.subject_id.split(":", 1)[0]
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class NearbyAlert:
    alert: Alert
    distance_m: float


def nearby_alert(kind: str, lon: Decimal, lat: Decimal, now: datetime) -> NearbyAlert | None:
    """The nearest open alert of the rules that fit ``kind``, raised within the last 48 hours
    within 500 m (by the alert's coordinates, or its subject site's when it carries none)."""
    rules = ALERT_RULES_OF_KIND.get(kind, ())
    alerts = list(
        Alert.objects.filter(
            rule__in=rules, opened_at__gte=now - ALERT_WINDOW, opened_at__lte=now
        ).exclude(status=AlertStatus.RESOLVED)
    )
    site_ids = {
        s for a in alerts if "lat" not in (a.details or {}) for s in [_alert_site_id(a)] if s
    }
    sites = {
        pk: (float(la), float(lo))
        for pk, la, lo in Site.objects.filter(
            pk__in=site_ids, lat__isnull=False, lon__isnull=False
        ).values_list("pk", "lat", "lon")
    }
    y, x = float(lat), float(lon)
    best: tuple[float, int, Alert] | None = None
    for alert in alerts:
        point = _alert_point(alert, sites)
        if point is None:
            continue
        metres = distance_m(y, x, point[0], point[1])
        if metres > ALERT_RADIUS_M:
            continue
        key = (metres, rules.index(alert.rule), alert)
        if best is None or key[:2] < best[:2]:
            best = key
    return NearbyAlert(best[2], best[0]) if best is not None else None


# --- filing --------------------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """A code as typed (lower case, spaces, dashes) → as stored."""
    return re.sub(r"[\s-]", "", str(code or "")).upper()


def _event(
    report: Report, *, action: str, at: datetime, actor=None, note="", photo=None, public=True
):
    event = ReportEvent(
        report=report,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        stage=report.stage,
        note=note,
        public=public,
    )
    if photo:
        event.photo.save(_photo_name(report, photo), photo, save=False)
    event.save()
    return event


def _photo_name(report: Report, photo: UploadedFile) -> str:
    """Stored under the report's code, never under the name the phone gave the file."""
    ext = os.path.splitext(photo.name or "")[1].lower() or ".jpg"
    return f"{report.code}-{secrets.token_hex(4)}{ext}"


def report_file(
    *, data, photo: UploadedFile | None, client_key: str, now: datetime | None = None
) -> Report:
    """File a resident's report: checked, throttled per client, then written whole (the
    report, its 'receive' event and, when an open IoT alert lies near, the link) or not at all.
    """
    now = now or timezone.now()
    _ensure_not_throttled(client_key, now)  # refuse a flood before any other work
    filing = check_filing(data, photo)
    stream = stream_for(filing.kind)
    department = department_for(stream)
    near = nearby_alert(filing.kind, filing.lon, filing.lat, now)
    with transaction.atomic():
        _lock_client(client_key)
        _ensure_not_throttled(client_key, now)  # again, under the lock
        report = Report(
            kind=filing.kind,
            description=filing.description,
            lon=filing.lon,
            lat=filing.lat,
            address=filing.address,
            region=filing.region,
            stream=stream,
            department=department,
            contact_masked=filing.contact_masked,
            client_key=client_key,
            stage=ReportStage.RECEIVED,
            created_at=now,
            stage_since=now,
            due_at=_due(ReportStage.RECEIVED, now),
            alert=near.alert if near is not None else None,
        )
        for _attempt in range(5):
            report.code = new_code()
            try:
                with transaction.atomic():
                    if photo:
                        report.photo.save(_photo_name(report, photo), photo, save=False)
                    report.save()
                break
            except IntegrityError:  # the code is taken (1 in 10^14): draw again
                report.pk = None
                continue
        else:
            raise WufeiError(_("查询码生成冲突，请重试。"), code="code_conflict")
        _event(
            report,
            action="receive",
            at=now,
            note=_("已受理，责任部门：%(d)s。") % {"d": department} if department else "",
        )
        if near is not None:
            alert = near.alert
            _event(
                report,
                action="link_alert",
                at=now,
                public=False,
                note=_("距预警 #%(id)s（%(rule)s · %(subject)s）约 %(m)d 米，%(when)s 发现。")
                % {
                    "id": alert.pk,
                    "rule": alert.get_rule_display(),
                    "subject": alert.subject_label,
                    "m": round(near.distance_m),
                    "when": timezone.localtime(alert.opened_at).strftime("%Y-%m-%d %H:%M"),
                },
            )
        log_change(actor=None, obj=report, action="create")
    return report


# --- transitions ---------------------------------------------------------------------------------


def _locked(report: Report, actor, *, roles=OFFICIAL_ROLES) -> Report:
    """The report re-read under a row lock; unseen reports answer like missing ones."""
    row = Report.objects.select_for_update().filter(pk=report.pk).first()
    if row is None or not is_permitted(actor, Action.VIEW, row):
        raise NotFound()
    if role_of(actor) not in roles or not is_permitted(actor, Action.CHANGE, row):
        raise NotPermitted(_("您无权办理该举报。"))
    return row


def _ensure_stage(report: Report, allowed: tuple[str, ...], verb: str) -> None:
    if report.stage not in allowed:
        raise InvalidTransition(
            _("“%(stage)s”的举报不能%(verb)s。")
            % {"stage": report.get_stage_display(), "verb": verb}
        )


def _enter(report: Report, stage: str, now: datetime, *fields: str) -> None:
    report.stage = stage
    report.stage_since = now
    report.due_at = _due(stage, now)
    names = ["stage", "stage_since", "due_at", *fields]
    if stage in FINAL_STAGES:
        report.closed_at = now
        names.append("closed_at")
    report.save(update_fields=names)


def _note(text: str, field: str, what: str, *, required: bool = True) -> str:
    text = (text or "").strip()
    if required and not text:
        raise _invalid(field, "required", what)
    if len(text) > NOTE_MAX:
        raise _invalid(field, "too_long", _("不能超过 %(n)s 字。") % {"n": NOTE_MAX})
    return text


def _party_fits(party: Party, report: Report) -> bool:
    """A party of the report's county (or the city): a county's sanitation company."""
    county = report.region.county or report.region
    where = party.region.path
    return where.startswith(county.path) or county.path.startswith(where)


def report_assign(
    *,
    actor,
    report: Report,
    department: Department | None = None,
    party: Party | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Report:
    """Dispatch to the responsible bureau and, optionally, the unit that will do the work
    (e.g. the county sanitation company). Assigning an assigned report dispatches it again.
    A bureau that does not regulate the report's stream takes it under its own main stream,
    so its officials see it."""
    now = now or timezone.now()
    note = _note(note, "note", "", required=False)
    if party is not None and not _party_fits(party, report):
        raise _invalid(
            "party",
            "party_outside_region",
            _("承办单位“%(p)s”不在举报所在地（%(r)s）。")
            % {"p": party.name, "r": (report.region.county or report.region).name},
        )
    with transaction.atomic():
        locked = _locked(report, actor)
        _ensure_stage(locked, ASSIGNABLE, _("派单"))
        department = department or locked.department
        if department is None:
            raise _invalid("department", "department_required", _("请选择责任部门。"))
        fields = ["department", "assigned_party"]
        if locked.stream_id not in department.stream_ids():
            locked.stream = department.streams.order_by("code").first()
            fields.append("stream")
        locked.department = department
        locked.assigned_party = party
        _enter(locked, ReportStage.ASSIGNED, now, *fields)
        to = f"{department}" + (f" · {party.name}" if party is not None else "")
        _event(
            locked,
            action="assign",
            at=now,
            actor=actor,
            note=_("已派单：%(to)s。") % {"to": to} + (f"\n{note}" if note else ""),
        )
        log_change(actor=actor, obj=locked, action="assign")
    return locked


def report_handle(
    *,
    actor,
    report: Report,
    note: str,
    photo: UploadedFile | None,
    now: datetime | None = None,
) -> Report:
    """The unit reports the problem dealt with on site: what was done and a photo after."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    text = (note or "").strip()
    if not text:
        errors.append(FieldError("note", "required", _("请填写处置情况。")))
    elif len(text) > NOTE_MAX:
        errors.append(FieldError("note", "too_long", _("不能超过 %(n)s 字。") % {"n": NOTE_MAX}))
    if not photo:
        errors.append(FieldError("photo", "photo_required", _("请上传处置后的现场照片。")))
    check_photo(photo, field="photo", errors=errors)
    _raise(errors)
    with transaction.atomic():
        locked = _locked(report, actor, roles=OFFICIAL_ROLES | {Role.ENTERPRISE})
        _ensure_stage(locked, (ReportStage.ASSIGNED,), _("登记处置"))
        _enter(locked, ReportStage.HANDLED, now)
        _event(locked, action="handle", at=now, actor=actor, note=text, photo=photo)
        log_change(actor=actor, obj=locked, action="handle")
    return locked


def report_answer(*, actor, report: Report, answer: str, now: datetime | None = None) -> Report:
    """The answer to the reporter, shown on the follow page; the reporter may then rate it."""
    now = now or timezone.now()
    text = _note(answer, "answer", _("请填写答复内容。"))
    with transaction.atomic():
        locked = _locked(report, actor)
        _ensure_stage(locked, (ReportStage.HANDLED,), _("答复"))
        locked.answer = text
        _enter(locked, ReportStage.ANSWERED, now, "answer")
        _event(locked, action="answer", at=now, actor=actor, note=text)
        log_change(actor=actor, obj=locked, action="answer")
    return locked


def report_reject(*, actor, report: Report, reason: str, now: datetime | None = None) -> Report:
    """Not a case for us (a duplicate, outside the platform's scope): closed with the reason,
    which the reporter reads."""
    now = now or timezone.now()
    text = _note(reason, "reason", _("请填写不予受理的理由。"))
    with transaction.atomic():
        locked = _locked(report, actor)
        _ensure_stage(locked, ASSIGNABLE, _("不予受理"))
        locked.answer = text
        _enter(locked, ReportStage.REJECTED, now, "answer")
        _event(locked, action="reject", at=now, actor=actor, note=text)
        log_change(actor=actor, obj=locked, action="reject")
    return locked


def report_rate(*, code: str, rating, comment: str = "", now: datetime | None = None) -> Report:
    """The reporter rates the answer (1-5) by the follow code; this closes the case."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    try:
        stars = int(str(rating).strip())
    except (TypeError, ValueError):
        stars = 0
    if not 1 <= stars <= 5:
        errors.append(FieldError("rating", "rating_invalid", _("请选择 1 至 5 星。")))
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors.append(
            FieldError("comment", "too_long", _("评价意见不能超过 %(n)s 字。") % {"n": COMMENT_MAX})
        )
    _raise(errors)
    with transaction.atomic():
        locked = Report.objects.select_for_update().filter(code=normalise_code(code)).first()
        if locked is None:
            raise NotFound(_("查询码不存在。"))
        if locked.stage != ReportStage.ANSWERED:
            raise InvalidTransition(
                _("答复后才能评价（当前：%(stage)s）。") % {"stage": locked.get_stage_display()},
                code="not_answered",
            )
        locked.rating, locked.rating_comment = stars, comment
        _enter(locked, ReportStage.CLOSED, now, "rating", "rating_comment")
        _event(
            locked,
            action="rate",
            at=now,
            note=_("%(n)s 星") % {"n": stars} + (f"：{comment}" if comment else ""),
        )
        log_change(actor=None, obj=locked, action="rate")
    return locked


# --- time limits ---------------------------------------------------------------------------------


def escalate_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """Escalate every open report whose stage is past its limit (督办: one more escalation,
    an 'escalate' event, a new limit of the same length), and close every answered report
    whose reporter did not rate it in time ('auto_close'). Idempotent per due period: a
    report escalated now is due again only after a full limit."""
    now = now or timezone.now()
    counts = {"escalated": 0, "closed": 0}
    due = Report.objects.filter(
        stage__in=(*OPEN_STAGES, ReportStage.ANSWERED), due_at__isnull=False, due_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            report = Report.objects.select_for_update().filter(pk=pk).first()
            if report is None or report.due_at is None or report.due_at > now:
                continue  # moved on meanwhile
            if report.stage == ReportStage.ANSWERED:
                _enter(report, ReportStage.CLOSED, now)
                _event(report, action="auto_close", at=now)
                log_change(actor=None, obj=report, action="auto_close")
                counts["closed"] += 1
            elif report.stage in OPEN_STAGES:
                limit = stage_limit(report.stage) or (report.due_at - report.stage_since)
                late = now - report.due_at
                report.escalations += 1
                report.due_at = report.due_at + limit
                if report.due_at <= now:  # the clock was not run for a long time
                    report.due_at = now + limit
                report.save(update_fields=["escalations", "due_at"])
                _event(
                    report,
                    action="escalate",
                    at=now,
                    note=_("“%(stage)s”环节超时 %(h)s 小时，第 %(n)s 次督办。")
                    % {
                        "stage": report.get_stage_display(),
                        "h": int(late.total_seconds() // 3600),
                        "n": report.escalations,
                    },
                )
                log_change(actor=None, obj=report, action="escalate")
                counts["escalated"] += 1
    return counts


def stage_limit_set(*, actor, stage: str, hours) -> StageLimit:
    """Change a stage's time limit (city officials); reports already in the stage keep the
    limit they started with, the next ones get the new one."""
    if role_of(actor) not in (Role.ADMIN, Role.CITY_OFFICIAL):
        raise NotPermitted(_("只有市级管理人员可以修改办理时限。"))
    if stage not in (*OPEN_STAGES, ReportStage.ANSWERED):
        raise _invalid("stage", "stage_invalid", _("该环节没有办理时限。"))
    try:
        value = int(str(hours).strip())
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 24 * 90:
        raise _invalid("hours", "hours_invalid", _("时限须为 1 至 2160 小时。"))
    with transaction.atomic():
        limit, _created = StageLimit.objects.update_or_create(
            stage=stage, defaults={"hours": value}
        )
        log_change(actor=actor, obj=limit, action="update")
    return limit


def limits_overview() -> list[tuple[str, str, int | None]]:
    """(stage, label, hours) of every stage that has a limit, in the order of the process."""
    hours = dict(StageLimit.objects.values_list("stage", "hours"))
    return [
        (stage, str(label), hours.get(stage))
        for stage, label in ReportStage.choices
        if stage in (*OPEN_STAGES, ReportStage.ANSWERED)
    ]


def overdue_q(now: datetime) -> Q:
    """Reports still in progress whose stage is past its limit."""
    return Q(stage__in=(*OPEN_STAGES, ReportStage.ANSWERED), due_at__lt=now)
