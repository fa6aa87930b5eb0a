"""API representations of the registry: read serializers and input serializers.

An input serializer shares its OpenAPI component name with the read serializer (``Party``
answers, ``PartyRequest`` and ``PatchedPartyRequest`` are sent), and its foreign keys
accept only rows the actor may see (:class:`wufei.core.api.InputSerializer`).
"""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from wufei.core.api import InputSerializer
from wufei.registry import inputs
from wufei.registry.choices import EffectivePermitStatus
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

_region = serializers.SlugRelatedField(slug_field="adcode", queryset=Region.objects.all())
_stream = serializers.SlugRelatedField(slug_field="code", queryset=WasteStream.objects.all())


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="adcode", read_only=True)

    class Meta:
        model = Region
        fields = ["id", "adcode", "name", "level", "parent", "center_lon", "center_lat", "source"]


class CodeListSerializer(serializers.ModelSerializer):
    class Meta:
        model = CodeList
        fields = ["id", "key", "version", "name", "source", "confidence", "valid_from", "valid_to"]


class WasteStreamSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = WasteStream
        fields = ["id", "code", "name", "name_en", "parent", "confidence"]


class WasteCategorySerializer(serializers.ModelSerializer):
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = WasteCategory
        fields = [
            "id",
            "code",
            "name",
            "stream",
            "confidence",
            "code_list",
            "valid_from",
            "valid_to",
        ]


class WasteCodeSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    hazard_traits = serializers.ListField(source="traits", read_only=True)

    class Meta:
        model = WasteCode
        fields = [
            "id",
            "code",
            "name",
            "category",
            "hazard_traits",
            "industry",
            "confidence",
            "code_list",
            "valid_from",
            "valid_to",
            "note",
        ]


class TreatmentMethodSerializer(serializers.ModelSerializer):
    class Meta:
        model = TreatmentMethod
        fields = ["id", "code", "name", "kind", "fate", "family", "confidence"]


class PartySerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Party
        fields = [
            "id",
            "name",
            "credit_code",
            "region",
            "address",
            "industry_code",
            "industry",
            "roles",
            *Party.ROLE_FIELDS,
            "is_small_micro",
            "contact_name",
            "contact_phone",
            "is_active",
            "created_at",
        ]


@extend_schema_serializer(component_name="Party")
class PartyInputSerializer(InputSerializer):
    region = _region

    class Meta:
        model = Party
        fields = inputs.PARTY


class SiteSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    party_name = serializers.CharField(source="party.name", read_only=True)

    class Meta:
        model = Site
        fields = [
            "id",
            "party",
            "party_name",
            "name",
            "kind",
            "region",
            "address",
            "lon",
            "lat",
            "is_active",
        ]


@extend_schema_serializer(component_name="Site")
class SiteInputSerializer(InputSerializer):
    region = _region

    class Meta:
        model = Site
        fields = inputs.SITE


class FacilitySerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True)
    party = serializers.IntegerField(source="site.party_id", read_only=True)
    region = serializers.CharField(source="site.region.adcode", read_only=True)
    lon = serializers.DecimalField(
        source="site.lon", max_digits=9, decimal_places=6, read_only=True
    )
    lat = serializers.DecimalField(
        source="site.lat", max_digits=9, decimal_places=6, read_only=True
    )

    class Meta:
        model = Facility
        fields = [
            "id",
            "site",
            "site_name",
            "party",
            "region",
            "lon",
            "lat",
            "name",
            "kind",
            "status",
            "commissioned_on",
            "note",
        ]


@extend_schema_serializer(component_name="Facility")
class FacilityInputSerializer(InputSerializer):
    class Meta:
        model = Facility
        fields = inputs.FACILITY


class CapacitySerializer(serializers.ModelSerializer):
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    method = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = FacilityCapacity
        fields = [
            "id",
            "facility",
            "stream",
            "method",
            "tonnes_per_day",
            "tonnes_per_year",
            "valid_from",
            "valid_to",
            "source",
        ]


@extend_schema_serializer(component_name="Capacity")
class CapacityInputSerializer(InputSerializer):
    stream = _stream
    method = serializers.SlugRelatedField(slug_field="code", queryset=TreatmentMethod.objects.all())

    class Meta:
        model = FacilityCapacity
        fields = inputs.CAPACITY


class CodesField(serializers.ListField):
    """The ``code`` of each row of a prefetched list (read-only)."""

    child = serializers.CharField()

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, rows):
        return [row.code for row in rows]


class PermitSerializer(serializers.ModelSerializer):
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    categories = CodesField(source="category_rows")
    waste_codes = CodesField(source="waste_code_rows")
    effective_status = serializers.ChoiceField(
        choices=EffectivePermitStatus.choices, read_only=True
    )

    class Meta:
        model = Permit
        fields = [
            "id",
            "party",
            "facility",
            "kind",
            "number",
            "issuer",
            "stream",
            "categories",
            "waste_codes",
            "annual_tonnes",
            "valid_from",
            "valid_to",
            "status",
            "effective_status",
        ]


@extend_schema_serializer(component_name="Permit")
class PermitInputSerializer(InputSerializer):
    stream = _stream
    categories = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=WasteCategory.objects.all()
    )
    waste_codes = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, allow_empty=True
    )

    class Meta:
        model = Permit
        fields = inputs.PERMIT
        validators = []  # date order and uniqueness are the service's, with stable codes


class VehicleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vehicle
        fields = [
            "id",
            "party",
            "plate",
            "kind",
            "load_kg",
            "volume_m3",
            "is_sealed",
            "is_hazmat_certified",
            "gps_device",
            "is_active",
        ]


@extend_schema_serializer(component_name="Vehicle")
class VehicleInputSerializer(InputSerializer):
    class Meta:
        model = Vehicle
        fields = inputs.VEHICLE


class DeviceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Device
        fields = [
            "id",
            "party",
            "kind",
            "serial",
            "site",
            "model_name",
            "installed_on",
            "is_active",
        ]


@extend_schema_serializer(component_name="Device")
class DeviceInputSerializer(InputSerializer):
    class Meta:
        model = Device
        fields = inputs.DEVICE
