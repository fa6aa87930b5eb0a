"""REST endpoints of inspections and enforcement under ``/api/v1/``: campaigns, inspections,
findings, rectification orders and the register, read-only and scoped; inspections and
findings may also be created (a field app), through the same services as the pages."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from wufei.cases import services
from wufei.cases.filtersets import DumpSiteFilterSet, InspectionFilterSet, OrderFilterSet
from wufei.cases.models import (
    Campaign,
    ChecklistItem,
    DumpSite,
    Finding,
    Inspection,
    RectificationOrder,
)
from wufei.cases.selectors import campaign_list
from wufei.core.api import InputSerializer, ScopedQuerysetMixin, ScopedRelatedField

READ = (mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet)


class CampaignSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "region", "starts_on", "ends_on", "lead", "description"]


class FindingSerializer(serializers.ModelSerializer):
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = ["id", "inspection", "item", "description", "severity", "lon", "lat", "photo_url"]

    def get_photo_url(self, obj) -> str | None:
        return reverse("cases:finding_photo", args=[obj.pk]) if obj.photo else None


class InspectionSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    checklist_kind = serializers.CharField(source="checklist.kind", read_only=True)
    party_name = serializers.CharField(source="party.name", read_only=True, default=None)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "campaign",
            "checklist",
            "checklist_kind",
            "site",
            "dump_site",
            "party",
            "party_name",
            "region",
            "inspected_on",
            "inspectors",
            "status",
            "summary",
        ]


class CampaignField(serializers.PrimaryKeyRelatedField):
    """A campaign the actor takes part in (a county official: the city's too)."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Campaign.objects.none()
        return campaign_list(actor=request.user)


class InspectionInput(InputSerializer):
    campaign = CampaignField(required=False, allow_null=True)

    class Meta:
        model = Inspection
        fields = ["campaign", "checklist", "site", "dump_site", "inspected_on", "inspectors"]
        extra_kwargs = {"checklist": {"required": True}}


class FindingInput(InputSerializer):
    inspection = ScopedRelatedField(queryset=Inspection.objects.all())
    item = serializers.PrimaryKeyRelatedField(
        queryset=ChecklistItem.objects.all(), required=False, allow_null=True
    )
    photo = serializers.FileField(required=False, allow_null=True)

    class Meta:
        model = Finding
        fields = ["inspection", "item", "description", "severity", "lon", "lat", "photo"]
        extra_kwargs = {"severity": {"required": False}}


class OrderSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    party_name = serializers.CharField(source="party.name", read_only=True, default=None)

    class Meta:
        model = RectificationOrder
        fields = [
            "id",
            "number",
            "finding",
            "party",
            "party_name",
            "region",
            "requirement",
            "issued_on",
            "deadline",
            "status",
            "reported_at",
            "report",
            "closed_at",
        ]


class DumpSiteSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)

    class Meta:
        model = DumpSite
        fields = [
            "id",
            "kind",
            "name",
            "region",
            "address",
            "lon",
            "lat",
            "area_m2",
            "volume_m3",
            "waste",
            "party",
            "found_on",
            "state",
            "state_changed_on",
        ]


class CampaignViewSet(ScopedQuerysetMixin, *READ):
    scoped_model = Campaign
    ordering = ("-starts_on", "pk")
    select_related = ("region",)
    serializer_class = CampaignSerializer


class InspectionViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, *READ):
    """Inspections the actor may see; officials create them (a draft visit)."""

    scoped_model = Inspection
    ordering = ("-inspected_on", "-pk")
    select_related = ("checklist", "party", "region")
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet

    def get_serializer_class(self):
        return InspectionInput if self.request.method == "POST" else InspectionSerializer

    def create(self, request, *args, **kwargs):
        data = InspectionInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        inspection = services.inspection_create(
            actor=request.user, today=timezone.localdate(), **data.validated_data
        )
        body = InspectionSerializer(self.get_queryset().get(pk=inspection.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class FindingViewSet(ScopedQuerysetMixin, mixins.CreateModelMixin, *READ):
    """Findings of the inspections the actor may see; a finding is added to a draft
    inspection (multipart for a photo)."""

    scoped_model = Finding
    ordering = ("inspection", "pk")
    serializer_class = FindingSerializer
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    def get_serializer_class(self):
        return FindingInput if self.request.method == "POST" else FindingSerializer

    def create(self, request, *args, **kwargs):
        data = FindingInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        inspection = values.pop("inspection")
        finding = services.finding_add(
            actor=request.user, inspection=inspection, data=services.FindingInput(**values)
        )
        body = FindingSerializer(self.get_queryset().get(pk=finding.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class OrderViewSet(ScopedQuerysetMixin, *READ):
    scoped_model = RectificationOrder
    ordering = ("deadline", "pk")
    select_related = ("party", "region")
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet


class DumpSiteViewSet(ScopedQuerysetMixin, *READ):
    scoped_model = DumpSite
    ordering = ("-found_on", "pk")
    select_related = ("region",)
    serializer_class = DumpSiteSerializer
    filterset_class = DumpSiteFilterSet


ROUTES = [
    ("campaigns", CampaignViewSet),
    ("inspections", InspectionViewSet),
    ("findings", FindingViewSet),
    ("rectification-orders", OrderViewSet),
    ("dumpsites", DumpSiteViewSet),
]
