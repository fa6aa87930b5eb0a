"""Pages of drops, points and flags: the guide's phone page (scan or type the household code,
choose the class, weigh, mark it correct or not, photo), the drops with their lineage to the
smart bin's message, a household's ledger with corrections, redemptions, the flags to review,
the check limits, and the points rules (new versions, never rewritten history). Thin: selectors
read, services write, refusals come back as Chinese messages next to their fields."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted, may
from wufei.core.errors import Invalid
from wufei.core.export import Column, column, xlsx_response
from wufei.core.forms import add_errors
from wufei.core.pages import (
    PAGE_SIZE,
    Cell,
    bind_filters,
    domain_errors,
    one_or_404,
    page,
    require,
    table,
)
from wufei.iot.thresholds import may_set_thresholds
from wufei.sorting import flags, points
from wufei.sorting import points_selectors as selectors
from wufei.sorting.drops import find_household, guide_of, record_drop
from wufei.sorting.models import (
    Drop,
    EntryKind,
    Flag,
    FlagStatus,
    Household,
    PointsEntry,
    PointsRule,
    Redemption,
)
from wufei.sorting.points_forms import (
    CorrectionForm,
    DropFilterSet,
    DropForm,
    FlagFilterSet,
    LimitForm,
    RedemptionForm,
    ReviewForm,
    RuleForm,
    RuleVersionForm,
    opened_moment,
)

FLAG_TONES = {FlagStatus.OPEN: "warn", FlagStatus.CONFIRMED: "bad", FlagStatus.CLEARED: "ok"}
LEDGER_PAGE = 100


def _url(name: str, *args) -> str:
    return reverse(f"points:{name}", args=args)


def register_url() -> str:
    """Where an unknown code is registered (the registry's page)."""
    return reverse("sorting:household_add")


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _code_unmatched(code: str) -> str:
    return _("%(code)s（未登记）") % {"code": code}


def _ledger_url(household_id) -> str | None:
    return _url("household_ledger", household_id) if household_id else None


DROP_COLUMNS = (
    Column(
        gettext_lazy("投放时间"),
        lambda d: timezone.localtime(d.dropped_at),
        link=lambda d: _url("drop_detail", d.pk),
    ),
    Column(
        gettext_lazy("户码/卡号"),
        lambda d: (
            d.household_code
            if d.household_id
            else _("%(code)s（未登记）") % {"code": d.household_code}
        ),
        link=lambda d: _ledger_url(d.household_id),
    ),
    column(Drop, "community.name"),
    column(Drop, "waste_class"),
    column(Drop, "weight_kg", numeric=True),
    column(Drop, "correct", tone=lambda d: {True: "ok", False: "bad"}.get(d.correct)),
    column(Drop, "source"),
    column(Drop, "guide.name"),
    column(Drop, "station.name"),
    Column(
        gettext_lazy("异常"),
        lambda d: _("有") if d.flagged else "",
        link=lambda d: f"{_url('flag_list')}?q={d.household_code}" if d.flagged else None,
        tone=lambda d: "warn" if d.flagged else None,
    ),
    Column(
        gettext_lazy("设备报文"),
        lambda d: d.deposit.message_id if d.deposit_id else "",
        width=24,
    ),
)
ENTRY_COLUMNS = (
    Column(gettext_lazy("时间"), lambda e: timezone.localtime(e.at)),
    column(PointsEntry, "kind"),
    column(PointsEntry, "delta", numeric=True, tone=lambda e: "ok" if e.delta > 0 else None),
    column(PointsEntry, "balance_after", numeric=True),
    column(PointsEntry, "rule.name"),
    Column(
        gettext_lazy("投放记录"),
        lambda e: _local(e.drop.dropped_at) if e.drop_id else "",
        link=lambda e: _url("drop_detail", e.drop_id) if e.drop_id else None,
    ),
    column(PointsEntry, "note", width=40),
)
FLAG_COLUMNS = (
    Column(
        gettext_lazy("发现时间"),
        lambda f: timezone.localtime(f.raised_at),
        link=lambda f: _url("flag_detail", f.pk),
    ),
    column(Flag, "kind"),
    column(Flag, "status", tone=lambda f: FLAG_TONES.get(f.status)),
    Column(
        gettext_lazy("户码"),
        lambda f: f.household.code if f.household_id else f.drop.household_code,
        link=lambda f: _ledger_url(f.household_id),
    ),
    column(Flag, "drop.community.name", header=gettext_lazy("小区（村）")),
    column(Flag, "guide.name"),
    column(Flag, "detail", width=48),
    column(Flag, "reviewed_by"),
)
RULE_COLUMNS = (
    column(PointsRule, "code"),
    column(PointsRule, "name"),
    column(PointsRule, "kind"),
    Column(gettext_lazy("垃圾类别"), lambda r: r.get_waste_class_display() or _("所有类别")),
    column(PointsRule, "points", numeric=True),
    column(PointsRule, "valid_from"),
    column(PointsRule, "valid_to"),
    column(PointsRule, "is_active"),
)
REDEMPTION_COLUMNS = (
    Column(gettext_lazy("兑换时间"), lambda r: timezone.localtime(r.redeemed_at)),
    column(Redemption, "household.code", link=lambda r: _ledger_url(r.household_id)),
    column(Redemption, "station.name"),
    column(Redemption, "item"),
    column(Redemption, "points", numeric=True),
    column(Redemption, "created_by"),
)


def _listing(
    request, rows, filterset, columns, title, template="sorting/points/list.html", **extra
):
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
        "filters": filters,
        "active_filters": filters.active(),
        "table": table(columns, page_obj.object_list),
        "page_obj": page_obj,
        "paginator": page_obj.paginator,
        **extra,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "core/_list_results.html", context)
    return render(request, "sorting/points/list.html", context)


# --- the guide's phone page --------------------------------------------------------------------


@page(Drop)
def drop_new(request):
    """Record a drop on a phone: scan (or type) the household code, tap the class, weigh."""
    actor = request.user
    if not may(actor, Action.ADD, Drop):
        raise PermissionDenied(_("您无权登记投放。"))
    now = timezone.now()
    initial = {"opened_at": now}
    if "station" in request.GET:
        initial["station"] = request.GET["station"]
    else:  # a guide's own station first
        guide = guide_of(actor)
        own = guide.stations.filter(is_active=True).order_by("pk").first() if guide else None
        if own is not None:
            initial["station"] = own.pk
    form = DropForm(request.POST or None, request.FILES or None, actor=actor, initial=initial)
    unknown = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drop = record_drop(
                actor=actor,
                household_code=data["household_code"],
                waste_class=data["waste_class"],
                weight_kg=data["weight_kg"],
                correct=data["correct"],
                station=data["station"],
                photo=data["photo"],
                dropped_at=opened_moment(form, now),
                now=now,
            )
        except Invalid as exc:
            add_errors(form, exc.errors)
            unknown = any(e.code == "unknown_household" for e in exc.errors)
        else:
            earned = sum(
                PointsEntry.objects.filter(drop=drop, kind__in=points.EARNING).values_list(
                    "delta", flat=True
                )
            )
            messages.success(
                request,
                _("已登记：%(code)s %(cls)s %(kg)s 千克，积分 +%(points)s，余额 %(balance)s。")
                % {
                    "code": drop.household_code,
                    "cls": drop.get_waste_class_display(),
                    "kg": drop.weight_kg,
                    "points": earned,
                    "balance": Household.objects.get(pk=drop.household_id).points_balance,
                },
            )
            target = _url("drop_new")
            return redirect(f"{target}?station={drop.station_id}" if drop.station_id else target)
    return render(
        request,
        "sorting/points/drop_new.html",
        {
            "form": form,
            "unknown": unknown,
            "register_url": register_url(),
            "classes": form["waste_class"],
        },
        status=400 if form.errors else 200,
    )


# --- drops -----------------------------------------------------------------------------------


@page(Drop)
def drop_list(request):
    return _listing(
        request,
        selectors.drop_list(actor=request.user),
        DropFilterSet,
        DROP_COLUMNS,
        _("投放记录"),
        add_url=_url("drop_new") if may(request.user, Action.ADD, Drop) else None,
        lead=_(
            "智能分类箱上报与督导员登记的每一次投放；未登记户码的投放保留，住户登记后自动关联并计分。"
        ),
    )


@page(Drop)
def drop_detail(request, pk: int):
    drop = one_or_404(selectors.drop_list(actor=request.user), pk)
    lines = selectors.entry_list(actor=request.user).filter(drop=drop).order_by("pk")
    drop_flags = selectors.flag_list(actor=request.user).filter(drop=drop)
    fields = [(c.header, Cell.of(c, drop)) for c in DROP_COLUMNS]
    deposit = drop.deposit
    lineage = None
    if deposit is not None:
        lineage = {
            "deposit": deposit,
            "measured_at": _local(deposit.measured_at),
            "received_at": _local(deposit.received_at),
            "list_url": f"{reverse('iot:deposit_list')}?household={deposit.household_code}",
        }
    return render(
        request,
        "sorting/points/drop_detail.html",
        {
            "drop": drop,
            "fields": fields,
            "lineage": lineage,
            "entries": table(ENTRY_COLUMNS, lines),
            "flags": table(FLAG_COLUMNS, drop_flags),
            "photo_url": _url("drop_photo", drop.pk) if drop.photo else None,
        },
    )


@page(Drop)
def drop_photo(request, pk: int):
    drop = one_or_404(selectors.drop_list(actor=request.user), pk)
    if not drop.photo:
        raise Http404(_("没有照片。"))
    return FileResponse(drop.photo.open("rb"))


# --- a household's ledger, corrections and redemptions ----------------------------------------


@page(PointsEntry)
def household_ledger(request, pk: int):
    household = one_or_404(selectors.household_list(actor=request.user), pk)
    rows = selectors.entry_list(actor=request.user).filter(household=household).order_by("-pk")
    page_obj = Paginator(rows, LEDGER_PAGE).get_page(request.GET.get("page"))
    can_correct = is_permitted(request.user, Action.CHANGE, household) and may(
        request.user, Action.CHANGE, PointsEntry
    )
    lines = [
        {
            "entry": e,
            "cells": [Cell.of(c, e) for c in ENTRY_COLUMNS],
            "correctable": can_correct
            and e.kind != EntryKind.CORRECTION
            and e.delta != 0
            and not e.reversed,
        }
        for e in page_obj.object_list
    ]
    return render(
        request,
        "sorting/points/household_ledger.html",
        {
            "household": household,
            "check": points.balance_check(household),
            "headers": [(c.header, c.numeric) for c in ENTRY_COLUMNS],
            "lines": lines,
            "page_obj": page_obj,
            "paginator": page_obj.paginator,
            "correction_form": CorrectionForm(),
            "redeem_url": f"{_url('redemption_new')}?household={household.code}"
            if may(request.user, Action.ADD, Redemption)
            else None,
            "drops_url": f"{_url('drop_list')}?household={household.pk}",
            "flags_url": f"{_url('flag_list')}?household={household.pk}",
        },
    )


@require_POST
@page(PointsEntry)
def entry_correct(request, pk: int):
    entry = one_or_404(selectors.entry_list(actor=request.user), pk)
    form = CorrectionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        points.correct(actor=request.user, entry=entry, note=note)
    except Invalid as exc:
        for error in exc.errors:
            messages.error(request, str(error.message))
    else:
        messages.success(request, _("已更正，冲正 %(n)s 分。") % {"n": entry.delta})
    return redirect(_url("household_ledger", entry.household_id))


@page(Redemption)
def redemption_new(request):
    actor = request.user
    if not may(actor, Action.ADD, Redemption):
        raise PermissionDenied(_("您无权办理积分兑换。"))
    initial = {"household_code": request.GET.get("household", "")}
    form = RedemptionForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = find_household(actor, data["household_code"])
        if household is None:
            form.add_error("household_code", _("户码或卡号未登记，或不在您的范围内。"))
        else:
            try:
                redemption = points.redeem(
                    actor=actor,
                    household=household,
                    station=data["station"],
                    item=data["item"],
                    points=data["points"],
                )
            except Invalid as exc:
                add_errors(form, exc.errors)
            else:
                messages.success(
                    request,
                    _("已兑换：%(item)s，扣 %(n)s 分，余额 %(balance)s。")
                    % {
                        "item": redemption.item,
                        "n": redemption.points,
                        "balance": household.points_balance,
                    },
                )
                return redirect(_url("household_ledger", household.pk))
    recent = selectors.redemption_list(actor=actor)[:20]
    return render(
        request,
        "sorting/points/redemption_new.html",
        {"form": form, "recent": table(REDEMPTION_COLUMNS, recent)},
        status=400 if form.errors else 200,
    )


# --- flags -------------------------------------------------------------------------------------


@page(Flag)
def flag_list(request):
    return _listing(
        request,
        selectors.flag_list(actor=request.user),
        FlagFilterSet,
        FLAG_COLUMNS,
        _("异常投放核查"),
        lead=_(
            "短时间内重复投放、重量异常、督导员反复为同一住户登记：只标记待核查，不拦截、不删除投放。"
        ),
        limits_url=_url("flag_limits"),
    )


@page(Flag)
def flag_detail(request, pk: int):
    flag = one_or_404(selectors.flag_list(actor=request.user), pk)
    can_review = flag.status == FlagStatus.OPEN and is_permitted(request.user, Action.CHANGE, flag)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied(_("您无权核查此异常，或已核查。"))
        if form.is_valid():
            try:
                flags.review(
                    actor=request.user,
                    flag=flag,
                    confirm=form.cleaned_data["verdict"] == "confirm",
                    note=form.cleaned_data["note"],
                )
            except Invalid as exc:
                add_errors(form, exc.errors)
            else:
                messages.success(request, _("已核查。"))
                return redirect(_url("flag_detail", flag.pk))
    drop = flag.drop
    nearby = selectors.drop_list(actor=request.user)
    if drop.household_id:
        nearby = nearby.filter(household_id=drop.household_id)
    else:
        nearby = nearby.filter(household_code=drop.household_code)
    day = timedelta(days=1)
    nearby = nearby.filter(
        dropped_at__gte=drop.dropped_at - 7 * day, dropped_at__lte=drop.dropped_at + day
    ).order_by("-dropped_at", "-pk")[:50]
    return render(
        request,
        "sorting/points/flag_detail.html",
        {
            "flag": flag,
            "fields": [(c.header, Cell.of(c, flag)) for c in FLAG_COLUMNS],
            "nearby": table(DROP_COLUMNS, nearby),
            "form": form,
            "can_review": can_review,
        },
        status=400 if form.errors else 200,
    )


@page(Flag)
def flag_limits(request):
    editable = may_set_thresholds(request.user)
    bound_key = request.POST.get("key", "") if request.method == "POST" else ""
    bound = LimitForm(request.POST, prefix=bound_key) if bound_key else None
    if bound is not None:
        if not editable:
            raise PermissionDenied(_("只有城市管理、生态环境部门的管理人员可以修改核查阈值。"))
        if bound.is_valid():
            try:
                flags.limit_set(
                    actor=request.user, key=bound_key, value=bound.cleaned_data["value"]
                )
            except Invalid as exc:
                add_errors(bound, exc.errors)
            else:
                messages.success(request, _("已修改，下一次核查起生效。"))
                return redirect(_url("flag_limits"))
    rows = flags.limit_rows()
    for row in rows:
        key = row["spec"].key
        row["form"] = (
            bound if key == bound_key else LimitForm(initial={"value": row["value"]}, prefix=key)
        )
    return render(
        request,
        "sorting/points/flag_limits.html",
        {"rows": rows, "editable": editable},
        status=400 if bound is not None and bound.errors else 200,
    )


# --- rules -----------------------------------------------------------------------------------


@domain_errors
def rule_list(request):
    """The rules, current and past versions: readable by every signed-in user; the city's
    officials add a rule or a new version of one."""
    if not request.user.is_authenticated:
        return require(request, Action.VIEW, Drop)
    editable = points.may_edit_rules(request.user)
    form = RuleForm(request.POST or None, prefix="new") if editable else None
    version_forms: dict[int, RuleVersionForm] = {}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied(_("只有市级管理人员可以修改积分规则。"))
        target = request.POST.get("rule")
        try:
            if target:
                rule = one_or_404(selectors.rule_list(), int(target))
                vform = RuleVersionForm(request.POST, prefix=f"v{rule.pk}")
                version_forms[rule.pk] = vform
                if vform.is_valid():
                    try:
                        points.rule_new_version(actor=request.user, rule=rule, **vform.cleaned_data)
                    except Invalid as exc:
                        add_errors(vform, exc.errors)
                    else:
                        messages.success(request, _("已新增规则版本。"))
                        return redirect(_url("rule_list"))
                form = RuleForm(prefix="new")
            elif form is not None and form.is_valid():
                try:
                    points.rule_create(actor=request.user, **form.cleaned_data)
                except Invalid as exc:
                    add_errors(form, exc.errors)
                else:
                    messages.success(request, _("已新增积分规则。"))
                    return redirect(_url("rule_list"))
        except ValueError as exc:
            raise Http404(_("没有这条规则。")) from exc
    rules = list(selectors.rule_list())
    rows = [
        {
            "rule": r,
            "cells": [Cell.of(c, r) for c in RULE_COLUMNS],
            "form": version_forms.get(r.pk)
            or RuleVersionForm(
                prefix=f"v{r.pk}",
                initial={"points": r.points, "valid_from": timezone.localdate()},
            )
            if editable and r.valid_to is None
            else None,
        }
        for r in rules
    ]
    errors = bool(form is not None and form.errors) or any(f.errors for f in version_forms.values())
    return render(
        request,
        "sorting/points/rules.html",
        {
            "rows": rows,
            "headers": [(c.header, c.numeric) for c in RULE_COLUMNS],
            "form": form,
            "editable": editable,
        },
        status=400 if errors else 200,
    )
