"""Pages of the sorting registry and the guides' roster: compounds and villages with their
registration, households and their printable cards (一户一码), stations with their fixed times,
guides with stations, shifts, checks and training, the week of shifts of a street, the phone
form of a station check, and the guide's own home. Thin: selectors read, services write,
refusals come back as field errors or messages."""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import is_permitted, may, role_of
from wufei.core.errors import Invalid, WufeiError
from wufei.core.export import Column, column, xlsx_response
from wufei.core.forms import add_errors
from wufei.core.pages import (
    PAGE_SIZE,
    ModelPage,
    bind_filters,
    one_or_404,
    page,
    table,
)
from wufei.sorting import registry_selectors as selectors
from wufei.sorting import registry_services as services
from wufei.sorting.models import (
    Community,
    Guide,
    Household,
    Shift,
    ShiftStatus,
    Station,
    StationCheck,
    Training,
)
from wufei.sorting.registry_forms import (
    CheckFilterSet,
    CommunityFilterSet,
    CommunityForm,
    GuideFilterSet,
    GuideForm,
    HouseholdEditForm,
    HouseholdFilterSet,
    HouseholdForm,
    HouseholdsRegisterForm,
    ShiftPlanForm,
    StationCheckForm,
    StationFilterSet,
    StationForm,
    TrainingFilterSet,
    TrainingForm,
    attendance_rows,
)

NAMESPACE = "sorting"
RELATED_ROWS = 20
CARDS_DEFAULT = 50
CARDS_MAX = 500
PER_SHEET = 10  # 2 × 5 bank-card-sized cards on an A4 sheet
SHIFT_TONES = {
    ShiftStatus.PLANNED: "info",
    ShiftStatus.ON_DUTY: "ok",
    ShiftStatus.ABSENT: "bad",
}


def _url(name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


def _link(name: str, attribute: str = "pk"):
    """``f(row)``: the ``name`` page of the object whose pk is ``row.<attribute>``."""

    def url(row) -> str | None:
        pk = row
        for part in attribute.split("."):
            pk = getattr(pk, part, None)
            if pk is None:
                return None
        return _url(name, pk)

    return url


def optional_url(name: str, *args) -> str:
    """The url of a page another sorting module provides."""
    return reverse(name, args=args)


def ledger_url(household: Household) -> str | None:
    return optional_url("points:household_ledger", household.pk)


def drop_url() -> str | None:
    return optional_url("points:drop_new")


def _active_tone(row) -> str:
    return "ok" if row.is_active else "muted"


def _rate(community: Community) -> str | None:
    rate = selectors.registration_rate(community)
    return f"{rate}%" if rate is not None else None


def _schedule(station: Station) -> str:
    return services.schedule_text(station.schedule)


def _hours(shift: Shift) -> str:
    return f"{shift.starts:%H:%M}-{shift.ends:%H:%M}"


# --- columns -------------------------------------------------------------------------------------

COMMUNITY_COLUMNS = (
    column(Community, "name", link=_link("community_detail"), width=28),
    column(Community, "kind"),
    Column(gettext_lazy("县（市、区）"), "region.parent.name"),
    column(Community, "region.name", header=gettext_lazy("街道（乡镇）")),
    column(Community, "committee.name", width=24),
    column(Community, "households_total", numeric=True),
    Column(gettext_lazy("已登记户数"), "registered", numeric=True),
    Column(gettext_lazy("登记率"), _rate, numeric=True),
    Column(gettext_lazy("投放点"), "station_count", numeric=True, width=8),
    column(Community, "is_pilot", width=8),
    column(Community, "coarse_sorting", width=8),
    column(Community, "collection_covered", width=8),
    column(Community, "is_active", tone=_active_tone, width=8),
)
HOUSEHOLD_COLUMNS = (
    column(Household, "code", link=_link("household_detail"), width=14),
    column(Household, "card_number", width=14),
    column(Household, "community.name", link=_link("community_detail", "community_id"), width=24),
    column(Household, "unit", width=20),
    column(Household, "phone_masked", width=14),
    Column(
        Household._meta.get_field("points_balance").verbose_name,
        "points_balance",
        link=ledger_url,
        numeric=True,
    ),
    column(Household, "registered_on"),
    column(Household, "is_active", tone=_active_tone, width=8),
)
STATION_COLUMNS = (
    column(Station, "name", link=_link("station_detail"), width=28),
    column(Station, "kind"),
    column(Station, "community.name", link=_link("community_detail", "community_id"), width=24),
    column(Station, "region.name"),
    Column(gettext_lazy("投放时段"), _schedule, width=28),
    Column(gettext_lazy("督导员"), "guide_count", numeric=True, width=8),
    column(Station, "is_active", tone=_active_tone, width=8),
)
GUIDE_COLUMNS = (
    column(Guide, "name", link=_link("guide_detail")),
    column(Guide, "region.name"),
    column(Guide, "phone_masked"),
    Column(gettext_lazy("负责投放点"), lambda g: [s.name for s in g.stations.all()], width=40),
    column(Guide, "is_volunteer", width=8),
    column(Guide, "joined_on"),
    Column(gettext_lazy("平台账号"), lambda g: g.user.username if g.user else None),
    column(Guide, "is_active", tone=_active_tone, width=8),
)
CHECK_COLUMNS = (
    column(StationCheck, "checked_at", link=_link("check_detail")),
    column(StationCheck, "station.name", link=_link("station_detail", "station_id"), width=28),
    column(StationCheck, "guide.name", link=_link("guide_detail", "guide_id")),
    column(
        StationCheck,
        "score",
        numeric=True,
        tone=lambda c: "ok" if c.score >= 80 else ("warn" if c.score >= 60 else "bad"),
    ),
    column(StationCheck, "bins_clean", width=8),
    column(StationCheck, "signage_ok", width=8),
    column(StationCheck, "overflowing", tone=lambda c: "bad" if c.overflowing else None, width=8),
    column(StationCheck, "mixed", tone=lambda c: "bad" if c.mixed else None, width=8),
    column(StationCheck, "note", width=40),
    Column(
        gettext_lazy("照片"),
        lambda c: _("查看") if c.photo else "",
        link=lambda c: _url("check_photo", c.pk) if c.photo else None,
        width=8,
    ),
)
TRAINING_COLUMNS = (
    column(Training, "title", link=_link("training_detail"), width=32),
    column(Training, "held_on"),
    column(Training, "place", width=24),
    column(Training, "trainer"),
    column(Training, "region.name"),
    column(Training, "hours", numeric=True),
    Column(gettext_lazy("出席人数"), "present_count", numeric=True),
    Column(gettext_lazy("考核合格"), "passed_count", numeric=True),
)
SHIFT_COLUMNS = (
    column(Shift, "day"),
    Column(gettext_lazy("时段"), _hours),
    column(Shift, "station.name", link=_link("station_detail", "station_id"), width=28),
    column(Shift, "guide.name", link=_link("guide_detail", "guide_id")),
    column(Shift, "status", tone=lambda s: SHIFT_TONES.get(s.status)),
    column(Shift, "checked_in_at"),
)
ATTENDED_COLUMNS = (
    column(Training, "held_on"),
    column(Training, "title", link=_link("training_detail"), width=32),
    column(Training, "hours", numeric=True),
    Column(gettext_lazy("出席"), "present"),
    Column(gettext_lazy("考核合格"), "passed"),
)


# --- the ModelPages: create and edit forms, and the options of searchable selects -----------------

community_page = ModelPage(
    model=Community,
    namespace=NAMESPACE,
    slug="community",
    segment="communities",
    selector=selectors.community_list,
    columns=COMMUNITY_COLUMNS,
    filterset=CommunityFilterSet,
    form=CommunityForm,
    create=services.community_create,
    update=services.community_update,
    title=gettext_lazy("分类小区（村）"),
    initial_from_query=("region", "kind"),
)
station_page = ModelPage(
    model=Station,
    namespace=NAMESPACE,
    slug="station",
    segment="stations",
    selector=selectors.station_list,
    columns=STATION_COLUMNS,
    filterset=StationFilterSet,
    form=StationForm,
    create=services.station_create,
    update=services.station_update,
    title=gettext_lazy("投放点"),
    initial_from_query=("community", "region", "kind"),
)
guide_page = ModelPage(
    model=Guide,
    namespace=NAMESPACE,
    slug="guide",
    segment="guides",
    selector=selectors.guide_list,
    columns=GUIDE_COLUMNS,
    filterset=GuideFilterSet,
    form=GuideForm,
    create=services.guide_create,
    update=services.guide_update,
    title=gettext_lazy("督导员"),
    initial_from_query=("region",),
)
training_page = ModelPage(
    model=Training,
    namespace=NAMESPACE,
    slug="training",
    segment="trainings",
    selector=selectors.training_list,
    columns=TRAINING_COLUMNS,
    filterset=TrainingFilterSet,
    form=TrainingForm,
    create=services.training_create,
    update=services.training_update,
    title=gettext_lazy("督导员培训"),
)
PAGES = (community_page, station_page, guide_page, training_page)


def form_urls(page: ModelPage) -> list:
    """The ModelPage's add, edit and options pages; list and detail are this module's."""
    own = {f"{page.slug}_list", f"{page.slug}_detail"}
    return [pattern for pattern in page.urls() if pattern.name not in own]


# --- plumbing ------------------------------------------------------------------------------------


def _can_change(actor, obj) -> bool:
    return services.is_manager(actor) and is_permitted(actor, Action.CHANGE, obj)


def _may_add(actor, model) -> bool:
    return services.is_manager(actor) and may(actor, Action.ADD, model)


def _listing(request, rows, filterset, columns, title, *, add_url=None, lead=None):
    """Filters, paging and the ``?format=xlsx`` export of one list."""
    filters = bind_filters(SimpleNamespace(filterset=filterset), request, rows)
    rows = filters.filterset.qs if filters.valid else rows.none()
    if request.GET.get("format") == "xlsx":
        return xlsx_response(
            title=str(title),
            columns=columns,
            rows=rows.iterator(chunk_size=2000),
            filters=[(label, shown) for _name, label, shown in filters.active()],
        )
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "title": title,
        "lead": lead,
        "filters": filters,
        "active_filters": filters.active(),
        "table": table(columns, page_obj.object_list),
        "page_obj": page_obj,
        "paginator": page_obj.paginator,
        "add_url": add_url,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "core/_list_results.html", context)
    return render(request, "sorting/registry/list.html", context)


def _block(title, rows, columns, *, more=None, limit=RELATED_ROWS) -> dict:
    total = rows.count()
    return {
        "title": title,
        "total": total,
        "table": table(columns, rows[:limit]) if total else None,
        "more": more if total > limit else None,
    }


def _fields(columns, obj) -> list:
    from wufei.core.pages import Cell

    return [(c.header, Cell.of(c, obj)) for c in columns]


def _action(label, url, *, post=False, primary=False, confirm=None) -> dict:
    return {"label": label, "url": url, "post": post, "primary": primary, "confirm": confirm}


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _refused(request, exc: WufeiError) -> None:
    """A service's refusal as messages (403 / 404 propagate to the error pages)."""
    if exc.status in (403, 404):
        raise exc
    for error in exc.errors:
        messages.error(request, str(error.message))


def _form_page(request, form, title, *, back, lead=None, submit=None, phone=False, multipart=False):
    return render(
        request,
        "sorting/registry/form.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "lead": lead,
            "submit": submit or _("保存"),
            "phone": phone,
            "multipart": multipart,
        },
    )


# --- communities ---------------------------------------------------------------------------------


@page(Community)
def community_list(request):
    return _listing(
        request,
        selectors.community_list(actor=request.user),
        CommunityFilterSet,
        COMMUNITY_COLUMNS,
        _("分类小区（村）"),
        add_url=_url("community_add") if _may_add(request.user, Community) else None,
        lead=_("登记率 = 已登记（有效）住户 ÷ 常住户数。"),
    )


COMMUNITY_DETAIL = (
    column(Community, "kind"),
    Column(gettext_lazy("县（市、区）"), "region.parent.name"),
    column(Community, "region.name", header=gettext_lazy("街道（乡镇）")),
    column(Community, "committee.name"),
    column(Community, "site.name"),
    column(Community, "households_total", numeric=True),
    Column(gettext_lazy("已登记户数"), "registered", numeric=True),
    Column(gettext_lazy("登记率"), _rate),
    Column(gettext_lazy("户码前缀"), lambda c: f"{services.code_prefix(c)}····"),
    column(Community, "is_pilot"),
    column(Community, "sorting_since"),
    column(Community, "coarse_sorting"),
    column(Community, "collection_covered"),
    column(Community, "lon"),
    column(Community, "lat"),
    column(Community, "is_active", tone=_active_tone),
)


def _may_register(actor, community: Community) -> bool:
    role = role_of(actor)
    if role not in services.MANAGER_ROLES and role != Role.GUIDE:
        return False
    return community.is_active and may(actor, Action.ADD, Household)


@page(Community)
def community_detail(request, pk: int):
    actor = request.user
    community = one_or_404(selectors.community_list(actor=actor), pk)
    stations = selectors.station_list(actor=actor).filter(community=community)
    guides = (
        selectors.guide_list(actor=actor)
        .filter(stations__community=community, is_active=True)
        .distinct()
    )
    households = selectors.household_list(actor=actor).filter(community=community)
    actions = []
    if _can_change(actor, community):
        actions.append(_action(_("修改"), _url("community_edit", pk), primary=True))
    if _may_register(actor, community):
        actions.append(_action(_("批量登记住户"), _url("community_register", pk)))
        actions.append(_action(_("登记一户"), f"{_url('household_add')}?community={pk}"))
    actions.append(_action(_("打印户码卡"), _url("community_cards", pk)))
    if _may_add(actor, Station):
        actions.append(_action(_("新建投放点"), f"{_url('station_add')}?community={pk}"))
    blocks = [
        _block(
            _("投放点与投放时段"),
            stations,
            STATION_COLUMNS,
            more=f"{_url('station_list')}?community={pk}",
        ),
        _block(
            _("督导员"),
            guides,
            GUIDE_COLUMNS,
            more=f"{_url('guide_list')}?street={community.region.adcode}",
        ),
        _block(
            _("住户"),
            households.order_by("-registered_on", "-code"),
            HOUSEHOLD_COLUMNS,
            more=f"{_url('household_list')}?community={pk}",
        ),
    ]
    return render(
        request,
        "sorting/registry/detail.html",
        {
            "kind_label": community._meta.verbose_name,
            "title": community.name,
            "obj": community,
            "list_url": _url("community_list"),
            "list_title": _("分类小区（村）"),
            "fields": _fields(COMMUNITY_DETAIL, community),
            "actions": actions,
            "blocks": blocks,
        },
    )


def _community_for_registration(request, pk: int) -> Community:
    community = one_or_404(selectors.community_list(actor=request.user), pk)
    if not _may_register(request.user, community):
        raise PermissionDenied(_("您无权为该小区（村）登记住户。"))
    return community


def _card_index(community: Community, code: str) -> int:
    return Household.objects.filter(community=community, is_active=True, code__lt=code).count()


@page(Household)
def community_register(request, pk: int):
    """Register many households at once; then print their cards."""
    community = _community_for_registration(request, pk)
    form = HouseholdsRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.households_register(
                actor=request.user,
                community=community,
                count=data["count"],
                unit_labels=data["unit_labels"],
                with_cards=data["with_cards"],
                today=timezone.localdate(),
            )
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            messages.success(
                request,
                _("已登记 %(n)s 户，户码 %(first)s 至 %(last)s。")
                % {"n": len(created), "first": created[0].code, "last": created[-1].code},
            )
            start = _card_index(community, created[0].code)
            count = min(len(created), CARDS_MAX)
            return redirect(f"{_url('community_cards', pk)}?start={start}&count={count}")
    lead = _("下一个户码：%(code)s（户码按顺序续编，不重复）。") % {
        "code": services.next_code(community)
    }
    return _form_page(
        request,
        form,
        _("批量登记住户 · %(name)s") % {"name": community.name},
        back=_url("community_detail", pk),
        lead=lead,
        submit=_("登记"),
    )


def _qr_svg(code: str) -> str:
    """The household code as an inline SVG QR code (segno; only the code's characters)."""
    qr = segno.make(code, error="m", micro=False)
    return qr.svg_inline(scale=4, border=2, omitsize=True, title=code)


def _int(text: str | None, default: int, *, low: int, high: int) -> int:
    try:
        value = int(text) if text not in (None, "") else default
    except ValueError:
        value = default
    return max(low, min(high, value))


@page(Community)
def community_cards(request, pk: int):
    """Printable household cards, an A4 grid: QR of the code, the code, the community, the
    station's fixed times. ``?start=`` (0-based) and ``?count=`` page through the households."""
    actor = request.user
    community = one_or_404(selectors.community_list(actor=actor), pk)
    households = selectors.household_list(actor=actor).filter(community=community, is_active=True)
    total = households.count()
    start = _int(request.GET.get("start"), 0, low=0, high=max(total - 1, 0))
    count = _int(request.GET.get("count"), CARDS_DEFAULT, low=1, high=CARDS_MAX)
    rows = list(households.order_by("code")[start : start + count])
    stations = list(selectors.station_list(actor=actor).filter(community=community, is_active=True))
    sorting = [s for s in stations if s.kind == "sorting"] or stations
    if len({_schedule(s) for s in sorting}) == 1:  # the same fixed times everywhere
        times = _schedule(sorting[0])
    else:
        times = "；".join(f"{s.name} {_schedule(s)}" for s in sorting[:2])
    cards = [
        {
            "code": h.code,
            "card": h.card_number,
            "unit": h.unit,
            "qr": mark_safe(_qr_svg(h.code)),  # noqa: S308 - segno escapes the code it draws
        }
        for h in rows
    ]
    previous_start = max(start - count, 0) if start > 0 else None
    next_start = start + count if start + count < total else None
    return render(
        request,
        "sorting/registry/cards.html",
        {
            "community": community,
            "sheets": [cards[i : i + PER_SHEET] for i in range(0, len(cards), PER_SHEET)],
            "times": times,
            "start": start,
            "count": count,
            "total": total,
            "first": start + 1 if rows else 0,
            "last": start + len(rows),
            "previous_url": f"?start={previous_start}&count={count}"
            if previous_start is not None
            else None,
            "next_url": f"?start={next_start}&count={count}" if next_start is not None else None,
        },
    )


# --- households ----------------------------------------------------------------------------------


@page(Household)
def household_list(request):
    return _listing(
        request,
        selectors.household_list(actor=request.user),
        HouseholdFilterSet,
        HOUSEHOLD_COLUMNS,
        _("住户"),
        add_url=_url("household_add")
        if role_of(request.user) in (*services.MANAGER_ROLES, Role.GUIDE)
        and may(request.user, Action.ADD, Household)
        else None,
        lead=_("住户只登记户码、卡号、门牌和脱敏电话，不登记姓名。"),
    )


HOUSEHOLD_DETAIL = (
    column(Household, "code"),
    column(Household, "card_number"),
    column(Household, "community.name", link=_link("community_detail", "community_id")),
    Column(gettext_lazy("街道（乡镇）"), "community.region.name"),
    column(Household, "unit"),
    column(Household, "phone_masked"),
    Column(
        Household._meta.get_field("points_balance").verbose_name,
        "points_balance",
        link=ledger_url,
    ),
    column(Household, "registered_on"),
    column(Household, "is_active", tone=_active_tone),
)


@page(Household)
def household_detail(request, pk: int):
    actor = request.user
    household = one_or_404(selectors.household_list(actor=actor), pk)
    actions = []
    writable = is_permitted(actor, Action.CHANGE, household)
    if writable:
        actions.append(_action(_("修改"), _url("household_edit", pk), primary=True))
    ledger = ledger_url(household)
    if ledger:
        actions.append(_action(_("积分流水"), ledger))
    if household.is_active:
        start = _card_index(household.community, household.code)
        actions.append(
            _action(
                _("打印户码卡"),
                f"{_url('community_cards', household.community_id)}?start={start}&count=1",
            )
        )
    if writable and household.is_active:
        actions.append(
            _action(
                _("停用"),
                _url("household_deactivate", pk),
                post=True,
                confirm=_("确认停用该住户？户码和积分流水将保留。"),
            )
        )
    return render(
        request,
        "sorting/registry/detail.html",
        {
            "kind_label": household._meta.verbose_name,
            "title": household.code,
            "obj": household,
            "list_url": _url("household_list"),
            "list_title": _("住户"),
            "fields": _fields(HOUSEHOLD_DETAIL, household),
            "actions": actions,
            "blocks": [],
            "qr": mark_safe(_qr_svg(household.code)),  # noqa: S308 - segno escapes it
        },
    )


@page(Household)
def household_add(request):
    """Register one household (a guide at the door, or an official)."""
    actor = request.user
    if role_of(actor) not in (*services.MANAGER_ROLES, Role.GUIDE) or not may(
        actor, Action.ADD, Household
    ):
        raise PermissionDenied(_("您无权登记住户。"))
    initial = {"community": request.GET.get("community")} if "community" in request.GET else {}
    form = HouseholdForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = services.household_register(
                actor=actor,
                community=data["community"],
                unit=data["unit"],
                phone=data["phone"],
                with_card=data["with_card"],
                today=timezone.localdate(),
            )
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            messages.success(request, _("已登记住户，户码 %(code)s。") % {"code": household.code})
            return redirect(_url("household_detail", household.pk))
    return _form_page(
        request,
        form,
        _("登记住户"),
        back=_url("household_list"),
        submit=_("登记"),
        phone=True,
        lead=_("不登记姓名；电话只保存脱敏号码。"),
    )


@page(Household)
def household_edit(request, pk: int):
    actor = request.user
    household = one_or_404(selectors.household_list(actor=actor), pk)
    if not is_permitted(actor, Action.CHANGE, household):
        raise PermissionDenied(_("您无权修改此记录。"))
    form = HouseholdEditForm(
        request.POST or None, initial={"unit": household.unit, "phone": household.phone_masked}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(actor=actor, obj=household, data=form.cleaned_data)
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            return redirect(_url("household_detail", pk))
    return _form_page(
        request,
        form,
        _("修改：%(code)s") % {"code": household.code},
        back=_url("household_detail", pk),
        phone=True,
    )


@require_POST
@page(Household)
def household_deactivate(request, pk: int):
    household = one_or_404(selectors.household_list(actor=request.user), pk)
    try:
        services.household_deactivate(actor=request.user, household=household)
        messages.success(request, _("已停用住户 %(code)s。") % {"code": household.code})
    except WufeiError as exc:
        _refused(request, exc)
    return redirect(_url("household_detail", pk))


@page(Household)
def household_lookup(request):
    """Find a household by the code or card number typed or scanned."""
    code = request.GET.get("code", "")
    household = selectors.household_by_code(actor=request.user, code=code)
    if household is not None:
        return redirect(_url("household_detail", household.pk))
    if code.strip():
        messages.error(request, _("未找到户码或卡号 %(code)s。") % {"code": code.strip()})
    return redirect(f"{_url('household_list')}?{urlencode({'q': code.strip()})}")


# --- stations ------------------------------------------------------------------------------------


@page(Station)
def station_list(request):
    return _listing(
        request,
        selectors.station_list(actor=request.user),
        StationFilterSet,
        STATION_COLUMNS,
        _("投放点"),
        add_url=_url("station_add") if _may_add(request.user, Station) else None,
        lead=_("定时定点：投放时段外不设桶；空表示全天开放。"),
    )


STATION_DETAIL = (
    column(Station, "kind"),
    column(Station, "community.name", link=_link("community_detail", "community_id")),
    column(Station, "region.name"),
    Column(gettext_lazy("投放时段"), _schedule),
    column(Station, "device"),
    column(Station, "operator.name"),
    column(Station, "lon"),
    column(Station, "lat"),
    column(Station, "is_active", tone=_active_tone),
)


@page(Station)
def station_detail(request, pk: int):
    actor = request.user
    station = one_or_404(selectors.station_list(actor=actor), pk)
    today = timezone.localdate()
    actions = []
    if _can_change(actor, station):
        actions.append(_action(_("修改"), _url("station_edit", pk), primary=True))
    if may(actor, Action.ADD, StationCheck) and role_of(actor) != Role.PUBLIC:
        actions.append(_action(_("登记检查"), f"{_url('check_add')}?station={pk}"))
    shifts = selectors.shift_list(actor=actor).filter(
        station=station, day__gte=today, day__lte=today + timedelta(days=6)
    )
    blocks = [
        _block(
            _("督导员"),
            selectors.guide_list(actor=actor).filter(stations=station),
            GUIDE_COLUMNS,
        ),
        _block(_("近 7 天排班"), shifts.order_by("day", "starts"), SHIFT_COLUMNS),
        _block(
            _("检查记录"),
            selectors.check_list(actor=actor).filter(station=station),
            CHECK_COLUMNS,
            more=f"{_url('check_list')}?station={pk}",
        ),
    ]
    return render(
        request,
        "sorting/registry/detail.html",
        {
            "kind_label": station._meta.verbose_name,
            "title": station.name,
            "obj": station,
            "list_url": _url("station_list"),
            "list_title": _("投放点"),
            "fields": _fields(STATION_DETAIL, station),
            "actions": actions,
            "blocks": blocks,
        },
    )


# --- guides --------------------------------------------------------------------------------------


@page(Guide)
def guide_list(request):
    return _listing(
        request,
        selectors.guide_list(actor=request.user),
        GuideFilterSet,
        GUIDE_COLUMNS,
        _("督导员"),
        add_url=_url("guide_add") if _may_add(request.user, Guide) else None,
    )


GUIDE_DETAIL = (
    column(Guide, "name"),
    column(Guide, "region.name"),
    column(Guide, "phone_masked"),
    Column(gettext_lazy("平台账号"), lambda g: g.user.username if g.user else None),
    column(Guide, "is_volunteer"),
    column(Guide, "joined_on"),
    column(Guide, "is_active", tone=_active_tone),
)


@page(Guide)
def guide_detail(request, pk: int):
    actor = request.user
    guide = one_or_404(selectors.guide_list(actor=actor), pk)
    today = timezone.localdate()
    actions = []
    if _can_change(actor, guide):
        actions.append(_action(_("修改"), _url("guide_edit", pk), primary=True))
        if guide.is_active:
            actions.append(_action(_("排班"), _url("guide_plan", pk)))
            actions.append(
                _action(
                    _("离岗"),
                    _url("guide_deactivate", pk),
                    post=True,
                    confirm=_("确认该督导员离岗？其负责投放点和今后的排班将取消。"),
                )
            )
    stations = selectors.station_list(actor=actor).filter(guides=guide)
    shifts = selectors.shift_list(actor=actor).filter(guide=guide)
    trainings = [
        SimpleNamespace(
            pk=a.training.pk,
            held_on=a.training.held_on,
            title=a.training.title,
            hours=a.training.hours,
            present=a.present,
            passed=a.passed,
        )
        for a in guide.attendance.select_related("training").order_by("-training__held_on")[
            :RELATED_ROWS
        ]
    ]
    blocks = [
        _block(_("负责投放点"), stations, STATION_COLUMNS),
        _block(
            _("今后 14 天排班"),
            shifts.filter(day__gte=today, day__lte=today + timedelta(days=13)).order_by(
                "day", "starts"
            ),
            SHIFT_COLUMNS,
        ),
        _block(
            _("以往排班"),
            shifts.filter(day__lt=today).order_by("-day", "-starts"),
            SHIFT_COLUMNS,
        ),
        {
            "title": _("参加培训"),
            "total": guide.attendance.count(),
            "table": table(ATTENDED_COLUMNS, trainings) if trainings else None,
            "more": None,
        },
        _block(
            _("检查记录"),
            selectors.check_list(actor=actor).filter(guide=guide),
            CHECK_COLUMNS,
            more=f"{_url('check_list')}?guide={pk}",
        ),
    ]
    return render(
        request,
        "sorting/registry/detail.html",
        {
            "kind_label": guide._meta.verbose_name,
            "title": guide.name,
            "obj": guide,
            "list_url": _url("guide_list"),
            "list_title": _("督导员"),
            "fields": _fields(GUIDE_DETAIL, guide),
            "actions": actions,
            "blocks": blocks,
        },
    )


@require_POST
@page(Guide)
def guide_deactivate(request, pk: int):
    guide = one_or_404(selectors.guide_list(actor=request.user), pk)
    try:
        services.guide_deactivate(actor=request.user, guide=guide, today=timezone.localdate())
        messages.success(request, _("%(name)s 已离岗。") % {"name": guide.name})
    except WufeiError as exc:
        _refused(request, exc)
    return redirect(_url("guide_detail", pk))


@page(Guide)
def guide_plan(request, pk: int):
    """Plan a guide's shifts at one of their stations, following its put-out times."""
    actor = request.user
    guide = one_or_404(selectors.guide_list(actor=actor), pk)
    if not _can_change(actor, guide):
        raise PermissionDenied(_("您无权为该督导员排班。"))
    today = timezone.localdate()
    initial = {"start": today, "end": today + timedelta(days=6)}
    if "station" in request.GET:
        initial["station"] = request.GET["station"]
    form = ShiftPlanForm(request.POST or None, guide=guide, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.shifts_plan(actor=actor, guide=guide, **data)
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            messages.success(request, _("已排班 %(n)s 个时段。") % {"n": len(created)})
            return redirect(_url("guide_detail", pk))
    return _form_page(
        request,
        form,
        _("排班 · %(name)s") % {"name": guide.name},
        back=_url("guide_detail", pk),
        lead=_("按投放点的定时投放时段逐日排班；已排的时段不会重复。"),
    )


# --- shifts --------------------------------------------------------------------------------------


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@page(Shift)
def shift_list(request):
    """The week of shifts of a street: one row per station, one column per day."""
    actor = request.user
    today = timezone.localdate()
    monday = selectors.monday_of(_date(request.GET.get("week")) or today)
    streets = list(selectors.streets(actor=actor))
    adcode = request.GET.get("street", "")
    street = next((s for s in streets if s.adcode == adcode), None)
    if street is None and role_of(actor) == Role.GUIDE and actor.region is not None:
        street = actor.region
    week = selectors.shift_week(actor=actor, monday=monday, street=street)
    managing = services.is_manager(actor)
    own = services.guide_of(actor)
    now = timezone.now()
    for row in week.rows:
        for cell in row.days:
            for shift in cell:
                _mark_actions(shift, now=now, managing=managing, own=own)
    return render(
        request,
        "sorting/registry/shift_week.html",
        {
            "title": _("排班"),
            "week": week,
            "streets": streets,
            "street": street,
            "today": today,
            "managing": managing,
            "own_guide_id": own.pk if own else None,
            "next": request.get_full_path(),
        },
    )


def _mark_actions(shift: Shift, *, now, managing: bool, own: Guide | None) -> None:
    """Which buttons a shift shows: what the services would accept now."""
    starts = services._shift_moment(shift, shift.starts)
    opens = starts - services.CHECK_IN_EARLY
    closes = services._shift_moment(shift, shift.ends)
    planned = shift.status == ShiftStatus.PLANNED
    if managing:
        shift.can_check_in = shift.status != ShiftStatus.ON_DUTY and now >= starts
        shift.can_mark_absent = planned and now >= starts
    else:
        mine = own is not None and shift.guide_id == own.pk
        shift.can_check_in = mine and planned and opens <= now <= closes
        shift.can_mark_absent = False


def _shift_action(request, pk: int, act) -> object:
    shift = one_or_404(selectors.shift_list(actor=request.user), pk)
    try:
        act(actor=request.user, shift=shift, now=timezone.now())
    except WufeiError as exc:
        _refused(request, exc)
    return redirect(_back(request, f"{_url('shift_list')}?week={shift.day.isoformat()}"))


@require_POST
@page(Shift)
def shift_check_in(request, pk: int):
    return _shift_action(request, pk, services.shift_check_in)


@require_POST
@page(Shift)
def shift_absent(request, pk: int):
    return _shift_action(request, pk, services.shift_mark_absent)


# --- station checks ------------------------------------------------------------------------------


def _may_check(actor) -> bool:
    role = role_of(actor)
    return (role in services.MANAGER_ROLES or role == Role.GUIDE) and may(
        actor, Action.ADD, StationCheck
    )


@page(StationCheck)
def check_list(request):
    return _listing(
        request,
        selectors.check_list(actor=request.user),
        CheckFilterSet,
        CHECK_COLUMNS,
        _("投放点检查"),
        add_url=_url("check_add") if _may_check(request.user) else None,
    )


CHECK_DETAIL = (
    column(StationCheck, "checked_at"),
    column(StationCheck, "station.name", link=_link("station_detail", "station_id")),
    column(StationCheck, "guide.name", link=_link("guide_detail", "guide_id")),
    column(StationCheck, "score"),
    column(StationCheck, "bins_clean"),
    column(StationCheck, "signage_ok"),
    column(StationCheck, "overflowing"),
    column(StationCheck, "mixed"),
    column(StationCheck, "note"),
    Column(
        gettext_lazy("照片"),
        lambda c: _("查看") if c.photo else "",
        link=lambda c: _url("check_photo", c.pk) if c.photo else None,
    ),
    Column(gettext_lazy("登记人"), lambda c: str(c.created_by) if c.created_by else None),
)


@page(StationCheck)
def check_detail(request, pk: int):
    check = one_or_404(selectors.check_list(actor=request.user), pk)
    return render(
        request,
        "sorting/registry/detail.html",
        {
            "kind_label": check._meta.verbose_name,
            "title": f"{check.station} · {timezone.localtime(check.checked_at):%Y-%m-%d %H:%M}",
            "obj": check,
            "list_url": _url("check_list"),
            "list_title": _("投放点检查"),
            "fields": _fields(CHECK_DETAIL, check),
            "actions": [],
            "blocks": [],
        },
    )


@page(StationCheck)
def check_add(request):
    """The phone form of a station check (桶边督导): a guide in its street, or an official."""
    actor = request.user
    if not _may_check(actor):
        raise PermissionDenied(_("您无权登记投放点检查。"))
    initial = {"station": request.GET["station"]} if "station" in request.GET else {}
    form = StationCheckForm(
        request.POST or None, request.FILES or None, actor=actor, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check = services.station_check_add(
                actor=actor,
                station=data["station"],
                score=data["score"],
                bins_clean=data["bins_clean"],
                overflowing=data["overflowing"],
                mixed=data["mixed"],
                signage_ok=data["signage_ok"],
                note=data["note"],
                photo=data["photo"],
            )
        except Invalid as exc:
            add_errors(form, exc.errors)
        else:
            messages.success(request, _("已登记“%(station)s”的检查。") % {"station": check.station})
            return redirect(_url("check_detail", check.pk))
    return _form_page(
        request,
        form,
        _("登记投放点检查"),
        back=_url("check_list"),
        submit=_("提交"),
        phone=True,
        multipart=True,
    )


@page(StationCheck)
def check_photo(request, pk: int):
    check = one_or_404(selectors.check_list(actor=request.user), pk)
    if not check.photo:
        raise Http404(_("没有照片。"))
    return FileResponse(check.photo.open("rb"))


# --- training ------------------------------------------------------------------------------------


@page(Training)
def training_list(request):
    return _listing(
        request,
        selectors.training_list(actor=request.user),
        TrainingFilterSet,
        TRAINING_COLUMNS,
        _("督导员培训"),
        add_url=_url("training_add") if _may_add(request.user, Training) else None,
    )


TRAINING_DETAIL = (
    column(Training, "title"),
    column(Training, "held_on"),
    column(Training, "place"),
    column(Training, "trainer"),
    column(Training, "region.name"),
    column(Training, "hours"),
    Column(gettext_lazy("出席人数"), "present_count"),
    Column(gettext_lazy("考核合格"), "passed_count"),
)


def _roster_for(actor, training: Training) -> list[dict]:
    """Guides of the training's region (active ones, and whoever is already recorded), each
    with what is recorded for them."""
    recorded = {a.guide_id: a for a in selectors.attendance_of(actor=actor, training=training)}
    guides = selectors.guide_list(actor=actor).filter(region__path__startswith=training.region.path)
    rows = []
    for guide in guides.order_by("region__adcode", "name"):
        record = recorded.get(guide.pk)
        if record is None and not guide.is_active:
            continue
        rows.append({"guide": guide, "record": record})
    return rows


@page(Training)
def training_detail(request, pk: int):
    actor = request.user
    training = one_or_404(selectors.training_list(actor=actor), pk)
    writable = _can_change(actor, training)
    if request.method == "POST":
        if not writable:
            raise PermissionDenied(_("您无权登记培训出席。"))
        guides = [row["guide"] for row in _roster_for(actor, training)]
        try:
            services.attendance_record(
                actor=actor,
                training=training,
                rows=attendance_rows(request.POST, guides),
                today=timezone.localdate(),
            )
            messages.success(request, _("已保存出席与考核情况。"))
            return redirect(_url("training_detail", pk))
        except WufeiError as exc:
            _refused(request, exc)
    actions = [_action(_("修改"), _url("training_edit", pk), primary=True)] if writable else []
    return render(
        request,
        "sorting/registry/training_detail.html",
        {
            "kind_label": training._meta.verbose_name,
            "title": training.title,
            "obj": training,
            "list_url": _url("training_list"),
            "list_title": _("督导员培训"),
            "fields": _fields(TRAINING_DETAIL, training),
            "actions": actions,
            "blocks": [],
            "roster": _roster_for(actor, training),
            "writable": writable,
            "held": training.held_on <= timezone.localdate(),
        },
    )


# --- the guide's home ----------------------------------------------------------------------------


def guide_home(actor, *, today: date | None = None, now=None) -> dict:
    """What a guide's start page shows: today's shifts with check-in, the stations with their
    times, quick links, and the street's compounds and villages with their registration."""
    if optional_url(f"{NAMESPACE}:shift_list") is None:
        return {}  # the registry's pages are not mounted (wufei/urls.py)
    today = today or timezone.localdate()
    now = now or timezone.now()
    guide = services.guide_of(actor)
    shifts = []
    stations: list[Station] = []
    if guide is not None:
        for shift in selectors.guide_shifts(guide=guide, start=today, end=today).order_by("starts"):
            _mark_actions(shift, now=now, managing=False, own=guide)
            shifts.append(
                {
                    "shift": shift,
                    "hours": _hours(shift),
                    "can_check_in": shift.can_check_in,
                    "check_in_url": _url("shift_check_in", shift.pk),
                    "tone": SHIFT_TONES.get(shift.status),
                }
            )
        stations = list(guide.stations.filter(is_active=True).select_related("community"))
    communities = selectors.community_list(actor=actor).filter(is_active=True)
    return {
        "guide": guide,
        "guide_url": _url("guide_detail", guide.pk) if guide else None,
        "today": today,
        "today_shifts": shifts,
        "guide_stations": [
            {"station": s, "times": _schedule(s), "url": _url("station_detail", s.pk)}
            for s in stations
        ],
        "links": {
            "drop": drop_url(),
            "check": _url("check_add"),
            "household": _url("household_add"),
            "lookup": _url("household_lookup"),
            "shifts": _url("shift_list"),
        },
        "sorting_communities": table(COMMUNITY_COLUMNS[:9], communities[:50]),
        "sorting_community_count": communities.count(),
    }


# --- urls (registry_urls.py includes these) ------------------------------------------------------


def urlpatterns() -> list:
    return [
        path("communities/", community_list, name="community_list"),
        path("communities/<int:pk>/", community_detail, name="community_detail"),
        path("communities/<int:pk>/register/", community_register, name="community_register"),
        path("communities/<int:pk>/cards/", community_cards, name="community_cards"),
        *form_urls(community_page),
        path("households/", household_list, name="household_list"),
        path("households/new/", household_add, name="household_add"),
        path("households/lookup/", household_lookup, name="household_lookup"),
        path("households/<int:pk>/", household_detail, name="household_detail"),
        path("households/<int:pk>/edit/", household_edit, name="household_edit"),
        path("households/<int:pk>/deactivate/", household_deactivate, name="household_deactivate"),
        path("stations/", station_list, name="station_list"),
        path("stations/<int:pk>/", station_detail, name="station_detail"),
        *form_urls(station_page),
        path("guides/", guide_list, name="guide_list"),
        path("guides/<int:pk>/", guide_detail, name="guide_detail"),
        path("guides/<int:pk>/plan/", guide_plan, name="guide_plan"),
        path("guides/<int:pk>/deactivate/", guide_deactivate, name="guide_deactivate"),
        *form_urls(guide_page),
        path("shifts/", shift_list, name="shift_list"),
        path("shifts/<int:pk>/check-in/", shift_check_in, name="shift_check_in"),
        path("shifts/<int:pk>/absent/", shift_absent, name="shift_absent"),
        path("checks/", check_list, name="check_list"),
        path("checks/new/", check_add, name="check_add"),
        path("checks/<int:pk>/", check_detail, name="check_detail"),
        path("checks/<int:pk>/photo/", check_photo, name="check_photo"),
        path("trainings/", training_list, name="training_list"),
        path("trainings/<int:pk>/", training_detail, name="training_detail"),
        *form_urls(training_page),
    ]
