"""Route planning pages: the plan list (with the form that starts a plan), a plan with its map,
routes, stops, load profiles, unloads and saving against today's rounds, plan versus actual,
and a phone-sized page per route for its driver. Thin: selectors read, services write."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.errors import NotFound, WufeiError
from wufei.core.pages import PAGE_SIZE
from wufei.routing import selectors, services
from wufei.routing.choices import PlanStream
from wufei.routing.models import PlannedRoute, RoutePlan


class PlanForm(forms.Form):
    stream = forms.ChoiceField(label=gettext_lazy("废物类别"), choices=PlanStream.choices)
    county = forms.CharField(label=gettext_lazy("县（市、区）区划代码"), max_length=12)
    day = forms.DateField(label=gettext_lazy("收运日期"))
    budget_s = forms.FloatField(
        label=gettext_lazy("求解时限（秒）"), initial=10, min_value=1, max_value=600
    )


def _refusal(request, model):
    if may(request.user, Action.VIEW, model):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied(_("您无权访问此页面。"))


def plan_list(request):
    refusal = _refusal(request, RoutePlan)
    if refusal is not None:
        return refusal
    page = Paginator(selectors.plan_list(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    can_plan = may(request.user, Action.ADD, RoutePlan)
    initial = {"day": timezone.localdate(), "county": getattr(request.user.region, "adcode", "")}
    return render(
        request,
        "routing/plan_list.html",
        {"page": page, "form": PlanForm(initial=initial) if can_plan else None},
    )


@require_POST
def plan_create(request):
    if not may(request.user, Action.ADD, RoutePlan):
        raise PermissionDenied(_("您无权访问此页面。"))
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            plan = services.plan_routes(actor=request.user, **form.cleaned_data)
        except WufeiError as exc:
            for error in exc.errors:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("方案已生成。"))
            return redirect("routing:plan_detail", pk=plan.pk)
    page = Paginator(selectors.plan_list(actor=request.user), PAGE_SIZE).get_page(1)
    return render(request, "routing/plan_list.html", {"page": page, "form": form}, status=400)


def plan_detail(request, pk: int):
    refusal = _refusal(request, RoutePlan)
    if refusal is not None:
        return refusal
    try:
        plan = selectors.plan_get(actor=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    routes = []
    for route in selectors.plan_routes(actor=request.user, plan=plan):
        visits = list(selectors.route_visits(route))
        routes.append({"route": route, "visits": visits, "actual": services.plan_vs_actual(route)})
    chart = {
        # the county's boundary comes from the one map's cached GeoJSON (no copy of it here)
        "boundariesUrl": reverse("web:map_boundaries"),
        "county": plan.county.adcode,
        "routes": [
            {"name": f"{r['route'].number} {r['route'].vehicle.plate}", "path": r["route"].path}
            for r in routes
        ],
        "profiles": [
            {
                "name": f"{r['route'].number} {r['route'].vehicle.plate}",
                "points": r["route"].load_profile,
            }
            for r in routes
        ],
    }
    return render(
        request,
        "routing/plan_detail.html",
        {"plan": plan, "routes": routes, "chart": chart},
    )


def route_driver(request, pk: int):
    refusal = _refusal(request, PlannedRoute)
    if refusal is not None:
        return refusal
    try:
        route = selectors.route_get(actor=request.user, pk=pk)
    except NotFound as exc:
        raise Http404 from exc
    visits = list(selectors.route_visits(route))
    return render(request, "routing/driver.html", {"route": route, "visits": visits})


def my_route(request):
    """The driver's route today: straight to it when there is one, else the list (or none)."""
    refusal = _refusal(request, PlannedRoute)
    if refusal is not None:
        return refusal
    routes = list(selectors.my_routes(actor=request.user, day=timezone.localdate()))
    if len(routes) == 1:
        return redirect("routing:route_driver", pk=routes[0].pk)
    return render(request, "routing/my_routes.html", {"routes": routes})
