"""The indicator pages: the catalogue, an indicator with its values per county against the
targets, a value's lineage, custom indicators, targets, and the indicator report. Thin:
selectors read, services write, ``indicator_report`` renders the documents."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.errors import Invalid
from wufei.core.export import XLSX_CONTENT_TYPE, Column, xlsx_response
from wufei.core.pages import domain_errors, require
from wufei.registry.models import Region
from wufei.stats import indicator_report as report
from wufei.stats import indicator_selectors as selectors
from wufei.stats import indicators as services
from wufei.stats.indicator_forms import IndicatorForm, TargetForm
from wufei.stats.measures import MEASURE_LIST
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue

CATALOGUE_COLUMNS = (
    Column(gettext_lazy("指标体系"), lambda i: selectors.catalogue_label(i.catalogue), width=14),
    Column(gettext_lazy("指标代码"), "code", width=20),
    Column(gettext_lazy("一级指标"), "level1", width=18),
    Column(gettext_lazy("二级指标"), "level2", width=20),
    Column(gettext_lazy("指标"), "name", width=30),
    Column(gettext_lazy("单位"), "unit", width=10),
    Column(gettext_lazy("必选"), report.mandatory_mark, width=10),
    Column(gettext_lazy("可信度"), "confidence", width=16),
    Column(gettext_lazy("方向"), "direction", width=10),
    Column(gettext_lazy("数据来源部门"), "department.name", width=16),
    Column(gettext_lazy("计算公式"), "formula", width=48),
    Column(gettext_lazy("原文定义与算法"), "definition", width=48),
    Column(gettext_lazy("依据与来源"), "source", width=48),
)


def _default_year(actor) -> int:
    years = selectors.value_years(actor=actor)
    return years[0] if years else timezone.localdate().year - 1


def _year(request, actor) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return _default_year(actor)
    return year if year in services.YEARS else _default_year(actor)


def _years(actor, year: int) -> list[int]:
    """The years offered in a year selector: those with values, the chosen one, last year."""
    years = set(selectors.value_years(actor=actor)) | {year, timezone.localdate().year - 1}
    return sorted(years, reverse=True)


def _may_edit(actor) -> bool:
    return may(actor, Action.ADD, Indicator)


# --- catalogue -------------------------------------------------------------------------------


def group(rows) -> list[dict]:
    """Indicators by catalogue and level 1, then level 2, in order of first appearance."""
    tree: dict[tuple[str, str], dict[str, list[Indicator]]] = {}
    for indicator in rows:
        levels = tree.setdefault((indicator.catalogue, indicator.level1), {})
        levels.setdefault(indicator.level2, []).append(indicator)
    return [
        {
            "catalogue": selectors.catalogue_label(name),
            "level1": level1,
            "level2": list(levels.items()),
        }
        for (name, level1), levels in tree.items()
    ]


def catalogue(request):
    actor = request.user
    chosen = request.GET.get("catalogue", "")
    text = request.GET.get("q", "").strip()
    rows = selectors.indicator_list(actor=actor, catalogue=chosen, q=text)
    if request.GET.get("format") == "xlsx":
        conditions = [(_("指标体系"), selectors.catalogue_label(chosen))] if chosen else []
        if text:
            conditions.append((_("关键词"), text))
        return xlsx_response(
            title=_("无废城市建设指标"), columns=CATALOGUE_COLUMNS, rows=rows, filters=conditions
        )
    query = {k: v for k, v in (("catalogue", chosen), ("q", text)) if v}
    return render(
        request,
        "stats/indicators/catalogue.html",
        {
            "groups": group(rows),
            "count": len(rows),
            "catalogues": list(selectors.CATALOGUE_NAMES.items()),
            "chosen": chosen,
            "q": text,
            "export_query": urlencode({**query, "format": "xlsx"}),
            "may_edit": _may_edit(actor),
            "may_see_values": may(actor, Action.VIEW, IndicatorValue),
        },
    )


# --- one indicator ---------------------------------------------------------------------------


def detail(request, pk: int):
    actor = request.user
    indicator = _indicator(actor, pk)
    year = _year(request, actor)
    rows = selectors.region_rows(actor=actor, indicator=indicator, year=year)
    return render(
        request,
        "stats/indicators/detail.html",
        {
            "indicator": indicator,
            "catalogue": selectors.catalogue_label(indicator.catalogue),
            "year": year,
            "years": _years(actor, year),
            "rows": rows,
            "may_see_values": may(actor, Action.VIEW, IndicatorValue),
            "may_edit": _may_edit(actor) and indicator.catalogue == services.CUSTOM,
            "may_toggle": _may_edit(actor),
            "may_target": may(actor, Action.ADD, IndicatorTarget),
        },
    )


def _indicator(actor, pk: int) -> Indicator:
    indicator = selectors.indicator_list(actor=actor, include_inactive=True).filter(pk=pk).first()
    if indicator is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return indicator


def value_detail(request, pk: int):
    actor = request.user
    refusal = require(request, Action.VIEW, IndicatorValue)
    if refusal is not None:
        return refusal
    value = selectors.value_list(actor=actor).filter(pk=pk).first()
    if value is None:
        raise Http404(_("对象不存在或您无权查看。"))
    target = (
        selectors.target_list(actor=actor)
        .filter(indicator=value.indicator, year=value.year, region=value.region)
        .first()
    )
    row = selectors.Row(value.indicator, value.region, value, target)
    return render(
        request,
        "stats/indicators/value.html",
        {
            "value": value,
            "indicator": value.indicator,
            "row": row,
            "inputs": selectors.lineage(value),
        },
    )


# --- custom indicators -------------------------------------------------------------------------


@domain_errors
def indicator_form(request, pk: int | None = None):
    actor = request.user
    refusal = require(request, Action.ADD if pk is None else Action.CHANGE, Indicator)
    if refusal is not None:
        return refusal
    indicator = _indicator(actor, pk) if pk is not None else None
    if indicator is not None and indicator.catalogue != services.CUSTOM:
        raise PermissionDenied(_("只能修改自定义指标；指标体系中的指标随数据文件更新。"))
    if request.method == "POST":
        form = IndicatorForm(request.POST, actor=actor, instance=indicator)
        if form.is_valid():
            if indicator is None:
                saved = form.submit(services.indicator_create)
            else:
                saved = form.submit(services.indicator_update, obj=indicator)
            if saved is not None:
                messages.success(request, _("已保存。"))
                return redirect("indicators:detail", pk=saved.pk)
    else:
        form = IndicatorForm(actor=actor, instance=indicator)
    return render(
        request,
        "stats/indicators/form.html",
        {"form": form, "indicator": indicator, "measures": MEASURE_LIST},
    )


@require_POST
@domain_errors
def indicator_active(request, pk: int):
    actor = request.user
    refusal = require(request, Action.CHANGE, Indicator)
    if refusal is not None:
        return refusal
    indicator = _indicator(actor, pk)
    active = request.POST.get("active") == "1"
    services.indicator_set_active(actor=actor, obj=indicator, active=active)
    messages.success(request, _("已启用。") if active else _("已停用，此后不再计算该指标。"))
    return redirect("indicators:detail", pk=indicator.pk)


# --- targets ---------------------------------------------------------------------------------


@domain_errors
def targets(request):
    actor = request.user
    refusal = require(request, Action.VIEW, IndicatorTarget)
    if refusal is not None:
        return refusal
    may_add = may(actor, Action.ADD, IndicatorTarget)
    form = None
    if may_add:
        if request.method == "POST":
            form = TargetForm(request.POST, actor=actor)
            if form.is_valid() and form.submit(services.target_set) is not None:
                messages.success(request, _("目标值已保存。"))
                return redirect(f"{reverse('indicators:targets')}?{request.GET.urlencode()}")
        else:
            keys = ("indicator", "year", "region")
            initial = {k: request.GET[k] for k in keys if k in request.GET}
            form = TargetForm(actor=actor, initial=initial)
    elif request.method == "POST":
        raise PermissionDenied(_("您无权设定目标值。"))
    rows = selectors.target_list(actor=actor)
    year = request.GET.get("year", "")
    if year.isdigit():
        rows = rows.filter(year=int(year))
    return render(
        request,
        "stats/indicators/targets.html",
        {"form": form, "targets": rows[:500], "year": year},
    )


# --- report and recomputation ------------------------------------------------------------------


def _report_region(request, actor) -> Region:
    regions = selectors.visible_regions(actor=actor)
    if not regions:
        raise PermissionDenied(_("您无权查看指标值。"))
    adcode = request.GET.get("region", "")
    for region in regions:
        if region.adcode == adcode:
            return region
    return regions[0]


def _attachment(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"report\"; filename*=UTF-8''{quote(name)}"
    )
    return response


def report_page(request):
    actor = request.user
    refusal = require(request, Action.VIEW, IndicatorValue)
    if refusal is not None:
        return refusal
    year = _year(request, actor)
    region = _report_region(request, actor)
    chosen = request.GET.get("catalogue", "")
    rows = report.report_rows(
        year=year,
        region=region,
        values=selectors.value_list(actor=actor),
        targets=selectors.target_list(actor=actor),
        catalogue=chosen,
    )
    fmt = request.GET.get("format")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    name = f"{report.title(year, region)}-{stamp}"
    if fmt == "xlsx":
        content = report.to_xlsx(rows, year=year, region=region, catalogue=chosen)
        return _attachment(content, XLSX_CONTENT_TYPE, f"{name}.xlsx")
    if fmt == "docx":
        content = report.to_docx(rows, year=year, region=region, catalogue=chosen)
        return _attachment(content, report.DOCX_CONTENT_TYPE, f"{name}.docx")
    query = {"year": year, "region": region.adcode, **({"catalogue": chosen} if chosen else {})}
    return render(
        request,
        "stats/indicators/report.html",
        {
            "rows": rows,
            "year": year,
            "years": _years(actor, year),
            "region": region,
            "regions": selectors.visible_regions(actor=actor),
            "catalogues": list(selectors.CATALOGUE_NAMES.items()),
            "chosen": chosen,
            "title": report.title(year, region),
            "notes": report.notes(),
            "query": urlencode(query),
            "may_recompute": may(actor, Action.CHANGE, IndicatorValue),
        },
    )


@require_POST
@domain_errors
def recompute(request):
    actor = request.user
    refusal = require(request, Action.CHANGE, IndicatorValue)
    if refusal is not None:
        return refusal
    try:
        year = int(request.POST.get("year", ""))
        count = services.recompute_for(actor=actor, year=year)
    except (ValueError, Invalid):
        messages.error(request, _("年度应在2000—2100之间。"))
        return redirect("indicators:report")
    messages.success(request, _("已重新计算 %(n)s 个指标值。") % {"n": count})
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return redirect(back)
    return redirect(f"{reverse('indicators:report')}?{urlencode({'year': year})}")
