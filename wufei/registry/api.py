"""REST endpoints of the registry under ``/api/v1/``; thin: parse, call a service, render."""

from django.db.models import Prefetch

from wufei.core.api import ScopedReadOnlyViewSet, ScopedViewSet
from wufei.registry import filtersets, serializers, services
from wufei.registry.models import (
    CodeList,
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Region,
    Site,
    TreatmentMethod,
    Vehicle,
    WasteCategory,
    WasteCode,
    WasteStream,
)


class PartyViewSet(ScopedViewSet):
    scoped_model = Party
    select_related = ("region",)
    serializer_class = serializers.PartySerializer
    input_serializer_class = serializers.PartyInputSerializer
    filterset_class = filtersets.PartyFilterSet
    create_service = staticmethod(services.party_create)
    update_service = staticmethod(services.party_update)


class SiteViewSet(ScopedViewSet):
    scoped_model = Site
    select_related = ("party", "region")
    serializer_class = serializers.SiteSerializer
    input_serializer_class = serializers.SiteInputSerializer
    filterset_class = filtersets.SiteFilterSet
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)


class FacilityViewSet(ScopedViewSet):
    scoped_model = Facility
    select_related = ("site", "site__region")
    serializer_class = serializers.FacilitySerializer
    input_serializer_class = serializers.FacilityInputSerializer
    filterset_class = filtersets.FacilityFilterSet
    create_service = staticmethod(services.facility_create)
    update_service = staticmethod(services.facility_update)


class CapacityViewSet(ScopedViewSet):
    scoped_model = FacilityCapacity
    select_related = ("stream", "method")
    serializer_class = serializers.CapacitySerializer
    input_serializer_class = serializers.CapacityInputSerializer
    filterset_class = filtersets.CapacityFilterSet
    create_service = staticmethod(services.capacity_create)
    update_service = staticmethod(services.capacity_update)


class PermitViewSet(ScopedViewSet):
    scoped_model = Permit
    select_related = ("stream",)
    # Plain lists (to_attr) of the codes alone: no related manager per row (docs/benchmarks.md).
    prefetch_related = (
        Prefetch("categories", WasteCategory.objects.only("code"), to_attr="category_rows"),
        Prefetch("waste_codes", WasteCode.objects.only("code"), to_attr="waste_code_rows"),
    )
    serializer_class = serializers.PermitSerializer
    input_serializer_class = serializers.PermitInputSerializer
    filterset_class = filtersets.PermitFilterSet
    create_service = staticmethod(services.permit_create)
    update_service = staticmethod(services.permit_update)


class VehicleViewSet(ScopedViewSet):
    scoped_model = Vehicle
    serializer_class = serializers.VehicleSerializer
    input_serializer_class = serializers.VehicleInputSerializer
    filterset_class = filtersets.VehicleFilterSet
    create_service = staticmethod(services.vehicle_create)
    update_service = staticmethod(services.vehicle_update)


class DeviceViewSet(ScopedViewSet):
    scoped_model = Device
    serializer_class = serializers.DeviceSerializer
    input_serializer_class = serializers.DeviceInputSerializer
    filterset_class = filtersets.DeviceFilterSet
    create_service = staticmethod(services.device_create)
    update_service = staticmethod(services.device_update)


class ReferenceViewSet(ScopedReadOnlyViewSet):
    """Code lists and regions: readable by everyone, changed only by imports."""


class RegionViewSet(ReferenceViewSet):
    ordering = ("adcode",)
    scoped_model = Region
    select_related = ("parent",)
    serializer_class = serializers.RegionSerializer
    filterset_fields = ["level", "adcode"]
    lookup_field = "adcode"


class CodeListViewSet(ReferenceViewSet):
    ordering = ("key", "-version")
    scoped_model = CodeList
    serializer_class = serializers.CodeListSerializer
    filterset_fields = ["key", "confidence"]


class WasteStreamViewSet(ReferenceViewSet):
    ordering = ("sort_order", "code")
    scoped_model = WasteStream
    select_related = ("parent",)
    serializer_class = serializers.WasteStreamSerializer
    filterset_fields = ["code"]


class WasteCategoryViewSet(ReferenceViewSet):
    ordering = ("code", "pk")
    scoped_model = WasteCategory
    select_related = ("stream",)
    serializer_class = serializers.WasteCategorySerializer
    filterset_fields = ["code", "stream__code"]


class WasteCodeViewSet(ReferenceViewSet):
    ordering = ("category__code", "code", "pk")
    scoped_model = WasteCode
    select_related = ("category",)
    serializer_class = serializers.WasteCodeSerializer
    filterset_class = filtersets.WasteCodeFilterSet


class TreatmentMethodViewSet(ReferenceViewSet):
    ordering = ("family", "code")
    scoped_model = TreatmentMethod
    serializer_class = serializers.TreatmentMethodSerializer
    filterset_fields = ["family", "kind", "fate"]


ROUTES = [
    ("parties", PartyViewSet),
    ("sites", SiteViewSet),
    ("facilities", FacilityViewSet),
    ("capacities", CapacityViewSet),
    ("permits", PermitViewSet),
    ("vehicles", VehicleViewSet),
    ("devices", DeviceViewSet),
    ("regions", RegionViewSet),
    ("code-lists", CodeListViewSet),
    ("waste-streams", WasteStreamViewSet),
    ("waste-categories", WasteCategoryViewSet),
    ("waste-codes", WasteCodeViewSet),
    ("treatment-methods", TreatmentMethodViewSet),
]
