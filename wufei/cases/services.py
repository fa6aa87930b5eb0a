"""Writes of inspections and enforcement (plan task 23): campaigns, inspections and findings,
rectification orders (限期整治) with re-inspection and closure, and the register of storage
yards and informal landfills.

Every function takes the acting user and the day (``today``; a controllable clock, never
read here), checks the actor's right on the row inside its transaction, refuses bad input
with a typed error and a stable code before writing anything, and logs the change. Only
officials (administrators, the city, county governments) inspect, order and close; the
responsible party's own accounts report rectification of their orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import ensure_permitted, is_permitted, role_of
from wufei.cases.checklists import fits
from wufei.cases.models import (
    Campaign,
    Checklist,
    ChecklistItem,
    DumpSite,
    DumpSiteKind,
    DumpSiteState,
    Finding,
    Inspection,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
    Reinspection,
    Severity,
)
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted, WufeiError
from wufei.core.services import log_change
from wufei.registry.geo import contains
from wufei.registry.models import Party, Region, Site

# Department officials inspect within their bureau's streams (the checklist's stream).
INSPECTOR_ROLES = frozenset(
    {Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL, Role.DEPARTMENT_OFFICIAL}
)
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_SIGNATURES = ((b"\xff\xd8\xff", (".jpg", ".jpeg")), (b"\x89PNG\r\n\x1a\n", (".png",)))
ORDER_OPEN = (OrderStatus.OPEN, OrderStatus.FAILED)  # the party still has to rectify

# The register's state machine: from-state → states it may move to.
DUMP_SITE_MOVES: dict[str, tuple[str, ...]] = {
    DumpSiteState.FOUND: (DumpSiteState.RECTIFYING,),
    DumpSiteState.RECTIFYING: (DumpSiteState.RECTIFIED,),
    DumpSiteState.RECTIFIED: (DumpSiteState.RECTIFYING, DumpSiteState.CLOSED),
    DumpSiteState.CLOSED: (),
}
# Which checklist kind registers which register kind, when a finding becomes an entry.
REGISTER_KIND_OF_CHECKLIST = {
    "storage_yard": DumpSiteKind.STORAGE_YARD,
    "informal_landfill": DumpSiteKind.INFORMAL_LANDFILL,
}


class InvalidTransition(WufeiError):
    code = "invalid_transition"
    status = 409


def _log(*, actor, obj: Model, action: str) -> None:
    log_change(actor=actor, obj=obj, action=action)


def _invalid(field: str | None, code: str, message: str) -> Invalid:
    return Invalid([FieldError(field, code, message)])


def ensure_inspector(actor) -> None:
    """Inspecting, ordering and closing are officials' work, whatever the row scope says."""
    if role_of(actor) not in INSPECTOR_ROLES:
        raise NotPermitted(_("只有管理人员可以开展检查、下达和销号整改通知。"))


def _ensure_in_scope(actor, obj: Model, action: str) -> None:
    """Refuse a row the actor may not write; raised inside the transaction, so it rolls back."""
    if not is_permitted(actor, action, obj):
        raise NotPermitted(_("该记录超出您的权限范围，未作任何修改。"))


M = TypeVar("M", bound=Model)


def _locked(model: type[M], obj: M, actor) -> M:
    """``obj`` re-read under a row lock; unseen rows answer like missing ones."""
    row = model._default_manager.select_for_update().filter(pk=obj.pk).first()
    if row is None or not is_permitted(actor, Action.VIEW, row):
        raise NotFound()
    ensure_permitted(actor, Action.CHANGE, row)
    return row


# --- input checks shared by findings, the register and re-inspections -------------------------


def _coordinate(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.000001"))


def check_place(region: Region, lon, lat, *, errors: list[FieldError]) -> tuple:
    """(lon, lat) as Decimals, both or neither, inside ``region``'s boundary."""
    if lon in (None, "") and lat in (None, ""):
        return None, None
    if lon in (None, "") or lat in (None, ""):
        errors.append(FieldError("lon", "place_incomplete", _("经度和纬度须同时填写。")))
        return None, None
    try:
        lon_d, lat_d = _coordinate(lon), _coordinate(lat)
    except InvalidOperation:
        errors.append(FieldError("lon", "place_invalid", _("经纬度格式不正确。")))
        return None, None
    if not contains(region, float(lon_d), float(lat_d)):
        errors.append(
            FieldError(
                "lon",
                "outside_region",
                _("位置（%(lon)s, %(lat)s）不在%(region)s范围内。")
                % {"lon": lon_d, "lat": lat_d, "region": region.name},
            )
        )
    return lon_d, lat_d


def check_photo(photo: UploadedFile | None, *, field: str, errors: list[FieldError]) -> None:
    """A photo is a JPEG or PNG (by content, not only by name) of at most 5 MB."""
    if not photo:
        return
    size = photo.size or 0
    if size > PHOTO_MAX_BYTES:
        errors.append(
            FieldError(
                field,
                "photo_too_large",
                _("照片不能超过 5 MB（本张 %(size).1f MB）。") % {"size": size / 1048576},
            )
        )
        return
    photo.seek(0)
    head = photo.read(8)
    photo.seek(0)
    name = (photo.name or "").lower()
    if not any(head.startswith(magic) and name.endswith(ends) for magic, ends in PHOTO_SIGNATURES):
        errors.append(FieldError(field, "photo_type", _("照片须为 JPG 或 PNG 格式。")))


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise Invalid(errors)


# --- campaigns ---------------------------------------------------------------------------------


def campaign_create(
    *,
    actor,
    name: str,
    region: Region,
    starts_on: date,
    ends_on: date,
    description: str = "",
    lead: str = "",
) -> Campaign:
    """A campaign (e.g. 固体废物大督查) over a region; its period must run forward."""
    ensure_inspector(actor)
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError("name", "required", _("请填写行动名称。")))
    if ends_on < starts_on:
        errors.append(FieldError("ends_on", "period_reversed", _("结束日期不能早于开始日期。")))
    _raise(errors)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name.strip(),
            region=region,
            starts_on=starts_on,
            ends_on=ends_on,
            description=description,
            lead=lead,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _ensure_in_scope(actor, campaign, Action.ADD)
        _log(actor=actor, obj=campaign, action="create")
    return campaign


# --- inspections and findings ------------------------------------------------------------------


def _check_fit(checklist: Checklist, site: Site | None, dump_site: DumpSite | None) -> None:
    fit = fits(checklist.kind)
    if site is not None and site.kind not in fit.site_kinds:
        raise _invalid(
            "checklist",
            "checklist_wrong_place",
            _("“%(checklist)s”不适用于%(kind)s类场所。")
            % {"checklist": checklist.name, "kind": site.get_kind_display()},
        )
    if dump_site is not None and dump_site.kind not in fit.dump_site_kinds:
        raise _invalid(
            "checklist",
            "checklist_wrong_place",
            _("“%(checklist)s”不适用于%(kind)s。")
            % {"checklist": checklist.name, "kind": dump_site.get_kind_display()},
        )


def inspection_create(
    *,
    actor,
    checklist: Checklist,
    inspected_on: date,
    inspectors: str,
    today: date,
    site: Site | None = None,
    dump_site: DumpSite | None = None,
    campaign: Campaign | None = None,
) -> Inspection:
    """Open a visit (draft) to one registered site or one register entry with a checklist
    that fits the place; within the campaign's period and region when there is one."""
    ensure_inspector(actor)
    if (site is None) == (dump_site is None):
        raise _invalid("site", "place_required", _("请选择一个检查场所或一个堆存点/填埋场。"))
    if not checklist.is_active:
        raise _invalid("checklist", "checklist_inactive", _("该检查表已停用。"))
    _check_fit(checklist, site, dump_site)
    place: Site | DumpSite = site if site is not None else dump_site  # type: ignore[assignment]
    errors: list[FieldError] = []
    if not inspectors.strip():
        errors.append(FieldError("inspectors", "required", _("请填写检查人员。")))
    if inspected_on > today:
        errors.append(FieldError("inspected_on", "in_future", _("检查日期不能晚于今天。")))
    if campaign is not None:
        if not campaign.starts_on <= inspected_on <= campaign.ends_on:
            errors.append(
                FieldError(
                    "inspected_on",
                    "outside_campaign",
                    _("检查日期不在“%(name)s”的行动期间（%(start)s至%(end)s）内。")
                    % {"name": campaign.name, "start": campaign.starts_on, "end": campaign.ends_on},
                )
            )
        if not place.region.path.startswith(campaign.region.path):
            errors.append(
                FieldError(
                    "campaign",
                    "outside_campaign_region",
                    _("该场所不在“%(name)s”的范围（%(region)s）内。")
                    % {"name": campaign.name, "region": campaign.region.name},
                )
            )
    _raise(errors)
    with transaction.atomic():
        inspection = Inspection.objects.create(
            campaign=campaign,
            checklist=checklist,
            site=site,
            dump_site=dump_site,
            party=place.party,
            region=place.region,
            inspected_on=inspected_on,
            inspectors=inspectors.strip(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        _ensure_in_scope(actor, inspection, Action.ADD)
        _log(actor=actor, obj=inspection, action="create")
    return inspection


@dataclass(frozen=True)
class FindingInput:
    """One problem found: the checklist item it breaks (optional), what and where."""

    description: str
    severity: str | None = None
    item: ChecklistItem | None = None
    lon: Decimal | str | None = None
    lat: Decimal | str | None = None
    photo: UploadedFile | None = None


def _check_finding(inspection: Inspection, data: FindingInput, prefix: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if data.item is not None and data.item.checklist_id != inspection.checklist_id:
        errors.append(
            FieldError(
                f"{prefix}item", "item_not_in_checklist", _("检查项不属于本次检查使用的检查表。")
            )
        )
    if not data.description.strip():
        errors.append(FieldError(f"{prefix}description", "required", _("请描述发现的问题。")))
    severity = data.severity or (data.item.severity if data.item is not None else None)
    if severity not in Severity.values:
        errors.append(FieldError(f"{prefix}severity", "severity_invalid", _("请选择问题等级。")))
    place_errors: list[FieldError] = []
    check_place(inspection.region, data.lon, data.lat, errors=place_errors)
    errors += [FieldError(f"{prefix}{e.field}", e.code, e.message) for e in place_errors]
    check_photo(data.photo, field=f"{prefix}photo", errors=errors)
    return errors


def _write_finding(inspection: Inspection, data: FindingInput) -> Finding:
    placed = data.lon not in (None, "")
    finding = Finding(
        inspection=inspection,
        item=data.item,
        description=data.description.strip(),
        severity=data.severity or (data.item.severity if data.item is not None else ""),
        lon=_coordinate(data.lon) if placed else None,
        lat=_coordinate(data.lat) if placed else None,
    )
    if data.photo:
        finding.photo.save(data.photo.name, data.photo, save=False)
    finding.save()
    return finding


def _draft(actor, inspection: Inspection) -> Inspection:
    ensure_inspector(actor)
    locked = _locked(Inspection, inspection, actor)
    if locked.status != InspectionStatus.DRAFT:
        raise InvalidTransition(_("检查已提交，不能再修改。"), code="inspection_submitted")
    return locked


def finding_add(*, actor, inspection: Inspection, data: FindingInput) -> Finding:
    """Record one problem of a draft inspection: an item of its checklist, a severity, a
    place inside its county and a photo (JPEG/PNG, ≤ 5 MB)."""
    _raise(_check_finding(inspection, data, ""))
    with transaction.atomic():
        locked = _draft(actor, inspection)
        finding = _write_finding(locked, data)
        _log(actor=actor, obj=finding, action="create")
    return finding


def inspection_submit(*, actor, inspection: Inspection, summary: str = "") -> Inspection:
    """Close the visit: no more findings; orders may now be issued on its findings."""
    with transaction.atomic():
        locked = _draft(actor, inspection)
        locked.status = InspectionStatus.SUBMITTED
        locked.summary = summary.strip() or locked.summary
        locked.save(update_fields=["status", "summary"])
        _log(actor=actor, obj=locked, action="submit")
    return locked


def inspection_record(
    *,
    actor,
    inspection: Inspection,
    findings: Sequence[FindingInput],
    summary: str = "",
    submit: bool = True,
) -> Inspection:
    """The phone form in one step: a finding per failed item, then (optionally) submit.
    Every finding is checked first; one bad finding writes none of them."""
    errors: list[FieldError] = []
    for index, data in enumerate(findings):
        errors += _check_finding(inspection, data, f"findings.{index}.")
    _raise(errors)
    with transaction.atomic():
        locked = _draft(actor, inspection)
        for data in findings:
            _log(actor=actor, obj=_write_finding(locked, data), action="create")
        if submit:
            locked = inspection_submit(actor=actor, inspection=locked, summary=summary)
    return locked


# --- rectification orders ----------------------------------------------------------------------


def next_order_number(region: Region, issued_on: date) -> str:
    """ZG + year + county code + a sequence per county and year (ZG2020411002-0007)."""
    prefix = f"ZG{issued_on.year}{region.adcode[:6]}-"
    last = (
        RectificationOrder.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{sequence:04d}"


def order_issue(
    *, actor, finding: Finding, requirement: str, issued_on: date, deadline: date, today: date
) -> RectificationOrder:
    """A rectification order with a deadline on a finding of a submitted inspection; one
    open order per finding."""
    ensure_inspector(actor)
    errors: list[FieldError] = []
    if not requirement.strip():
        errors.append(FieldError("requirement", "required", _("请填写整改要求。")))
    if issued_on > today:
        errors.append(FieldError("issued_on", "in_future", _("下达日期不能晚于今天。")))
    if deadline <= issued_on:
        errors.append(
            FieldError("deadline", "deadline_before_issue", _("整改期限须晚于下达日期。"))
        )
    _raise(errors)
    with transaction.atomic():
        inspection = _locked(Inspection, finding.inspection, actor)
        if inspection.status != InspectionStatus.SUBMITTED:
            raise InvalidTransition(
                _("检查提交后才能下达整改通知。"), code="inspection_not_submitted"
            )
        if finding.orders.exclude(status=OrderStatus.CLOSED).exists():
            raise InvalidTransition(_("该问题已有未销号的整改通知。"), code="order_exists")
        for _attempt in range(3):  # a concurrent issue in the same county takes the number
            try:
                with transaction.atomic():
                    order = RectificationOrder.objects.create(
                        number=next_order_number(inspection.region, issued_on),
                        finding=finding,
                        party=inspection.party,
                        region=inspection.region,
                        requirement=requirement.strip(),
                        issued_on=issued_on,
                        deadline=deadline,
                    )
                break
            except IntegrityError:
                continue
        else:
            raise WufeiError(_("整改通知编号生成冲突，请重试。"), code="number_conflict")
        _ensure_in_scope(actor, order, Action.ADD)
        _log(actor=actor, obj=order, action="create")
    return order


def order_report(*, actor, order: RectificationOrder, report: str, now: datetime):
    """The party (or an official for it) reports the rectification done."""
    if not report.strip():
        raise _invalid("report", "required", _("请填写整改情况。"))
    with transaction.atomic():
        locked = _locked(RectificationOrder, order, actor)
        if locked.status not in ORDER_OPEN:
            raise InvalidTransition(
                _("只有整改中的通知才能报整改完成（当前：%(status)s）。")
                % {"status": locked.get_status_display()}
            )
        locked.status = OrderStatus.REPORTED
        locked.report = report.strip()
        locked.reported_at = now
        locked.save(update_fields=["status", "report", "reported_at"])
        _log(actor=actor, obj=locked, action="report")
    return locked


def reinspection_record(
    *,
    actor,
    order: RectificationOrder,
    inspected_on: date,
    inspectors: str,
    passed: bool,
    today: date,
    now: datetime,
    note: str = "",
    new_deadline: date | None = None,
    photo: UploadedFile | None = None,
) -> Reinspection:
    """Re-inspect a reported order. Passed: it may be closed. Failed: back to rectification
    (status 复查未通过) with a new deadline after the re-inspection."""
    ensure_inspector(actor)
    errors: list[FieldError] = []
    if not inspectors.strip():
        errors.append(FieldError("inspectors", "required", _("请填写复查人员。")))
    if inspected_on > today:
        errors.append(FieldError("inspected_on", "in_future", _("复查日期不能晚于今天。")))
    if inspected_on < order.issued_on:
        errors.append(FieldError("inspected_on", "before_issue", _("复查日期不能早于下达日期。")))
    if not passed and (new_deadline is None or new_deadline <= inspected_on):
        errors.append(
            FieldError(
                "new_deadline",
                "new_deadline_required",
                _("复查未通过时须给出晚于复查日期的新整改期限。"),
            )
        )
    check_photo(photo, field="photo", errors=errors)
    _raise(errors)
    with transaction.atomic():
        locked = _locked(RectificationOrder, order, actor)
        if locked.status != OrderStatus.REPORTED:
            raise InvalidTransition(
                _("单位报整改完成后才能复查（当前：%(status)s）。")
                % {"status": locked.get_status_display()},
                code="order_not_reported",
            )
        reinspection = Reinspection(
            order=locked,
            inspected_on=inspected_on,
            inspectors=inspectors.strip(),
            passed=passed,
            note=note.strip(),
            created_at=now,
        )
        if photo:
            reinspection.photo.save(photo.name, photo, save=False)
        reinspection.save()
        if not passed and new_deadline is not None:  # checked above
            locked.status = OrderStatus.FAILED
            locked.deadline = new_deadline
            locked.save(update_fields=["status", "deadline"])
            _log(actor=actor, obj=locked, action="reopen")
        _log(actor=actor, obj=reinspection, action="create")
    return reinspection


def order_close(*, actor, order: RectificationOrder, now: datetime) -> RectificationOrder:
    """销号: only a reported order whose latest re-inspection passed."""
    ensure_inspector(actor)
    with transaction.atomic():
        locked = _locked(RectificationOrder, order, actor)
        if locked.status == OrderStatus.CLOSED:
            raise InvalidTransition(_("该整改通知已销号。"))
        latest = locked.reinspections.order_by("-inspected_on", "-id").first()
        if locked.status != OrderStatus.REPORTED or latest is None or not latest.passed:
            raise InvalidTransition(
                _("整改通知须经复查通过后才能销号。"), code="reinspection_required"
            )
        locked.status = OrderStatus.CLOSED
        locked.closed_at = now
        locked.closed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["status", "closed_at", "closed_by"])
        _log(actor=actor, obj=locked, action="close")
    return locked


# --- the register of storage yards and informal landfills ---------------------------------------


@dataclass(frozen=True)
class DumpSiteInput:
    kind: str
    name: str
    region: Region
    found_on: date
    address: str = ""
    lon: Decimal | str | None = None
    lat: Decimal | str | None = None
    area_m2: Decimal | None = None
    volume_m3: Decimal | None = None
    waste: str = ""
    party: Party | None = None
    note: str = ""


def dump_site_register(*, actor, data: DumpSiteInput, today: date) -> DumpSite:
    """Register a storage yard or informal landfill found by the 排查 (state 已排查登记)."""
    ensure_inspector(actor)
    errors: list[FieldError] = []
    if data.kind not in DumpSiteKind.values:
        errors.append(FieldError("kind", "kind_invalid", _("请选择类型。")))
    if not data.name.strip():
        errors.append(FieldError("name", "required", _("请填写名称。")))
    if data.found_on > today:
        errors.append(FieldError("found_on", "in_future", _("发现日期不能晚于今天。")))
    for field in ("area_m2", "volume_m3"):
        value = getattr(data, field)
        if value is not None and value < 0:
            errors.append(FieldError(field, "negative", _("不能为负数。")))
    lon, lat = check_place(data.region, data.lon, data.lat, errors=errors)
    _raise(errors)
    with transaction.atomic():
        site = DumpSite.objects.create(
            kind=data.kind,
            name=data.name.strip(),
            region=data.region,
            address=data.address,
            lon=lon,
            lat=lat,
            area_m2=data.area_m2,
            volume_m3=data.volume_m3,
            waste=data.waste,
            party=data.party,
            found_on=data.found_on,
            state=DumpSiteState.FOUND,
            state_changed_on=data.found_on,
            note=data.note,
        )
        _ensure_in_scope(actor, site, Action.ADD)
        _log(actor=actor, obj=site, action="create")
    return site


def dump_site_register_from_finding(
    *, actor, finding: Finding, name: str, kind: str | None = None, today: date
) -> DumpSite:
    """A yard or landfill found during an inspection becomes a register entry: its place,
    county, party and date come from the finding and its inspection."""
    inspection = finding.inspection
    place = inspection.site
    return dump_site_register(
        actor=actor,
        data=DumpSiteInput(
            kind=kind or str(REGISTER_KIND_OF_CHECKLIST.get(inspection.checklist.kind, "")),
            name=name,
            region=inspection.region,
            found_on=inspection.inspected_on,
            address=place.address if place is not None else "",
            lon=finding.lon if finding.lon is not None else getattr(place, "lon", None),
            lat=finding.lat if finding.lat is not None else getattr(place, "lat", None),
            waste=finding.description[:200],
            party=inspection.party,
            note=_("由现场检查（%(date)s）发现登记。") % {"date": inspection.inspected_on},
        ),
        today=today,
    )


def dump_site_move(
    *, actor, dump_site: DumpSite, state: str, on: date, today: date, note: str = ""
) -> DumpSite:
    """Move an entry along 已排查登记 → 整治中 → 已整治待验收 → 已验收销号 (or back to 整治中
    when acceptance fails). Closing needs a submitted inspection of the entry on or after the
    day it was reported rectified."""
    ensure_inspector(actor)
    if on > today:
        raise _invalid("on", "in_future", _("日期不能晚于今天。"))
    with transaction.atomic():
        locked = _locked(DumpSite, dump_site, actor)
        if state not in DUMP_SITE_MOVES.get(locked.state, ()):
            raise InvalidTransition(
                _("不能从“%(old)s”改为“%(new)s”。")
                % {
                    "old": locked.get_state_display(),
                    "new": dict(DumpSiteState.choices).get(state, state),
                }
            )
        since = locked.state_changed_on or locked.found_on
        if on < since:
            raise _invalid(
                "on",
                "before_previous",
                _("日期不能早于上一状态的日期（%(date)s）。") % {"date": since},
            )
        if state == DumpSiteState.CLOSED and not (
            locked.inspections.filter(
                status=InspectionStatus.SUBMITTED, inspected_on__gte=since
            ).exists()
        ):
            raise InvalidTransition(
                _("整治完成后须有一次现场检查（验收）才能销号。"), code="inspection_required"
            )
        locked.state = state
        locked.state_changed_on = on
        if note.strip():
            locked.note = note.strip()[:300]
        locked.save(update_fields=["state", "state_changed_on", "note"])
        _log(actor=actor, obj=locked, action=f"state:{state}")
    return locked
