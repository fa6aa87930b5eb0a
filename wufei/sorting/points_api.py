"""REST endpoints of drops, points and flags under ``/api/v1/sorting/``: guide apps post drops
(multipart for a photo) and redemptions through the same services as the pages; drops, a
household's ledger and the flags are read, scoped to the actor.

A guide app retrying a request sends the same ``dropped_at`` (to the second): the drop already
recorded is returned (200) instead of a second one (201)."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from wufei.core.api import ScopedQuerysetMixin, ScopedRelatedField
from wufei.core.errors import FieldError, Invalid
from wufei.iot.choices import WasteClass
from wufei.sorting import points
from wufei.sorting.drops import find_household, record_drop
from wufei.sorting.models import Drop, Flag, PointsEntry, Redemption, Station
from wufei.sorting.points_forms import DropFilterSet, FlagFilterSet
from wufei.sorting.points_selectors import drop_list, entry_list, flag_list, redemption_list

READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet)


class DropSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    deposit_message_id = serializers.CharField(
        source="deposit.message_id", read_only=True, default=None
    )
    flagged = serializers.BooleanField(read_only=True, help_text=_("是否有异常标记"))
    points = serializers.SerializerMethodField(help_text=_("该次投放所得积分（含冲正）"))

    class Meta:
        model = Drop
        fields = [
            "id",
            "household",
            "household_code",
            "community",
            "community_name",
            "station",
            "source",
            "deposit",
            "deposit_message_id",
            "waste_class",
            "weight_kg",
            "correct",
            "guide",
            "dropped_at",
            "recorded_at",
            "flagged",
            "points",
        ]

    def get_points(self, obj) -> int:
        return PointsEntry.objects.filter(drop=obj).aggregate(s=Sum("delta"))["s"] or 0


class DropInput(serializers.Serializer):
    household_code = serializers.CharField(max_length=32, allow_blank=True)
    waste_class = serializers.CharField(max_length=12, help_text=", ".join(WasteClass.values))
    weight_kg = serializers.CharField(max_length=12, help_text=_("千克，大于 0 且不超过 50"))
    correct = serializers.BooleanField(required=False, allow_null=True, default=None)
    station = ScopedRelatedField(queryset=Station.objects.all(), required=False, allow_null=True)
    photo = serializers.FileField(required=False, allow_null=True)
    dropped_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("投放时间；重试请求须与首次相同")
    )


class LedgerSerializer(serializers.ModelSerializer):
    rule_code = serializers.CharField(source="rule.code", read_only=True, default=None)
    # Declared: integer model fields have database-specific bounds in the schema.
    delta = serializers.IntegerField(read_only=True, label=_("积分变动"))
    balance_after = serializers.IntegerField(read_only=True, label=_("变动后余额"))

    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "household",
            "kind",
            "delta",
            "balance_after",
            "at",
            "drop",
            "rule",
            "rule_code",
            "redemption",
            "reverses",
            "note",
        ]


class RedemptionSerializer(serializers.ModelSerializer):
    household_code = serializers.CharField(source="household.code", read_only=True)
    balance_after = serializers.IntegerField(source="entry.balance_after", read_only=True)
    points = serializers.IntegerField(read_only=True, label=_("积分"))

    class Meta:
        model = Redemption
        fields = [
            "id",
            "household",
            "household_code",
            "station",
            "item",
            "points",
            "redeemed_at",
            "balance_after",
        ]


class RedemptionInput(serializers.Serializer):
    household_code = serializers.CharField(max_length=32)
    station = ScopedRelatedField(queryset=Station.objects.all())
    item = serializers.CharField(max_length=64)
    points = serializers.IntegerField()


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Flag
        fields = [
            "id",
            "kind",
            "status",
            "household",
            "guide",
            "drop",
            "detail",
            "raised_at",
            "reviewed_at",
            "review_note",
        ]


class DropViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, *READ):
    """Drops the actor may see; guides (and officials) record drops."""

    scoped_model = Drop
    ordering = ("-dropped_at", "-pk")
    serializer_class = DropSerializer
    filterset_class = DropFilterSet
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    def get_queryset(self):
        return drop_list(actor=self.request.user).order_by(*self.ordering)

    def get_serializer_class(self):
        return DropInput if self.request.method == "POST" else DropSerializer

    def create(self, request, *args, **kwargs):
        data = DropInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        drop = record_drop(actor=request.user, **data.validated_data)
        body = DropSerializer(self.get_queryset().get(pk=drop.pk)).data
        retried = getattr(drop, "retried", False)
        return Response(body, status=status.HTTP_200_OK if retried else status.HTTP_201_CREATED)


class LedgerViewSet(ScopedQuerysetMixin, *READ):
    """A household's points ledger (``?household=<id>`` or ``?household_code=<code>``), in
    order; every line carries the balance after it."""

    scoped_model = PointsEntry
    ordering = ("household", "pk")
    serializer_class = LedgerSerializer

    def get_queryset(self):
        rows = entry_list(actor=self.request.user).order_by(*self.ordering)
        household = self.request.query_params.get("household")
        code = self.request.query_params.get("household_code")
        if household:
            rows = rows.filter(household_id=household if household.isdigit() else 0)
        if code:
            found = find_household(self.request.user, code)
            rows = rows.filter(household=found) if found else rows.none()
        return rows


class RedemptionViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, *READ):
    """Redemptions the actor may see; a redemption point records one (refused with
    ``insufficient_points`` when the balance is short)."""

    scoped_model = Redemption
    ordering = ("-redeemed_at", "-pk")
    serializer_class = RedemptionSerializer

    def get_queryset(self):
        return redemption_list(actor=self.request.user).order_by(*self.ordering)

    def get_serializer_class(self):
        return RedemptionInput if self.request.method == "POST" else RedemptionSerializer

    def create(self, request, *args, **kwargs):
        data = RedemptionInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        household = find_household(request.user, values.pop("household_code"))
        if household is None:
            raise Invalid(
                [FieldError("household_code", "unknown_household", str(_("户码或卡号未登记。")))]
            )
        redemption = points.redeem(actor=request.user, household=household, **values)
        body = RedemptionSerializer(self.get_queryset().get(pk=redemption.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class FlagViewSet(ScopedQuerysetMixin, *READ):
    scoped_model = Flag
    ordering = ("-raised_at", "-pk")
    serializer_class = FlagSerializer
    filterset_class = FlagFilterSet

    def get_queryset(self):
        return flag_list(actor=self.request.user).order_by(*self.ordering)


ROUTES = [
    ("sorting/drops", DropViewSet),
    ("sorting/ledger", LedgerViewSet),
    ("sorting/redemptions", RedemptionViewSet),
    ("sorting/flags", FlagViewSet),
]
