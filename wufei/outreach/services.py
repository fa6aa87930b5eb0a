"""Writes of education events and the satisfaction survey (plan tasks 21 and 22).

Officials (the city everywhere, a county in its county) and the host enterprise (its own
企业开放日, for a recycling or processing company) create, edit, publish and cancel events.
Residents book places without an account: the booking is refused before anything is written
when the input is bad, booking is closed, the places run out or the same client booked too
often; places are counted on the event row under a row lock, and the database's check
constraint (``booked <= capacity``) is the last guard. A booking answers with a code the
resident keeps to look it up or cancel it. The survey takes one answer per client and quarter.

Every function takes a controllable ``now`` (default ``timezone.now()``); refusals are typed
errors with stable codes (see ``docs/api.md``).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import is_permitted, role_of
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted, WufeiError
from wufei.core.services import log_change
from wufei.outreach.models import (
    Booking,
    BookingStatus,
    Event,
    EventKind,
    SurveyDimension,
    SurveyResponse,
)
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Party, Region

ORGANISER_ROLES = frozenset({Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL, Role.ENTERPRISE})
EVENT_FIELDS = (
    "kind",
    "title",
    "description",
    "host",
    "region",
    "place",
    "starts_at",
    "ends_at",
    "capacity",
    "booking_closes_at",
)
# Booking codes: no 0/O, 1/I/L, so a code read out over the phone is not misheard.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
PEOPLE_MAX = 10
NAME_MAX = 32
BOOKINGS_PER_HOUR = 3
COMMENT_MAX = 300
MOBILE = re.compile(r"1[3-9]\d{9}")
COUNTY_LEVELS = (RegionLevel.COUNTY, RegionLevel.ZONE)
DIMENSIONS: tuple[str, ...] = tuple(SurveyDimension.values)


class InvalidTransition(WufeiError):
    code = "invalid_transition"
    status = 409


class Throttled(WufeiError):
    code = "throttled"
    status = 429
    default_message = gettext_lazy("提交过于频繁，请稍后再试。")


def _now(now: datetime | None) -> datetime:
    return now if now is not None else timezone.now()


def _invalid(field: str | None, code: str, message: str) -> Invalid:
    return Invalid([FieldError(field, code, message)])


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(errors)


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- events: who organises -----------------------------------------------------------------------


def is_organiser(actor) -> bool:
    return role_of(actor) in ORGANISER_ROLES


def ensure_organiser(actor) -> None:
    if not is_organiser(actor):
        raise NotPermitted(_("只有市、县管理人员和承办企业可以组织活动。"))


def is_recycler(party: Party) -> bool:
    """A company whose 企业开放日 shows waste turned into resources: a collector (recyclables)
    or a utilisation/disposal company."""
    return bool(party.is_receiver or party.is_collector)


def with_cancelled(rows):
    """Annotate events with ``cancelled`` (whether the event was called off)."""
    return rows.annotate(
        cancelled=ExpressionWrapper(Q(cancelled_at__isnull=False), output_field=BooleanField())
    )


def is_cancelled(event: Event) -> bool:
    return event.cancelled_at is not None


def _check_event(
    actor, data: Mapping[str, Any], booked: int, current_host_id: int | None = None
) -> list[FieldError]:
    """The event's own rules, before anything is written."""
    errors: list[FieldError] = []
    kind = data.get("kind")
    if kind not in EventKind.values:
        errors.append(FieldError("kind", "kind_invalid", _("请选择活动类型。")))
    if not str(data.get("title") or "").strip():
        errors.append(FieldError("title", "required", _("请填写活动名称。")))
    if not str(data.get("place") or "").strip():
        errors.append(FieldError("place", "required", _("请填写活动地点。")))
    if data.get("region") is None:
        errors.append(FieldError("region", "required", _("请选择所在区划。")))
    starts, ends, closes = data.get("starts_at"), data.get("ends_at"), data.get("booking_closes_at")
    for name, value in (("starts_at", starts), ("ends_at", ends), ("booking_closes_at", closes)):
        if value is None:
            errors.append(FieldError(name, "required", _("请填写时间。")))
    if starts is not None and ends is not None and ends <= starts:
        errors.append(FieldError("ends_at", "ends_before_start", _("结束时间须晚于开始时间。")))
    if starts is not None and closes is not None and closes > starts:
        errors.append(
            FieldError(
                "booking_closes_at", "closes_after_start", _("预约截止时间不能晚于开始时间。")
            )
        )
    capacity = data.get("capacity")
    if not isinstance(capacity, int) or capacity < 1:
        errors.append(FieldError("capacity", "capacity_invalid", _("名额须为正整数。")))
    elif capacity < booked:
        errors.append(
            FieldError(
                "capacity",
                "capacity_below_booked",
                _("已有 %(n)s 人预约，名额不能少于已预约人数。") % {"n": booked},
            )
        )
    host = data.get("host")
    if role_of(actor) == Role.ENTERPRISE:
        if kind != EventKind.OPEN_DAY:
            errors.append(
                FieldError("kind", "kind_not_allowed", _("企业只能组织本单位的企业开放日。"))
            )
        if host is not None and host.pk != actor.party_id:
            errors.append(FieldError("host", "host_not_own", _("企业只能组织本单位的活动。")))
    elif (
        host is not None
        and host.pk != current_host_id
        and not is_permitted(actor, Action.VIEW, host)
    ):
        errors.append(FieldError("host", "host_invalid", _("承办单位不存在或不在您的范围内。")))
    if kind == EventKind.OPEN_DAY:
        party = actor.party if role_of(actor) == Role.ENTERPRISE else host
        if party is None:
            errors.append(FieldError("host", "host_required", _("企业开放日须指定承办企业。")))
        elif not is_recycler(party):
            errors.append(
                FieldError(
                    "host",
                    "host_not_recycler",
                    _("企业开放日须由资源回收或利用处置企业承办（%(name)s 不是）。")
                    % {"name": party.name},
                )
            )
    return errors


def _values(actor, data: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: data[name] for name in EVENT_FIELDS if name in data}
    for name in ("title", "place", "description"):
        if name in values:
            values[name] = str(values[name] or "").strip()
    return values


def _own_host(actor, values: dict[str, Any]) -> None:
    """An enterprise always hosts its own events (checked first: another host is refused)."""
    if role_of(actor) == Role.ENTERPRISE:
        values["host"] = actor.party


def event_create(*, actor, data: Mapping[str, Any], now: datetime | None = None) -> Event:
    """A new event, not yet published (unless ``data['is_published']``); it starts later."""
    ensure_organiser(actor)
    now = _now(now)
    values = _values(actor, data)
    errors = _check_event(actor, values, 0)
    starts = values.get("starts_at")
    if starts is not None and starts <= now:
        errors.append(FieldError("starts_at", "in_past", _("开始时间须晚于现在。")))
    _raise(errors)
    _own_host(actor, values)
    with transaction.atomic():
        event = Event(**values, is_published=bool(data.get("is_published", False)))
        event.full_clean(validate_constraints=False)
        event.save()
        if not is_permitted(actor, Action.ADD, event):
            raise NotPermitted(_("该活动超出您的权限范围，未作任何修改。"))
        log_change(actor=actor, obj=event, action="create")
    return event


def _locked(event: Event, actor) -> Event:
    """The event re-read under a row lock; unseen rows answer like missing ones."""
    row = Event.objects.select_for_update().filter(pk=event.pk).first()
    if row is None or not is_permitted(actor, Action.VIEW, row):
        raise NotFound()
    if not is_permitted(actor, Action.CHANGE, row):
        raise NotPermitted()
    return row


def event_update(*, actor, obj: Event, data: Mapping[str, Any]) -> Event:
    """Change an event's description, times, place or places (never below those booked)."""
    ensure_organiser(actor)
    if not is_permitted(actor, Action.VIEW, obj):
        raise NotFound()
    if not is_permitted(actor, Action.CHANGE, obj):
        raise NotPermitted()
    values = _values(actor, data)
    merged = {name: values.get(name, getattr(obj, name)) for name in EVENT_FIELDS}
    _raise(_check_event(actor, merged, obj.booked, obj.host_id))
    _own_host(actor, values)
    with transaction.atomic():
        event = _locked(obj, actor)
        merged = {name: values.get(name, getattr(event, name)) for name in EVENT_FIELDS}
        # the places booked meanwhile
        _raise(_check_event(actor, merged, event.booked, event.host_id))
        for name, value in values.items():
            setattr(event, name, value)
        event.full_clean(validate_constraints=False)
        event.save()
        if not is_permitted(actor, Action.CHANGE, event):
            raise NotPermitted(_("保存后的记录将超出您的权限范围，未作任何修改。"))
        log_change(actor=actor, obj=event, action="update")
    return event


def event_publish(*, actor, event: Event, now: datetime | None = None) -> Event:
    """Show the event to the public and open booking (until its booking deadline)."""
    ensure_organiser(actor)
    now = _now(now)
    with transaction.atomic():
        row = _locked(event, actor)
        if is_cancelled(row):
            raise InvalidTransition(_("活动已取消，不能再发布。"), code="event_cancelled")
        if row.ends_at <= now:
            raise InvalidTransition(_("活动已结束，不能再发布。"), code="event_over")
        if not row.is_published:
            row.is_published = True
            row.save(update_fields=["is_published"])
            log_change(actor=actor, obj=row, action="publish")
    return row


def event_unpublish(*, actor, event: Event) -> Event:
    """Withdraw a draft shown by mistake; an event with bookings is cancelled instead."""
    ensure_organiser(actor)
    with transaction.atomic():
        row = _locked(event, actor)
        if row.bookings.filter(status=BookingStatus.BOOKED).exists():
            raise InvalidTransition(
                _("已有群众预约，不能撤回；如活动不再举办，请取消活动。"), code="has_bookings"
            )
        if row.is_published:
            row.is_published = False
            row.save(update_fields=["is_published"])
            log_change(actor=actor, obj=row, action="unpublish")
    return row


def event_cancel(*, actor, event: Event, now: datetime | None = None) -> Event:
    """The event will not take place: withdrawn from the public, every booking cancelled and
    its places freed. Final: a cancelled event is not published again."""
    ensure_organiser(actor)
    now = _now(now)
    with transaction.atomic():
        row = _locked(event, actor)
        if is_cancelled(row):
            raise InvalidTransition(_("活动已取消。"), code="event_cancelled")
        if row.ends_at <= now:
            raise InvalidTransition(_("活动已结束，不能取消。"), code="event_over")
        row.bookings.filter(status=BookingStatus.BOOKED).update(status=BookingStatus.CANCELLED)
        row.is_published = False
        row.booked = 0
        row.cancelled_at = now
        row.save(update_fields=["is_published", "booked", "cancelled_at"])
        log_change(actor=actor, obj=row, action="cancel")
    return row


# --- bookings -----------------------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """What a resident typed (lower case, spaces, dashes) as a stored code."""
    return re.sub(r"[\s\-－_]", "", str(code or "")).upper()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


def booking_open(event: Event, now: datetime | None = None) -> bool:
    return event.is_published and _now(now) < event.booking_closes_at


def places_left(event: Event) -> int:
    return max(event.capacity - event.booked, 0)


def _check_booking(name: str, phone: str, people) -> tuple[str, str, int, list[FieldError]]:
    errors: list[FieldError] = []
    name = str(name or "").strip()
    if not name:
        errors.append(FieldError("name", "required", _("请填写联系人姓名。")))
    elif len(name) > NAME_MAX:
        errors.append(
            FieldError("name", "too_long", _("姓名不能超过 %(n)s 个字。") % {"n": NAME_MAX})
        )
    phone = re.sub(r"[\s\-]", "", str(phone or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    if not MOBILE.fullmatch(phone):
        errors.append(
            FieldError("phone", "phone_invalid", _("请填写 11 位手机号码（如 13912345678）。"))
        )
    try:
        count = int(people)
    except (TypeError, ValueError):
        count = 0
    exact = str(count) == str(people).strip()
    if isinstance(people, bool) or not exact or not 1 <= count <= PEOPLE_MAX:
        errors.append(
            FieldError(
                "people",
                "people_out_of_range",
                _("人数须为 1 至 %(n)s 人。") % {"n": PEOPLE_MAX},
            )
        )
    return name, phone, count, errors


def _ensure_open(event: Event, now: datetime) -> None:
    if not event.is_published:
        raise _invalid(None, "unpublished", _("该活动未发布或已取消，不能预约。"))
    if now >= event.booking_closes_at:
        raise _invalid(None, "closed", _("该活动预约已截止。"))


def _full(left: int, people: int) -> Invalid:
    if left <= 0:
        message = _("名额已满。")
    else:
        message = _("名额不足：只剩 %(left)s 个名额，您预约了 %(n)s 人。") % {
            "left": left,
            "n": people,
        }
    return _invalid("people", "full", message)


def book(
    *, event: Event, name: str, phone: str, people, client_key: str, now: datetime | None = None
) -> Booking:
    """Book ``people`` places at a published event before its booking deadline.

    The phone is kept masked only (138****5678). At most three bookings an hour from one
    client (``client_key``). Places are counted under a lock on the event row.
    """
    now = _now(now)
    name, phone, count, errors = _check_booking(name, phone, people)
    _raise(errors)
    _ensure_open(event, now)
    recent = Booking.objects.filter(client_key=client_key, created_at__gt=now - timedelta(hours=1))
    if recent.count() >= BOOKINGS_PER_HOUR:
        raise Throttled(
            _("同一来源 1 小时内最多预约 %(n)s 次，请稍后再试。") % {"n": BOOKINGS_PER_HOUR}
        )
    try:
        with transaction.atomic():
            row = Event.objects.select_for_update().filter(pk=event.pk).first()
            if row is None:
                raise NotFound()
            _ensure_open(row, now)
            if row.booked + count > row.capacity:
                raise _full(row.capacity - row.booked, count)
            booking = _create_booking(row, name, phone, count, client_key, now)
            Event.objects.filter(pk=row.pk).update(booked=F("booked") + count)
            log_change(actor=None, obj=booking, action="create")
    except IntegrityError as exc:  # the check constraint: never more booked than places
        fresh = Event.objects.get(pk=event.pk)
        raise _full(fresh.capacity - fresh.booked, count) from exc
    event.booked = Event.objects.values_list("booked", flat=True).get(pk=event.pk)
    return booking


def _create_booking(
    event: Event, name: str, phone: str, people: int, client_key: str, now: datetime
) -> Booking:
    for _attempt in range(5):  # a clash of random codes is rare; try another
        try:
            with transaction.atomic():
                return Booking.objects.create(
                    event=event,
                    code=new_code(),
                    name=name,
                    phone_masked=mask_phone(phone),
                    people=people,
                    client_key=client_key,
                    created_at=now,
                )
        except IntegrityError:
            continue
    raise WufeiError(_("预约码生成冲突，请重试。"), code="code_conflict")


def booking_by_code(code: str) -> Booking:
    booking = (
        Booking.objects.select_related("event", "event__region", "event__host")
        .filter(code=normalise_code(code))
        .first()
    )
    if booking is None:
        raise NotFound(_("没有找到该预约码，请核对后重试。"))
    return booking


def cancel(code: str, *, now: datetime | None = None) -> Booking:
    """The resident cancels a booking by its code, before the event starts; the places
    return to the event."""
    now = _now(now)
    normalised = normalise_code(code)
    with transaction.atomic():
        booking = Booking.objects.select_for_update().filter(code=normalised).first()
        if booking is None:
            raise NotFound(_("没有找到该预约码，请核对后重试。"))
        event = Event.objects.select_for_update().get(pk=booking.event_id)
        if booking.status != BookingStatus.BOOKED:
            raise InvalidTransition(
                _("该预约已是“%(status)s”状态，不能取消。")
                % {"status": booking.get_status_display()},
                code="not_cancellable",
            )
        if now >= event.starts_at:
            raise InvalidTransition(_("活动已开始，不能再取消预约。"), code="started")
        booking.status = BookingStatus.CANCELLED
        booking.save(update_fields=["status"])
        Event.objects.filter(pk=event.pk).update(booked=F("booked") - booking.people)
        log_change(actor=None, obj=booking, action="cancel")
    booking.event.booked = event.booked - booking.people
    return booking


def mark_attended(
    *, actor, booking: Booking, attended: bool = True, now: datetime | None = None
) -> Booking:
    """The organiser checks a booking in at the door (or takes a mistaken check-in back),
    from the day of the event on."""
    ensure_organiser(actor)
    now = _now(now)
    with transaction.atomic():
        row = Booking.objects.select_for_update().filter(pk=booking.pk).first()
        if row is None or not is_permitted(actor, Action.VIEW, row):
            raise NotFound()
        if not is_permitted(actor, Action.CHANGE, row):
            raise NotPermitted()
        if row.status == BookingStatus.CANCELLED:
            raise InvalidTransition(_("该预约已取消。"), code="booking_cancelled")
        event_day = timezone.localtime(row.event.starts_at).date()
        if timezone.localtime(now).date() < event_day:
            raise InvalidTransition(_("活动当天起才能登记到场。"), code="too_early")
        status = BookingStatus.ATTENDED if attended else BookingStatus.BOOKED
        if row.status != status:
            row.status = status
            row.save(update_fields=["status"])
            log_change(actor=actor, obj=row, action="attended" if attended else "not_attended")
    return row


# --- the satisfaction survey ---------------------------------------------------------------------


def quarter_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The local (Asia/Shanghai) quarter ``moment`` falls in, as aware [start, end)."""
    local = timezone.localtime(moment)
    first = (local.month - 1) // 3 * 3 + 1
    year, month = (local.year + 1, 1) if first == 10 else (local.year, first + 3)
    return month_start(local.year, first), month_start(year, month)


def month_start(year: int, month: int) -> datetime:
    """Local midnight of the first of ``month`` (aware, in the current time zone)."""
    return datetime(year, month, 1, tzinfo=timezone.get_current_timezone())


def survey_regions():
    """The counties (and zones) a resident answers for."""
    return Region.objects.filter(level__in=COUNTY_LEVELS).order_by("adcode")


def _check_scores(scores: Mapping[str, Any]) -> tuple[dict[str, int], list[FieldError]]:
    out: dict[str, int] = {}
    errors: list[FieldError] = []
    for dimension in DIMENSIONS:
        value = scores.get(dimension)
        if value in (None, ""):
            errors.append(FieldError(dimension, "required", _("请回答这一题。")))
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if isinstance(value, bool) or not 1 <= number <= 5 or str(number) != str(value).strip():
            errors.append(FieldError(dimension, "out_of_range", _("请在 1 至 5 分中选择。")))
            continue
        out[dimension] = number
    return out, errors


def has_answered(*, client_key: str, now: datetime | None = None) -> bool:
    """Whether this client answered the survey in the current quarter already."""
    start, end = quarter_bounds(_now(now))
    return SurveyResponse.objects.filter(
        client_key=client_key, submitted_at__gte=start, submitted_at__lt=end
    ).exists()


def survey_submit(
    *,
    region: Region | None,
    scores: Mapping[str, Any],
    comment: str = "",
    client_key: str,
    now: datetime | None = None,
) -> SurveyResponse:
    """One anonymous answer: a county, a score of 1-5 for each of the five dimensions, an
    optional comment (at most 300 characters); one answer per client and quarter."""
    now = _now(now)
    errors: list[FieldError] = []
    if region is None or region.level not in COUNTY_LEVELS:
        errors.append(FieldError("region", "region_invalid", _("请选择您所在的县（市、区）。")))
    values, score_errors = _check_scores(scores)
    errors += score_errors
    comment = str(comment or "").strip()
    if len(comment) > COMMENT_MAX:
        errors.append(
            FieldError(
                "comment",
                "too_long",
                _("意见建议不能超过 %(n)s 字（现有 %(len)s 字）。")
                % {"n": COMMENT_MAX, "len": len(comment)},
            )
        )
    if errors or region is None:  # a missing region is among the errors
        raise Invalid(errors)
    with transaction.atomic():
        if has_answered(client_key=client_key, now=now):
            raise _invalid(None, "already_answered", _("您本季度已参加过调查，感谢您的支持！"))
        response = SurveyResponse.objects.create(
            region=region, comment=comment, client_key=client_key, submitted_at=now, **values
        )
        log_change(actor=None, obj=response, action="create", data={"region": region.pk})
    return response
