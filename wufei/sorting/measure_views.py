"""The officials' pages of the published sorting measures (figures with their definitions and
lineage, the monthly trend, the community ranking) and of the 以奖代补 assessment (compute,
table, .xlsx). Thin: ``wufei.sorting.measures`` and ``wufei.sorting.assessment`` compute."""

from __future__ import annotations

import datetime as dt
from functools import wraps
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.core.export import XLSX_CONTENT_TYPE
from wufei.sorting import assessment as assessments
from wufei.sorting import measure_selectors as selectors
from wufei.sorting import measures as sm
from wufei.sorting.models import AssessmentScheme

RECENT = {sm.DAY: 31, sm.WEEK: 26, sm.MONTH: 24, sm.QUARTER: 12, sm.YEAR: 6}
TREND = (
    "registration_rate",
    "participation_rate",
    "accuracy_rate",
    "kitchen_separation_rate",
    "recyclables_share",
)


def officials(view):
    """Officials only: a log-in redirect for the anonymous, 403 for everybody else; the
    services' NotPermitted / NotFound as 403 / 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not selectors.may_view_measures(request.user):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied(_("您无权访问此页面。"))
        try:
            return view(request, *args, **kwargs)
        except NotPermitted as exc:
            raise PermissionDenied(str(exc.message)) from exc
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc

    return wrapper


# --- figures -------------------------------------------------------------------------------------


def chosen_period(kind: str, key: str, today: dt.date) -> sm.Period:
    """The period of the page: ``key`` (any kind) seen as a period of ``kind`` (switching from
    a month to days shows its first day); the current period of ``kind`` by default."""
    kind = kind if kind in sm.PERIOD_KINDS else sm.MONTH
    try:
        parsed = sm.Period.parse(key) if key else None
    except ValueError:
        parsed = None
    if parsed is None:
        return sm.Period.containing(kind, today)
    return parsed if parsed.kind == kind else sm.Period.containing(kind, parsed.start)


def period_options(period: sm.Period, today: dt.date) -> list[sm.Period]:
    """Recent periods of the kind, newest first, with the chosen one among them."""
    current = sm.Period.containing(period.kind, today)
    options = [current]
    for _n in range(RECENT[period.kind] - 1):
        options.append(options[-1].previous())
    if period not in options:
        options.append(period)
        options.sort(key=lambda p: p.start, reverse=True)
    return options


def _number(value) -> float | None:
    return None if value is None else float(value)


def cards(area: sm.Area, period: sm.Period, counts: sm.Counts) -> list[dict]:
    out = []
    for measure in sm.MEASURE_LIST:
        top, bottom = measure.terms(counts)
        top_label, bottom_label = measure.parts or ("", "")
        out.append(
            {
                "measure": measure,
                "value": measure.value(counts),
                "top": (str(top_label), top),
                "bottom": (str(bottom_label), bottom) if bottom is not None else None,
                "links": sm.lineage(measure, area, period),
            }
        )
    return out


def trend(area: sm.Area, year: int, actor, today: dt.date) -> dict:
    """Each month's rates and recyclables of the year (months still to come have none)."""
    months = sm.monthly(area, year, actor)

    def series(code: str) -> dict:
        measure = sm.MEASURES[code]
        data = [None if p.start > today else _number(measure.value(c)) for p, c in months]
        return {"name": str(measure.name), "data": data}

    return {
        "months": [_("%(m)s月") % {"m": p.start.month} for p, _c in months],
        "series": [series(code) for code in TREND],
        "tonnes": series("recyclables_tonnes"),
    }


@officials
def figures(request):
    actor = request.user
    today = timezone.localdate()
    area = selectors.area_for(
        actor=actor,
        adcode=request.GET.get("region", ""),
        community=request.GET.get("community", ""),
    )
    period = chosen_period(request.GET.get("kind", ""), request.GET.get("period", ""), today)
    rank_by = request.GET.get("rank", "participation_rate")
    if rank_by not in sm.MEASURES:
        rank_by = "participation_rate"
    per_community = sm.community_counts(area, period, actor)
    counts = sm.total(per_community.values())
    ranked = sm.rank(per_community, rank_by) if area.community is None else []
    base = {"kind": period.kind, "rank": rank_by, **area.query()}
    context = {
        "area": area,
        "level_label": sm.AREA_LEVELS[area.level],
        "regions": selectors.area_regions(actor=actor),
        "communities": selectors.community_options(actor=actor, region=area.region),
        "period": period,
        "kinds": [(k, str(label)) for k, label in sm.PERIOD_KINDS.items()],
        "options": period_options(period, today),
        "previous_url": "?" + urlencode({**base, "period": period.previous().key}),
        "next_url": "?" + urlencode({**base, "period": period.next().key})
        if period.next().start <= today
        else "",
        "counts": counts,
        "cards": cards(area, period, counts),
        "trend": trend(area, period.start.year, actor, today),
        "year": period.start.year,
        "ranked": ranked,
        "rank_measure": sm.MEASURES[rank_by],
        "measures": sm.MEASURE_LIST,
        "assessment_url": reverse("sortmeasures:assessment"),
    }
    return render(request, "sorting/measures/figures.html", context)


# --- the assessment -------------------------------------------------------------------------------


class AssessmentForm(forms.Form):
    scheme = forms.ModelChoiceField(
        label=gettext_lazy("考核方案"), queryset=AssessmentScheme.objects.none(), empty_label=None
    )
    start = forms.DateField(label=gettext_lazy("起始日期"))
    end = forms.DateField(label=gettext_lazy("截止日期"))
    region = forms.ChoiceField(label=gettext_lazy("考核范围"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        scheme_field: Any = self.fields["scheme"]
        scheme_field.queryset = selectors.scheme_list(actor=actor)
        regions = [
            r for r in selectors.area_regions(actor=actor) if r.level in selectors.TOTAL_LEVELS
        ]
        region_field: Any = self.fields["region"]
        region_field.choices = [(r.adcode, r.name) for r in regions]

    def clean(self):
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("截止日期不能早于起始日期。"))
        return data


def _initial(actor, schemes) -> dict:
    scheme = next((s for s in schemes if s.is_active), None) or (schemes[0] if schemes else None)
    home = selectors.home_region(actor)
    initial: dict = {"region": home.adcode if home else ""}
    if scheme is not None:
        initial.update(
            scheme=scheme.pk, start=dt.date(scheme.year, 1, 1), end=dt.date(scheme.year, 12, 31)
        )
        stored = assessments.periods(actor=actor, scheme=scheme)
        if stored:
            initial["start"], initial["end"] = stored[0]
    return initial


def _query(data: dict) -> str:
    return urlencode(
        {
            "scheme": data["scheme"].pk,
            "start": data["start"].isoformat(),
            "end": data["end"].isoformat(),
            "region": data["region"],
        }
    )


def _compute(request, form: AssessmentForm):
    """Score the communities for the form's scheme, period and area: a redirect to the
    results, or ``None`` with the refusals as messages."""
    chosen = form.cleaned_data
    where = selectors.area_for(actor=request.user, adcode=chosen["region"])
    try:
        rows = assessments.assess(
            actor=request.user,
            scheme=chosen["scheme"],
            start=chosen["start"],
            end=chosen["end"],
            region=where.region,
        )
    except Invalid as exc:
        for error in exc.errors:
            messages.error(request, error.message)
        return None
    messages.success(request, _("已完成%(n)s个小区（村）的考核计分。") % {"n": len(rows)})
    return redirect(f"{request.path}?{_query(chosen)}")


@officials
def assessment(request):
    actor = request.user
    schemes = list(selectors.scheme_list(actor=actor))
    if request.method == "POST":
        form = AssessmentForm(request.POST, actor=actor)
        if form.is_valid():
            done = _compute(request, form)
            if done is not None:
                return done
    else:
        form = AssessmentForm(request.GET or _initial(actor, schemes), actor=actor)
    scores: list = []
    rules: list[assessments.Rule] = []
    area: sm.Area | None = None
    data: dict | None = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        area = selectors.area_for(actor=actor, adcode=data["region"])
        scores = list(
            assessments.score_list(
                actor=actor,
                scheme=data["scheme"],
                start=data["start"],
                end=data["end"],
                region=area.region,
            )
        )
        try:
            rules = assessments.rules_of(data["scheme"])
        except Invalid as exc:
            for error in exc.errors:
                messages.error(request, error.message)
        if request.GET.get("format") == "xlsx" and rules:
            return _download(data, scores, area)
    return render(
        request,
        "sorting/measures/assessment.html",
        {
            "form": form,
            "schemes": schemes,
            "scores": scores,
            "rules": rules,
            "rows": [assessments.row_values(i, rules, s) for i, s in enumerate(scores, 1)]
            if rules
            else [],
            "header": assessments.header(rules) if rules else [],
            "area": area,
            "data": data,
            "xlsx_query": _query(data) + "&format=xlsx" if data and scores and rules else "",
            "total_award": sum(s.award_yuan for s in scores),
        },
    )


def _download(data: dict, scores, area: sm.Area) -> HttpResponse:
    scheme = data["scheme"]
    content = assessments.workbook(
        scheme=scheme, start=data["start"], end=data["end"], scores=scores, region=area.region
    )
    name = f"{area.region.name}{scheme.name}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"assessment.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
