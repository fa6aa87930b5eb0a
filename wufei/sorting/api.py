"""REST endpoints of the sorting registry under ``/api/v1/sorting/``: compounds and villages,
households (also by code or card number) and stations, read-only and scoped; officials
register households in bulk (``POST sorting/households``) through the same service as the
pages, with codes continuing the community's sequence."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wufei.core.api import ScopedQuerysetMixin, ScopedRelatedField
from wufei.core.errors import NotFound
from wufei.sorting import registry_selectors as selectors
from wufei.sorting import registry_services as services
from wufei.sorting.models import Community, Household, Station
from wufei.sorting.registry_forms import (
    CommunityFilterSet,
    HouseholdFilterSet,
    StationFilterSet,
)

READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet)


class CommunitySerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    county = serializers.CharField(source="region.parent.adcode", read_only=True, default=None)
    registered = serializers.IntegerField(read_only=True, help_text=_("已登记（有效）住户数"))
    registration_rate = serializers.SerializerMethodField(help_text=_("登记率（%）"))
    code_prefix = serializers.SerializerMethodField(help_text=_("户码前缀"))
    # Declared: the model's positive integer has database-specific bounds in the schema.
    households_total = serializers.IntegerField(
        min_value=0, max_value=2147483647, required=False, label=_("常住户数")
    )

    class Meta:
        model = Community
        fields = [
            "id",
            "kind",
            "name",
            "region",
            "county",
            "site",
            "committee",
            "households_total",
            "registered",
            "registration_rate",
            "code_prefix",
            "is_pilot",
            "sorting_since",
            "coarse_sorting",
            "collection_covered",
            "lon",
            "lat",
            "is_active",
        ]

    def get_registration_rate(self, obj) -> str | None:
        rate = selectors.registration_rate(obj)
        return str(rate) if rate is not None else None

    def get_code_prefix(self, obj) -> str:
        return services.code_prefix(obj)


class HouseholdSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "code",
            "card_number",
            "community",
            "community_name",
            "unit",
            "phone_masked",
            "points_balance",
            "registered_on",
            "is_active",
        ]


class StationSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    schedule = serializers.JSONField(read_only=True, help_text=_('如 [["07:00", "09:00"]]'))

    class Meta:
        model = Station
        fields = ["id", *services.STATION_FIELDS]


class RegisterInput(serializers.Serializer):
    """Bulk registration: ``count`` households (or one per ``unit_labels`` entry)."""

    community = ScopedRelatedField(queryset=Community.objects.all())
    count = serializers.IntegerField(required=False, min_value=1)
    unit_labels = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        required=False,
        allow_null=True,
    )
    with_cards = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("count") is None:
            units = attrs.get("unit_labels")
            if not units:
                raise serializers.ValidationError(
                    {"count": [_("请填写登记户数或门牌。")]}, code="required"
                )
            attrs["count"] = len(units)
        return attrs


class RegisterResult(serializers.Serializer):
    count = serializers.IntegerField()
    first = serializers.CharField()
    last = serializers.CharField()
    households = HouseholdSerializer(many=True)


class CommunityViewSet(ScopedQuerysetMixin, *READ):
    """Compounds and villages the actor may see, with their registration."""

    scoped_model = Community
    ordering = ("region__adcode", "name", "pk")
    serializer_class = CommunitySerializer
    filterset_class = CommunityFilterSet

    def get_queryset(self):
        return selectors.community_list(actor=self.request.user).order_by(*self.ordering)


class HouseholdViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, *READ):
    """Households the actor may see; officials register them in bulk."""

    scoped_model = Household
    ordering = ("community", "code", "pk")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilterSet

    def get_queryset(self):
        return selectors.household_list(actor=self.request.user).order_by(*self.ordering)

    def get_serializer_class(self):
        return RegisterInput if self.request.method == "POST" else HouseholdSerializer

    @extend_schema(request=RegisterInput, responses={201: RegisterResult})
    def create(self, request, *args, **kwargs):
        services.ensure_manager(request.user)
        data = RegisterInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = services.households_register(
            actor=request.user,
            community=values["community"],
            count=values["count"],
            unit_labels=values.get("unit_labels"),
            with_cards=values.get("with_cards", False),
            today=timezone.localdate(),
        )
        rows = self.get_queryset().filter(pk__in=[h.pk for h in created])
        body = {
            "count": len(created),
            "first": created[0].code,
            "last": created[-1].code,
            "households": HouseholdSerializer(rows, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: HouseholdSerializer, 404: OpenApiResponse(description=_("未找到"))}
    )
    @action(detail=False, methods=["get"], url_path=r"by-code/(?P<code>[A-Za-z0-9]+)")
    def by_code(self, request, code: str):
        """One household by its code or card number."""
        text = code.strip().upper()
        household = (
            self.get_queryset().filter(Q(code=text) | Q(card_number=text)).first() if text else None
        )
        if household is None:
            raise NotFound()
        return Response(HouseholdSerializer(household).data)


class StationViewSet(ScopedQuerysetMixin, *READ):
    """Stations with their fixed put-out times (定时定点)."""

    scoped_model = Station
    ordering = ("region__adcode", "name", "pk")
    select_related = ("region",)
    serializer_class = StationSerializer
    filterset_class = StationFilterSet


ROUTES = [
    ("sorting/communities", CommunityViewSet),
    ("sorting/households", HouseholdViewSet),
    ("sorting/stations", StationViewSet),
]
