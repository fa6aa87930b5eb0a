"""REST endpoints of route plans under ``/api/v1/route-plans/``: the scoped list and detail
(routes with their visits), and a POST that plans (thin: the service decides)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.api import ErrorSerializer, ScopedQuerysetMixin
from wufei.routing import selectors, services
from wufei.routing.choices import PlanStream
from wufei.routing.models import PlannedRoute, PlannedVisit, RoutePlan


class VisitSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", default=None, read_only=True)
    facility_name = serializers.CharField(source="facility.name", default=None, read_only=True)

    class Meta:
        model = PlannedVisit
        fields = [
            "seq", "kind", "site", "site_name", "facility", "facility_name", "lat", "lon",
            "arrive_at", "start_at", "depart_at", "window_start", "window_end", "demand_kg",
            "load_after_kg", "required",
        ]  # fmt: skip


class RouteSerializer(serializers.ModelSerializer):
    plate = serializers.CharField(source="vehicle.plate", read_only=True)
    visits = VisitSerializer(many=True, read_only=True)

    class Meta:
        model = PlannedRoute
        fields = [
            "id", "number", "vehicle", "plate", "start_at", "end_at", "distance_m", "duration_s",
            "cost", "trips", "load_profile", "visits",
        ]  # fmt: skip


PLAN_FIELDS = [
    "id", "stream", "county", "day", "status", "budget_s", "travel", "created_at",
    "stops_total", "stops_served", "cost", "distance_m", "duration_s", "runtime_s",
    "baseline_cost", "baseline_distance_m", "baseline_duration_s", "saving_pct",
    "unplannable", "deferred", "violations",
]  # fmt: skip


class PlanSerializer(serializers.ModelSerializer):
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    county = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    # declared: the model's small/positive integer bounds differ between SQLite and PostgreSQL
    stops_total = serializers.IntegerField(read_only=True)
    stops_served = serializers.IntegerField(read_only=True)

    class Meta:
        model = RoutePlan
        fields = PLAN_FIELDS


class PlanDetailSerializer(PlanSerializer):
    routes = serializers.SerializerMethodField()

    class Meta:
        model = RoutePlan
        fields = [*PLAN_FIELDS, "routes"]

    @extend_schema(responses=RouteSerializer(many=True))
    def get_routes(self, plan) -> list[dict]:
        routes = restrict(
            plan.routes.select_related("vehicle").prefetch_related(
                "visits__site", "visits__facility"
            ),
            self.context["request"].user,
            Action.VIEW,
        ).order_by("number")
        return RouteSerializer(routes, many=True).data


class PlanCreateSerializer(serializers.Serializer):
    stream = serializers.ChoiceField(choices=PlanStream.choices, label=_("废物类别"))
    county = serializers.CharField(max_length=12, label=_("县（市、区）区划代码"))
    day = serializers.DateField(label=_("收运日期"))
    budget_s = serializers.FloatField(min_value=0.1, max_value=600, default=10.0)


class RoutePlanViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Route plans as the actor may see them; POST plans one stream, county and day."""

    scoped_model = RoutePlan
    ordering = ("-created_at", "-id")
    serializer_class = PlanSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.plan_list(actor=self.request.user).order_by(*self.ordering)

    @extend_schema(responses={200: PlanDetailSerializer, 404: ErrorSerializer})
    def retrieve(self, request, pk=None):
        plan = selectors.plan_get(actor=request.user, pk=int(pk))
        return Response(PlanDetailSerializer(plan, context=self.get_serializer_context()).data)

    @extend_schema(
        request=PlanCreateSerializer,
        responses={201: PlanDetailSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
        description=_("规划一类废物在一个县（市、区）某一天的收运路线并保存方案（同步求解）。"),
    )
    def create(self, request):
        data = PlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.plan_routes(actor=request.user, **data.validated_data)
        answer = PlanDetailSerializer(plan, context=self.get_serializer_context()).data
        return Response(answer, status=status.HTTP_201_CREATED)


ROUTES = [("route-plans", RoutePlanViewSet)]
