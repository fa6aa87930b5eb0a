"""REST endpoints of the indicator system under ``/api/v1/``: the catalogue (read by everyone;
custom indicators created and changed by city officials), targets (scoped by region) and the
computed values with their lineage (``?year=&region=``). Thin: the services decide."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets

from wufei.accounts.models import Department
from wufei.core.api import InputSerializer, ScopedQuerysetMixin, ScopedViewSet
from wufei.core.filters import YearFilter
from wufei.registry.models import Region
from wufei.stats import indicators as services
from wufei.stats.choices import Direction
from wufei.stats.indicator_selectors import Sources, achieved, lineage
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue


class IndicatorFilterSet(df.FilterSet):
    catalogue = df.CharFilter(label=_("指标体系"))
    q = df.CharFilter(label=_("关键词"), method="search")
    is_active = df.BooleanFilter(label=_("启用"))

    class Meta:
        model = Indicator
        fields = ["catalogue", "q", "is_active"]

    def search(self, queryset, name, value):
        return queryset.filter(name__icontains=value) | queryset.filter(code__icontains=value)


@extend_schema_field({"type": "string", "pattern": "^(up|down)$", "description": "up, down"})
class DirectionField(serializers.ChoiceField):
    # The indicator's direction, documented as a pattern, not an enum: the trace API has an
    # enum ``direction`` of other values, and two enums of one name collide in the schema.

    def __init__(self, **kwargs):
        super().__init__(choices=Direction.choices, **kwargs)


class IndicatorSerializer(serializers.ModelSerializer):
    direction = DirectionField(read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department_name = serializers.CharField(source="department.name", default=None)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "catalogue",
            "level1",
            "level2",
            "name",
            "name_en",
            "unit",
            "formula",
            "definition",
            "computable",
            "direction",
            "mandatory",
            "department",
            "department_name",
            "base_year",
            "source",
            "confidence",
            "notes",
            "is_active",
        ]
        read_only_fields = fields


# Years declared explicitly: a PositiveSmallIntegerField's bounds differ between SQLite and
# PostgreSQL, and the committed schema must be the same on both.
YEAR = {"min_value": 1949, "max_value": 2100}


class IndicatorInputSerializer(InputSerializer):
    direction = DirectionField()
    base_year = serializers.IntegerField(required=False, allow_null=True, **YEAR)
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Indicator
        fields = list(services.CUSTOM_FIELDS)
        extra_kwargs = {
            "code": {"required": False, "validators": []},
            "formula": {"allow_blank": False},
        }


class IndicatorViewSet(ScopedViewSet):
    """The indicator catalogues (2019, 2021, common, custom). Everyone reads them; city
    officials and administrators create and change custom indicators."""

    scoped_model = Indicator  # type: ignore[assignment]
    ordering = ("sort_order", "code")
    select_related = ("department",)
    serializer_class = IndicatorSerializer
    input_serializer_class = IndicatorInputSerializer  # type: ignore[assignment]
    filterset_class = IndicatorFilterSet
    create_service = staticmethod(services.indicator_create)
    update_service = staticmethod(services.indicator_update)


class RegionByAdcode(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "adcode")
        super().__init__(**kwargs)


class TargetSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(read_only=True)
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    region = RegionByAdcode(read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = IndicatorTarget
        fields = ["id", "indicator", "indicator_code", "year", "region", "region_name", "value"]
        fields += ["note"]


class TargetInputSerializer(InputSerializer):
    year = serializers.IntegerField(**YEAR)
    region = RegionByAdcode(queryset=Region.objects.defer("boundary"))

    class Meta:
        model = IndicatorTarget
        fields = ["indicator", "year", "region", "value", "note"]
        validators: list = []  # (indicator, year, region) is set, not refused: target_set


class TargetFilterSet(df.FilterSet):
    indicator = df.CharFilter(label=_("指标代码"), field_name="indicator__code")
    year = YearFilter(label=_("年度"))
    region = df.CharFilter(label=_("区划代码"), field_name="region__adcode")

    class Meta:
        model = IndicatorTarget
        fields = ["indicator", "year", "region"]


class TargetViewSet(ScopedViewSet):
    """Targets per (indicator, year, region). Posting a target for an (indicator, year,
    region) that has one changes it. County officials set their county's targets."""

    scoped_model = IndicatorTarget  # type: ignore[assignment]
    ordering = ("indicator__sort_order", "year", "region__adcode", "pk")
    select_related = ("indicator", "region")
    serializer_class = TargetSerializer
    input_serializer_class = TargetInputSerializer  # type: ignore[assignment]
    filterset_class = TargetFilterSet
    create_service = staticmethod(services.target_set)
    update_service = staticmethod(services.target_update)

    def get_queryset(self):
        return super().get_queryset().defer("region__boundary")


class LinkSerializer(serializers.Serializer):
    label = serializers.CharField()
    url = serializers.CharField()


class LineageInputSerializer(serializers.Serializer):
    ref = serializers.CharField(help_text=_("统计量，base(…) 为基准年，prev(…) 为上一年"))
    name = serializers.CharField()
    unit = serializers.CharField()
    how = serializers.CharField(help_text=_("统计量的计算方法"))
    value = serializers.CharField(allow_null=True, help_text=_("计算时的取值；空为缺少数据"))
    year = serializers.IntegerField(allow_null=True)
    period = serializers.CharField()
    links = LinkSerializer(many=True, help_text=_("列出这些记录的页面"))


class ValueSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(read_only=True)
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    formula = serializers.CharField(source="indicator.formula", read_only=True)
    region = RegionByAdcode(read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    target = serializers.SerializerMethodField()
    achieved = serializers.SerializerMethodField()
    lineage = serializers.SerializerMethodField()

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "indicator",
            "indicator_code",
            "indicator_name",
            "unit",
            "year",
            "region",
            "region_name",
            "value",
            "status",
            "message",
            "target",
            "achieved",
            "formula",
            "inputs",
            "lineage",
            "computed_at",
        ]

    def _target(self, obj):
        """The target of the value's (indicator, year, region); the targets of a (year,
        region) are read once for all its values."""
        loaded = self.context.setdefault("targets", {})
        key = (obj.year, obj.region_id)
        if key not in loaded:
            rows = IndicatorTarget.objects.filter(year=obj.year, region_id=obj.region_id)
            loaded[key] = dict(rows.values_list("indicator_id", "value"))
        return loaded[key].get(obj.indicator_id)

    def get_target(self, obj) -> str | None:
        target = self._target(obj)
        return None if target is None else str(target)

    def get_achieved(self, obj) -> bool | None:
        return achieved(obj.indicator, obj.value, self._target(obj))

    @staticmethod
    def _sources(context) -> Sources:
        if "sources" not in context:
            context["sources"] = Sources()
        return context["sources"]

    def get_lineage(self, obj) -> list[dict]:
        inputs = lineage(obj, self._sources(self.context))
        return LineageInputSerializer([vars(i) for i in inputs], many=True).data


class ValueFilterSet(df.FilterSet):
    year = YearFilter(label=_("年度"))
    region = df.CharFilter(label=_("区划代码"), field_name="region__adcode")
    indicator = df.CharFilter(label=_("指标代码"), field_name="indicator__code")
    status = df.CharFilter(label=_("计算状态"))

    class Meta:
        model = IndicatorValue
        fields = ["year", "region", "indicator", "status"]


class ValueViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Computed indicator values the actor may see (``?year=&region=&indicator=``), each with
    its target, whether it is met, and its lineage: every input measure with its figure, year,
    period and links to the records behind it."""

    scoped_model = IndicatorValue  # type: ignore[assignment]
    ordering = ("year", "region__adcode", "indicator__sort_order", "indicator__code", "pk")
    select_related = ("indicator", "region")
    serializer_class = ValueSerializer
    filterset_class = ValueFilterSet

    def get_queryset(self):
        return super().get_queryset().defer("region__boundary")


ROUTES = [
    ("indicators", IndicatorViewSet),
    ("indicator-targets", TargetViewSet),
    ("indicator-values", ValueViewSet),
]
