"""Pages of the assessment (考核) and the enterprise environmental credit. Thin: reads are
scoped with ``restrict``, writes call the services of ``assessment`` and ``credit``.

- ranking per period, a unit's score item by item with links to the records behind it,
  the rules (city officials edit weight and parameters), the mid-term report (.docx);
- credit: the list for officials (filters year, county, level), a party's evaluation
  item by item, an enterprise's own page, the credit rules.
"""

from __future__ import annotations

import json
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import may, restrict, role_of
from wufei.core.errors import Invalid, WufeiError
from wufei.plan import assessment, credit, midterm
from wufei.plan.choices import CreditLevel, ScoreMeasure
from wufei.plan.models import CreditRule, CreditScore, Score, ScoringRule
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region

LEVEL_TONES = {
    CreditLevel.GREEN: "ok",
    CreditLevel.BLUE: "info",
    CreditLevel.YELLOW: "warn",
    CreditLevel.RED: "bad",
    CreditLevel.BLACK: "bad",
}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Where a fact or an occurrence links to (a report's pk is its milestone's; projects are
# listed, not paged).
RECORD_URLS = {
    "milestone": "plan:milestone",
    "report": "plan:milestone",
    "notice": "plan:notice",
    "alert": "alerts:alert_detail",
    "finding": "cases:finding_detail",
    "order": "cases:order_detail",
    "declaration": "declarations:declaration_detail",
}


def record_url(kind: str, pk: int | None) -> str | None:
    if pk is None or kind not in RECORD_URLS:
        return None
    return reverse(RECORD_URLS[kind], args=[pk])


def _refuse(request, model) -> None:
    if may(request.user, Action.VIEW, model):
        return
    if not request.user.is_authenticated:
        raise _LoginRequired()
    raise PermissionDenied(_("您无权访问此页面。"))


class _LoginRequired(Exception):
    pass


def _guarded(model):
    """Log in first; refuse roles that may see no row of ``model``."""

    def wrap(view):
        def guarded(request, *args, **kwargs):
            try:
                _refuse(request, model)
            except _LoginRequired:
                return redirect_to_login(request.get_full_path())
            return view(request, *args, **kwargs)

        guarded.__name__ = view.__name__
        guarded.__doc__ = view.__doc__
        return guarded

    return wrap


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


# --- assessment ------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    period_start = forms.DateField(label=gettext_lazy("考核期起"))
    period_end = forms.DateField(label=gettext_lazy("考核期止"))


def _periods(actor) -> list[tuple[date, date]]:
    rows = restrict(Score.objects.all(), actor).order_by("-period_end", "period_start")
    return list(dict.fromkeys(rows.values_list("period_start", "period_end")))


@_guarded(Score)
def ranking(request):
    """Scores of one period, ranked, one column per rule; the city computes a period here."""
    periods = _periods(request.user)
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    if (start is None or end is None) and periods:
        start, end = periods[0]
    rows = (
        restrict(Score.objects.select_related("unit"), request.user)
        .filter(period_start=start, period_end=end)
        .order_by("unit__kind", "rank", "unit__name")
    )
    rules = [(i["rule"], i["name"]) for i in rows[0].items] if rows else []
    table = [
        {
            "score": s,
            "points": [
                next((i["points"] for i in s.items if i["rule"] == code), "—") for code, _n in rules
            ],
        }
        for s in rows
    ]
    return render(
        request,
        "plan/assessment/ranking.html",
        {
            "periods": periods,
            "start": start,
            "end": end,
            "rules": rules,
            "table": table,
            "can_compute": may(request.user, Action.CHANGE, ScoringRule),
            "form": PeriodForm(initial={"period_start": start, "period_end": end}),
        },
    )


@require_POST
@_guarded(Score)
def compute(request):
    form = PeriodForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写有效的考核期。"))
        return redirect("assessment:ranking")
    start, end = form.cleaned_data["period_start"], form.cleaned_data["period_end"]
    try:
        scores = assessment.assess(
            period_start=start, period_end=end, today=timezone.localdate(), actor=request.user
        )
    except WufeiError as exc:
        if exc.status == 403:
            raise PermissionDenied(str(exc.message)) from exc
        messages.error(request, "；".join(e.message for e in exc.errors))
        return redirect("assessment:ranking")
    messages.success(request, _("已计算 %(n)s 个单位的考核得分。") % {"n": len(scores)})
    return redirect(f"{reverse('assessment:ranking')}?start={start}&end={end}")


def _explained(items: list[dict]) -> list[dict]:
    return [
        {
            **i,
            "measure_label": ScoreMeasure(i["measure"]).label if i.get("measure") else "",
            "facts": [{**f, "url": record_url(f["type"], f["id"])} for f in i["facts"]],
        }
        for i in items
    ]


@_guarded(Score)
def score_detail(request, pk: int):
    score = restrict(Score.objects.select_related("unit"), request.user).filter(pk=pk).first()
    if score is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return render(
        request,
        "plan/assessment/score.html",
        {"score": score, "items": _explained(score.items)},
    )


class RuleForm(forms.Form):
    weight = forms.CharField(label=gettext_lazy("分值"), max_length=12)
    params = forms.CharField(
        label=gettext_lazy("参数（JSON）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
    )
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False)


@_guarded(ScoringRule)
def rules(request):
    editable = may(request.user, Action.CHANGE, ScoringRule)
    rows = [
        {
            "rule": r,
            "params_help": assessment.PARAMS.get(r.measure, {}),
            "form": RuleForm(
                initial={
                    "weight": r.weight,
                    "params": json.dumps(r.params, ensure_ascii=False),
                    "is_active": r.is_active,
                },
                prefix=f"r{r.pk}",
            ),
        }
        for r in ScoringRule.objects.order_by("code")
    ]
    total = sum(r["rule"].weight for r in rows if r["rule"].is_active)
    return render(
        request,
        "plan/assessment/rules.html",
        {"rows": rows, "editable": editable, "total": total},
    )


@require_POST
@_guarded(ScoringRule)
def rule_update(request, pk: int):
    if not may(request.user, Action.CHANGE, ScoringRule):
        raise PermissionDenied(_("只有市级管理人员和平台管理员可以修改考核规则。"))
    rule = ScoringRule.objects.filter(pk=pk).first()
    if rule is None:
        raise Http404()
    form = RuleForm(request.POST, prefix=f"r{pk}")
    if not form.is_valid():
        messages.error(request, _("请填写分值。"))
        return redirect("assessment:rules")
    try:
        assessment.scoring_rule_update(
            actor=request.user,
            rule=rule,
            weight=form.cleaned_data["weight"],
            params=form.cleaned_data["params"],
            is_active=form.cleaned_data["is_active"],
        )
    except Invalid as exc:
        messages.error(request, f"{rule.name}：" + "；".join(e.message for e in exc.errors))
        return redirect("assessment:rules")
    except WufeiError as exc:
        raise PermissionDenied(str(exc.message)) from exc
    messages.success(request, _("已保存“%(name)s”。") % {"name": rule.name})
    return redirect("assessment:rules")


@_guarded(Score)
def midterm_report(request):
    """The mid-term evaluation report for ``start``–``end`` (default: the pilot so far)."""
    if role_of(request.user) not in (Role.ADMIN, Role.CITY_OFFICIAL):
        raise PermissionDenied(_("中期评估报告由市级管理人员导出。"))
    today = timezone.localdate()
    start = _date(request.GET.get("start")) or date(2019, 5, 1)
    end = _date(request.GET.get("end")) or today
    if end < start:
        raise Http404(_("考核期止不能早于考核期起。"))
    facts = midterm.midterm_facts(period_start=start, period_end=end, today=today)
    response = HttpResponse(midterm.midterm_docx(facts), content_type=DOCX)
    response["Content-Disposition"] = f'attachment; filename="midterm-{start}-{end}.docx"'
    return response


# --- credit ----------------------------------------------------------------------------------


class CreditFilter(forms.Form):
    year = forms.TypedChoiceField(label=gettext_lazy("评价年度"), coerce=int, required=False)
    county = forms.ModelChoiceField(
        label=gettext_lazy("县（市、区）"),
        queryset=Region.objects.filter(level__in=(RegionLevel.COUNTY, RegionLevel.ZONE)),
        required=False,
    )
    level = forms.ChoiceField(
        label=gettext_lazy("信用等级"),
        choices=[("", "—"), *CreditLevel.choices],
        required=False,
    )


@_guarded(CreditScore)
def credit_list(request):
    if role_of(request.user) in (Role.ENTERPRISE, Role.DRIVER):
        return redirect("assessment:credit_mine")
    rows = restrict(CreditScore.objects.select_related("party__region"), request.user)
    years = sorted(set(rows.values_list("year", flat=True)), reverse=True)
    form = CreditFilter(request.GET or None)
    form.fields["year"].choices = [(y, y) for y in years]
    year = years[0] if years else None
    if form.is_valid():
        year = form.cleaned_data["year"] or year
        if form.cleaned_data["county"] is not None:
            rows = rows.filter(party__region__path__startswith=form.cleaned_data["county"].path)
        if form.cleaned_data["level"]:
            rows = rows.filter(level=form.cleaned_data["level"])
    rows = rows.filter(year=year).order_by("score", "party__name")
    counts = {lv: 0 for lv in CreditLevel.values}
    for lv in rows.values_list("level", flat=True):
        counts[lv] += 1
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "plan/credit/list.html",
        {
            "form": form,
            "year": year,
            "page_obj": page,
            "counts": [(CreditLevel(v).label, v, LEVEL_TONES[v], n) for v, n in counts.items()],
            "tones": LEVEL_TONES,
        },
    )


def _credit_context(score: CreditScore) -> dict:
    items = [
        {
            **i,
            "occurrences": [{**o, "url": record_url(o["type"], o["id"])} for o in i["occurrences"]],
        }
        for i in score.items
    ]
    return {
        "score": score,
        "items": items,
        "tone": LEVEL_TONES.get(score.level),
        "scheme": credit.SCHEME,
        "history": CreditScore.objects.filter(party=score.party).order_by("-year"),
    }


@_guarded(CreditScore)
def credit_detail(request, pk: int):
    score = (
        restrict(CreditScore.objects.select_related("party"), request.user).filter(pk=pk).first()
    )
    if score is None:
        raise Http404(_("对象不存在或您无权查看。"))
    return render(request, "plan/credit/detail.html", _credit_context(score))


@_guarded(CreditScore)
def credit_mine(request):
    """An enterprise's own evaluation (the latest year, or ``?year=``)."""
    party_id = getattr(request.user, "party_id", None)
    if party_id is None:
        return redirect("assessment:credit_list")
    rows = CreditScore.objects.filter(party_id=party_id).select_related("party")
    year = request.GET.get("year")
    score = (rows.filter(year=year) if year and year.isdigit() else rows).order_by("-year").first()
    if score is None:
        return render(request, "plan/credit/detail.html", {"score": None})
    return render(request, "plan/credit/detail.html", _credit_context(score))


@_guarded(CreditRule)
def credit_rules(request):
    return render(
        request,
        "plan/credit/rules.html",
        {
            "rules": CreditRule.objects.order_by("code"),
            "scheme": credit.SCHEME,
            "counters": credit.COUNTERS,
        },
    )
