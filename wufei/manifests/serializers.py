"""API representations of manifests: what is answered, and what each request may carry.

Input serializers only parse and resolve references (to rows the actor may name); every
business rule is the service's. Counterparties come from ``selectors.counterparties``: a
party that may not be named answers exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from wufei.core.api import ScopedRelatedField
from wufei.core.errors import Invalid
from wufei.manifests import selectors
from wufei.manifests.flows import FLOWS, flow_choices
from wufei.manifests.models import Manifest, ManifestItem, ManifestRevision
from wufei.manifests.services import ManifestInput
from wufei.registry.models import Facility, Party, Site, TreatmentMethod, Vehicle, WasteStream
from wufei.registry.services import resolve_waste_codes
from wufei.trace.choices import ContainerKind
from wufei.trace.models import LedgerEvent
from wufei.trace.services import NewContainer


def _mass(**kwargs) -> serializers.DecimalField:
    """A mass in kilograms, gram precision, sent and answered as a string."""
    return serializers.DecimalField(max_digits=14, decimal_places=3, **kwargs)


# --- answers -----------------------------------------------------------------------------


class PartyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


def _user_name(user) -> str | None:
    return (user.get_full_name() or user.username) if user is not None else None


class ManifestSerializer(serializers.ModelSerializer):
    flow_name = serializers.SerializerMethodField()
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    waste_code = serializers.SlugRelatedField(slug_field="code", read_only=True)
    generator = PartyRefSerializer(read_only=True)
    transporter = PartyRefSerializer(read_only=True)
    receiver = PartyRefSerializer(read_only=True)
    generator_site_name = serializers.CharField(
        source="generator_site.name", read_only=True, default=None
    )
    receiver_facility_name = serializers.CharField(
        source="receiver_facility.name", read_only=True, default=None
    )
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    receiver_region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    vehicle_plate = serializers.CharField(source="vehicle.plate", read_only=True, default=None)
    driver_name = serializers.SerializerMethodField()
    method = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Manifest
        fields = [
            "id",
            "number",
            "flow",
            "flow_name",
            "version",
            "state",
            "state_label",
            "stream",
            "waste_code",
            "description",
            "generator",
            "generator_site",
            "generator_site_name",
            "region",
            "transporter",
            "receiver",
            "receiver_facility",
            "receiver_facility_name",
            "receiver_region",
            "vehicle_plate",
            "driver_name",
            "declared_kg",
            "pickup_kg",
            "received_kg",
            "accepted_kg",
            "rejection_reason",
            "method",
            "note",
            "created_at",
            "submitted_at",
            "picked_up_at",
            "departed_at",
            "received_at",
            "completed_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    def get_flow_name(self, m: Manifest) -> str:
        return str(FLOWS[m.flow].name)

    @extend_schema_field(OpenApiTypes.STR)
    def get_driver_name(self, m: Manifest) -> str | None:
        return _user_name(m.driver)


class ManifestItemSerializer(serializers.ModelSerializer):
    container = serializers.CharField(source="container.code", read_only=True)
    # Plain text, not an enum: the container kinds' enum belongs to the trace API.
    kind = serializers.CharField(source="container.kind", read_only=True)
    kind_label = serializers.CharField(source="container.get_kind_display", read_only=True)
    waste_code = serializers.CharField(
        source="container.waste_code.code", read_only=True, default=None
    )

    class Meta:
        model = ManifestItem
        fields = ["container", "kind", "kind_label", "waste_code", "mass_kg"]


class SignatureSerializer(serializers.ModelSerializer):
    # Declared, not derived: the derived bound of a PositiveIntegerField depends on the
    # database (SQLite's integers are 64-bit), and the published schema must not.
    seq = serializers.IntegerField(read_only=True, min_value=1, help_text=_("序号"))
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.SerializerMethodField()
    party = serializers.CharField(source="party.name", read_only=True, default=None)

    class Meta:
        model = LedgerEvent
        fields = ["seq", "kind", "kind_label", "at", "actor", "party", "hash", "prev_hash"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event: LedgerEvent) -> str | None:
        return event.actor.username if event.actor else None


class RevisionSerializer(serializers.ModelSerializer):
    manifest = serializers.SlugRelatedField(slug_field="number", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ManifestRevision
        fields = [
            "id",
            "manifest",
            "version",
            "status",
            "status_label",
            "changes",
            "reason",
            "content_hash",
            "proposed_by",
            "proposed_at",
            "approvals",
            "decided_at",
        ]
        read_only_fields = fields


class ManifestDetailSerializer(ManifestSerializer):
    items = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    revisions = serializers.SerializerMethodField()
    signing_code = serializers.SerializerMethodField(
        help_text=_("起运交接码：仅移出单位用户在联单已提交待起运时可见，否则为空")
    )

    class Meta(ManifestSerializer.Meta):
        fields = [*ManifestSerializer.Meta.fields, "items", "events", "revisions", "signing_code"]
        read_only_fields = fields

    @extend_schema_field(ManifestItemSerializer(many=True))
    def get_items(self, m: Manifest):
        return ManifestItemSerializer(selectors.manifest_items(m), many=True).data

    @extend_schema_field(SignatureSerializer(many=True))
    def get_events(self, m: Manifest):
        return SignatureSerializer(selectors.manifest_events(m), many=True).data

    @extend_schema_field(RevisionSerializer(many=True))
    def get_revisions(self, m: Manifest):
        return RevisionSerializer(selectors.manifest_revisions(m), many=True).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_signing_code(self, m: Manifest) -> str | None:
        request = self.context.get("request")
        return selectors.signing_code_for(actor=request.user, m=m) if request else None


# --- requests ----------------------------------------------------------------------------


class WasteCodeField(serializers.CharField):
    """A national-list waste code as text, resolved to the catalogue row in force today."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if not text:
            return None
        today = timezone.localdate()
        try:
            return resolve_waste_codes([text], start=today, end=today, field=self.field_name)[0]
        except Invalid as exc:
            raise serializers.ValidationError(str(exc.message), code=exc.code) from None

    def to_representation(self, value):
        return value.code if value is not None else None


def _counterparties(field: serializers.Field, signer: str):
    """The parties the request's flow may name as ``signer`` (none for an unknown flow)."""
    data = getattr(field.root, "initial_data", None)
    flow = data.get("flow") if isinstance(data, Mapping) else None
    if not isinstance(flow, str) or flow not in FLOWS:
        return Party.objects.none()
    return selectors.counterparties(flow_key=flow, signer=signer)


class CounterpartyField(serializers.PrimaryKeyRelatedField):
    """A transporter or receiver by id, among the parties the request's flow may name."""

    def __init__(self, signer: str, **kwargs):
        self.signer = signer
        super().__init__(queryset=Party.objects.all(), **kwargs)

    def get_queryset(self):
        return _counterparties(self, self.signer)


class ReceiverFacilityField(serializers.PrimaryKeyRelatedField):
    """A facility of a party the flow may name as receiver (the service checks that it is
    the named receiver's)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Facility.objects.all(), **kwargs)

    def get_queryset(self):
        receivers = _counterparties(self, "receiver").order_by().values("pk")
        return Facility.objects.filter(site__party__in=receivers)


class ContainerInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContainerKind.choices)
    mass_kg = _mass(help_text=_("质量（千克）"))
    waste_code = WasteCodeField(help_text=_("废物代码；不填则用联单的废物代码"))
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ManifestCreateSerializer(serializers.Serializer):
    flow = serializers.ChoiceField(choices=flow_choices())
    stream = serializers.SlugRelatedField(
        slug_field="code",
        queryset=WasteStream.objects.all(),
        help_text=_("废物类别代码（如 hazardous）"),
    )
    waste_code = WasteCodeField(help_text=_("废物代码（如 900-041-49），按今日有效的名录解析"))
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    generator_site = ScopedRelatedField(
        queryset=Site.objects.all(), required=False, allow_null=True
    )
    transporter = CounterpartyField("transporter", help_text=_("持有本类联单运输资质的单位"))
    receiver = CounterpartyField("receiver", help_text=_("持有本类联单接收许可的单位"))
    receiver_facility = ReceiverFacilityField(required=False, allow_null=True)
    containers = serializers.ListField(
        child=ContainerInputSerializer(), required=False, default=list
    )
    carry = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        default=list,
        help_text=_("已在本单位的容器追溯码"),
    )
    submit = serializers.BooleanField(
        required=False, default=False, help_text=_("为真则填报后立即提交")
    )

    def manifest_input(self, *, idempotency_key: str = "") -> ManifestInput:
        """The service's input from the validated request."""
        v = self.validated_data
        return ManifestInput(
            flow=v["flow"],
            stream=v["stream"],
            waste_code=v.get("waste_code"),
            description=v.get("description", ""),
            note=v.get("note", ""),
            generator_site=v.get("generator_site"),
            transporter=v["transporter"],
            receiver=v["receiver"],
            receiver_facility=v.get("receiver_facility"),
            containers=[
                NewContainer(
                    kind=c["kind"],
                    stream=v["stream"],
                    mass_kg=c["mass_kg"],
                    waste_code=c.get("waste_code"),
                    description=c.get("description", ""),
                )
                for c in v["containers"]
            ],
            carry=v["carry"],
            idempotency_key=idempotency_key,
        )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True)


class PickUpSerializer(serializers.Serializer):
    signing_code = serializers.CharField(max_length=12, help_text=_("移出单位出示的交接码"))
    pickup_kg = _mass(help_text=_("起运量（千克）"))
    vehicle = serializers.PrimaryKeyRelatedField(
        queryset=Vehicle.objects.all(), help_text=_("运输单位的车辆")
    )

    def __init__(self, *args, manifest: Manifest | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        vehicles = Vehicle.objects.filter(party_id=manifest.transporter_id if manifest else None)
        self.fields["vehicle"].queryset = vehicles


class ReceiveSerializer(serializers.Serializer):
    received_kg = _mass(help_text=_("接收过磅量（千克）"))
    accepted_kg = _mass(
        required=False, allow_null=True, help_text=_("接收量（千克）；不填则等于过磅量")
    )
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("部分接收或拒收的原因")
    )


class CompleteSerializer(serializers.Serializer):
    method = serializers.SlugRelatedField(
        slug_field="code",
        queryset=TreatmentMethod.objects.all(),
        help_text=_("利用处置方式代码（如 D10）"),
    )


class CorrectionSerializer(serializers.Serializer):
    changes = serializers.DictField(help_text=_("要更正的字段及新值"))
    reason = serializers.CharField(max_length=200, allow_blank=True)
