"""REST endpoints of the balance table and the forecasts: ``/api/v1/balance/`` answers the
table of a year and region (with the what-if parameters of the page) as JSON, and
``/api/v1/forecasts/`` lists the stored forecasts the caller may see."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from wufei.core.api import ErrorSerializer, ScopedQuerysetMixin
from wufei.stats.balance import balance_table
from wufei.stats.balance_forms import ADD_SLOTS, BalanceForm
from wufei.stats.basis import BASIS
from wufei.stats.forecasts import forecast_list
from wufei.stats.models import Forecast, RollupMonth


def _tonnes(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=3, **kwargs)


class RegionRefSerializer(serializers.Serializer):
    adcode = serializers.CharField()
    name = serializers.CharField()


class WarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("capacity_short、overloaded 或 no_capacity"))
    message = serializers.CharField()


class CategoryRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    generated = _tonnes()


class BalanceRowSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("一级废物类别代码，合计行为 total"))
    label = serializers.CharField()
    generated = _tonnes(help_text=_("本年产生量（吨）"))
    categories = CategoryRowSerializer(many=True)
    demand = serializers.DictField(
        child=_tonnes(allow_null=True), help_text=_("后三年预测产生量，按年份")
    )
    demand_source = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text=_("forecast、actual、mixed 或 growth"),
    )
    capacity = serializers.DictField(child=_tonnes(), help_text=_("本年末能力，按最终去向"))
    capacity_total = serializers.DictField(child=_tonnes(), help_text=_("各年能力合计（不含贮存）"))
    received = _tonnes(allow_null=True)
    load = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    gap = serializers.DictField(
        child=_tonnes(allow_null=True), help_text=_("各年富余（＋）/缺口（－）")
    )
    warnings = WarningSerializer(many=True)


class BlockSerializer(serializers.Serializer):
    region = RegionRefSerializer()
    rows = BalanceRowSerializer(many=True)
    total = BalanceRowSerializer()


class BalanceTableSerializer(serializers.Serializer):
    title = serializers.CharField()
    year = serializers.IntegerField()
    years = serializers.ListField(child=serializers.IntegerField())
    region = RegionRefSerializer()
    as_of = serializers.DateField()
    scenario = serializers.SerializerMethodField()
    notes = serializers.ListField(child=serializers.CharField())
    blocks = BlockSerializer(many=True)

    def get_scenario(self, table) -> list[str]:
        return table.scenario.describe()


def _parameters() -> list[OpenApiParameter]:
    out = [
        OpenApiParameter("year", int, description=_("年份，默认上一年")),
        OpenApiParameter("region", str, description=_("区划代码（市或县），默认本人可见的第一个")),
        OpenApiParameter("close", int, many=True, description=_("关停设施编号，可重复")),
        OpenApiParameter("close_from", int, description=_("关停起始年份")),
    ]
    out += [
        OpenApiParameter(f"growth_{code}", float, description=_("该一级类别的年增长率（%）"))
        for code in BASIS  # the top-level streams
    ]
    for i in range(1, ADD_SLOTS + 1):
        out.append(
            OpenApiParameter(
                f"add{i}_stream",
                str,
                description=_(
                    "新增设施：废物类别代码，另需 add%(n)s_method（方式代码）、add%(n)s_tonnes"
                    "（吨/年）、add%(n)s_region（县级区划代码）、add%(n)s_from（投运年份）"
                )
                % {"n": i},
            )
        )
    return out


class OneObjectSchema(AutoSchema):
    # The route is a viewset's list, but it answers one table, not a page of rows.
    def _is_list_view(self, serializer=None) -> bool:
        return False


class BalanceViewSet(viewsets.ViewSet):
    """The disposal-capacity balance table; officials of a county see their county only."""

    scoped_model = RollupMonth  # read by ScopedActionPermission: who may see statistics
    schema = OneObjectSchema()

    @extend_schema(
        operation_id="balance_table",
        summary=_("固废处置能力平衡表（可带情景参数）"),
        description=_("固废处置能力平衡表（可带情景参数，不写入数据）"),
        parameters=_parameters(),
        responses={
            200: BalanceTableSerializer,
            400: OpenApiResponse(ErrorSerializer, _("参数有误")),
            401: OpenApiResponse(ErrorSerializer, _("未登录，或 API 令牌无效")),
            403: OpenApiResponse(ErrorSerializer, _("无权查看该区划")),
        },
        tags=[str(_("统计"))],
    )
    def list(self, request):
        form = BalanceForm(request.query_params, actor=request.user)
        year, region, scenario = form.parsed()
        table = balance_table(actor=request.user, year=year, region=region, scenario=scenario)
        return Response(BalanceTableSerializer(table).data)


class ForecastFilterSet(df.FilterSet):
    region = df.CharFilter(label=_("区划代码"), field_name="region__adcode")
    stream = df.CharFilter(label=_("废物类别代码"), field_name="stream__code")
    month_from = df.DateFilter(label=_("月份自"), field_name="month", lookup_expr="gte")
    month_to = df.DateFilter(label=_("至"), field_name="month", lookup_expr="lte")

    class Meta:
        model = Forecast
        fields = ["region", "stream", "month_from", "month_to"]


class ForecastSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    # declared: a PositiveSmallIntegerField's bounds differ between SQLite and PostgreSQL
    backtest_months = serializers.IntegerField(read_only=True)

    class Meta:
        model = Forecast
        fields = [
            "region",
            "stream",
            "month",
            "tonnes",
            "lower",
            "upper",
            "method",
            "history_end",
            "backtest_months",
            "backtest_mape",
            "fitted_at",
        ]


class ForecastViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stored monthly generation forecasts with their interval and back-test error."""

    scoped_model = Forecast  # type: ignore[assignment]
    ordering = ("region__adcode", "stream__sort_order", "month", "pk")
    serializer_class = ForecastSerializer
    filterset_class = ForecastFilterSet

    def get_queryset(self):
        return forecast_list(actor=self.request.user).order_by(*self.ordering)


ROUTES = [("balance", BalanceViewSet), ("forecasts", ForecastViewSet)]
