"""The balance page (form, table with warnings, capacity-versus-demand charts, .xlsx/.docx
downloads) and the forecast page (history, forecast with its band, back-test error). Thin:
``wufei.stats.balance`` computes, ``wufei.stats.forecasts`` reads the stored forecasts."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from wufei.core.pages import domain_errors
from wufei.registry.models import Region
from wufei.stats.balance import (
    LOAD_LIMIT,
    BalanceTable,
    allowed_streams,
    balance_regions,
    balance_table,
    may_view_balance,
)
from wufei.stats.balance_export import FORMATS, LOAD, download, header, kinds, lines, printed
from wufei.stats.balance_forms import BalanceForm
from wufei.stats.forecasts import (
    Series,
    forecast_list,
    histories,
    last_complete_month,
    method_label,
    top_streams,
)
from wufei.stats.models import Forecast


def _refusal(request):
    if may_view_balance(request.user):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("您无权访问此页面。"))


def _number(value) -> float | None:
    return None if value is None else round(float(value), 3)


def display(table: BalanceTable) -> list[dict]:
    """The printed lines with each number's text and whether to highlight it (a gap, a load
    factor over the limit) or mark it as a counted figure in a forecast column."""
    out = []
    for line in lines(table):
        cells = []
        numbers = line.numbers if line.kind != "block" else []
        for index, (value, kind) in enumerate(zip(numbers, kinds()[: len(numbers)], strict=True)):
            limit = LOAD_LIMIT if kind == LOAD else 0
            cells.append(
                {
                    "text": printed(line, index, value, kind),
                    "bad": value is not None and (value > limit if kind == LOAD else value < 0),
                    "actual": index in line.actual,
                }
            )
        out.append({"line": line, "cells": cells})
    return out


def charts(table: BalanceTable) -> list[dict]:
    """Per stream of the first block: demand and capacity (without storage) by year."""
    first = table.blocks[0]
    return [
        {
            "label": row.label,
            "years": [str(y) for y in table.years],
            "demand": [_number(row.demand_of(y, table.year)) for y in table.years],
            "capacity": [_number(row.capacity_total[y]) for y in table.years],
        }
        for row in first.rows
    ]


@domain_errors
def balance_page(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    form = BalanceForm(request.GET, actor=request.user)
    context: dict = {"form": form, "table": None}
    if form.is_valid():
        year, region, scenario = form.parsed()
        table = balance_table(actor=request.user, year=year, region=region, scenario=scenario)
        wanted = request.GET.get("format")
        if wanted in FORMATS:
            return download(table, wanted)
        query = {k: v for k, v in request.GET.lists() if k != "format"}
        context.update(
            table=table,
            groups=header(table),
            lines=display(table),
            charts=charts(table),
            export_query=urlencode(query, doseq=True),
        )
    return render(request, "stats/balance/table.html", context)


def forecast_chart(history: Series | None, rows: list[Forecast]) -> dict[str, list]:
    """The forecast page's chart: history, forecast, and the band (lower + width, stacked)."""
    months = history.months if history else []
    values = history.values if history else ()
    end = history.end if history else date.min

    def series(value) -> list:
        return [[r.month.strftime("%Y-%m"), _number(value(r))] for r in rows]

    return {
        "months": [m.strftime("%Y-%m") for m in months]
        + [r.month.strftime("%Y-%m") for r in rows if r.month > end],
        "history": [
            [m.strftime("%Y-%m"), round(v, 3)] for m, v in zip(months, values, strict=True)
        ],
        "forecast": series(lambda r: r.tonnes),
        "lower": series(lambda r: r.lower),
        "band": series(lambda r: (r.upper or 0) - (r.lower or 0)),
    }


@domain_errors
def forecast_page(request):
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    regions = balance_regions(request.user)
    adcode = request.GET.get("region") or (regions[0].adcode if regions else "")
    region = Region.objects.defer("boundary").filter(adcode=adcode).first()
    if region is None:
        raise Http404(_("对象不存在或您无权查看。"))
    allowed = allowed_streams(request.user, region)
    streams = [s for s in top_streams() if allowed is None or s.pk in allowed]
    code = request.GET.get("stream") or (streams[0].code if streams else "")
    stream = next((s for s in streams if s.code == code), None)
    if stream is None:
        raise Http404(_("对象不存在或您无权查看。"))
    rows = list(forecast_list(actor=request.user).filter(region=region, stream=stream))
    history = histories(region, last_complete_month(timezone.localdate())).get(stream.code)
    annual: dict[int, float] = {}
    for row in rows:
        annual[row.month.year] = annual.get(row.month.year, 0.0) + float(row.tonnes)
    chart = forecast_chart(history, rows)
    return render(
        request,
        "stats/balance/forecast.html",
        {
            "regions": regions,
            "region": region,
            "streams": streams,
            "stream": stream,
            "fit": rows[0] if rows else None,
            "method": method_label(rows[0].method) if rows else "",
            "history": history,
            "annual": sorted(annual.items()),
            "chart": chart,
        },
    )
