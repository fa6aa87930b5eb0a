"""REST endpoints of the device stream under ``/api/v1/iot/``.

``POST /api/v1/iot/ingest/<kind>/`` takes the same messages as MQTT from devices that cannot
speak it: one payload object or an array of up to 1,000, authenticated by a device token
(``Authorization: Token <key>``, an API token bound to the device). Each message goes through the
same intake; the answer lists, per message, accepted / duplicate / quarantined with its reason
code, field and Chinese message. ``GET …/schemas/`` gives the JSON Schemas of the contracts.
Read-only lists of readings and of the quarantine serve the departments' systems.
"""

from __future__ import annotations

import msgspec
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from wufei.accounts.authentication import ApiTokenAuthentication
from wufei.core.api import ErrorSerializer, ScopedReadOnlyViewSet
from wufei.core.errors import WufeiError
from wufei.iot import contracts
from wufei.iot.choices import Channel, QuarantineReason
from wufei.iot.intake import Incoming, Intake
from wufei.iot.models import Deposit, FillLevel, GpsFix, QuarantinedMessage, WeighTicket

MAX_MESSAGES = 1000


class DeviceTokenRequired(WufeiError):
    code = "device_token_required"
    status = 401


class RawJSONParser(parsers.BaseParser):
    """Keep the body as bytes: the intake decodes and validates it, and keeps it if refused."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


class OutcomeSerializer(serializers.Serializer):
    id = serializers.CharField(source="message_id")
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "quarantined"])
    code = serializers.CharField(source="reason")
    field = serializers.CharField()
    message = serializers.SerializerMethodField()
    detail = serializers.CharField()

    def get_message(self, outcome) -> str:
        if not outcome.reason:
            return ""
        return str(QuarantineReason(outcome.reason).label)


class IngestResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    quarantined = serializers.IntegerField()
    results = OutcomeSerializer(many=True, source="outcomes")


def _split(body: bytes) -> list[bytes] | None:
    """The payloads in a body (one object or an array); None if the body is not JSON."""
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    if isinstance(decoded, list):
        return [msgspec.json.encode(item) for item in decoded]
    return [body]


class IngestViewSet(viewsets.ViewSet):
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [AllowAny]  # the device token is checked below, per message
    parser_classes = [RawJSONParser]

    def _device(self, request):
        token = getattr(request, "api_token", None)
        if token is None or token.device_id is None:
            raise DeviceTokenRequired(_("需要设备令牌：请求头 “Authorization: Token <密钥>”。"))
        return token.device

    @extend_schema(
        summary="设备报文上报（HTTP）",
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                OpenApiParameter.PATH,
                enum=list(contracts.CONTRACTS),
                description="报文类型",
            )
        ],
        request=OpenApiTypes.OBJECT,
        responses={200: IngestResultSerializer, 400: ErrorSerializer, 401: ErrorSerializer},
    )
    @action(detail=False, methods=["post"], url_path=r"(?P<kind>weigh|gps|fill|deposit)")
    def post(self, request, kind: str):
        device = self._device(request)
        topic = contracts.topic_for(kind, device.serial)
        body = request.data if isinstance(request.data, bytes) else b""
        payloads = _split(body)
        received_at = timezone.now()
        if payloads is not None and len(payloads) > MAX_MESSAGES:
            raise WufeiError(
                _("一次最多上报 %(n)d 条报文。") % {"n": MAX_MESSAGES}, code="too_many_messages"
            )
        messages = [
            Incoming(topic, payload, received_at, Channel.HTTP, device.pk)
            for payload in (payloads if payloads is not None else [body])
        ]
        result = Intake().store(messages)
        code = status.HTTP_200_OK if payloads is not None else status.HTTP_400_BAD_REQUEST
        return Response(IngestResultSerializer(result).data, status=code)

    @extend_schema(summary="报文格式（JSON Schema）", responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"], authentication_classes=[], permission_classes=[AllowAny])
    def schemas(self, request):
        return Response(contracts.json_schemas())


def _reading_serializer(reading_model, extra: list[str], **declared):
    class Meta:
        model = reading_model
        fields = ["id", "device", "message_id", "measured_at", "received_at", *extra]

    return type(
        f"{reading_model.__name__}Serializer",
        (serializers.ModelSerializer,),
        {"Meta": Meta, **declared},
    )


class WeighTicketViewSet(ScopedReadOnlyViewSet):
    scoped_model = WeighTicket
    serializer_class = _reading_serializer(
        WeighTicket,
        ["site", "plate", "vehicle", "direction", "gross_kg", "tare_kg", "net_kg",
         "manifest_number", "container_code", "manifest", "link_status", "link_note"],
    )  # fmt: skip


class GpsFixViewSet(ScopedReadOnlyViewSet):
    scoped_model = GpsFix
    serializer_class = _reading_serializer(
        GpsFix,
        ["vehicle", "lat", "lon", "speed_kmh", "heading"],
        # declared: a SmallIntegerField's bounds differ between SQLite and PostgreSQL
        heading=serializers.IntegerField(read_only=True, allow_null=True),
    )


class FillLevelViewSet(ScopedReadOnlyViewSet):
    scoped_model = FillLevel
    serializer_class = _reading_serializer(
        FillLevel, ["site", "bin_code", "percent", "temperature_c"]
    )


class DepositViewSet(ScopedReadOnlyViewSet):
    scoped_model = Deposit
    serializer_class = _reading_serializer(
        Deposit, ["site", "bin_code", "household_code", "waste_class", "weight_kg"]
    )


class QuarantineSerializer(serializers.ModelSerializer):
    payload = serializers.SerializerMethodField()

    class Meta:
        model = QuarantinedMessage
        fields = ["id", "channel", "topic", "payload", "received_at", "reason", "field", "detail",
                  "serial", "device", "status", "handled_at", "note"]  # fmt: skip

    def get_payload(self, item) -> str:
        return item.text


class QuarantineViewSet(ScopedReadOnlyViewSet):
    scoped_model = QuarantinedMessage
    ordering = ("-received_at", "-id")
    serializer_class = QuarantineSerializer


ROUTES = [
    ("iot/ingest", IngestViewSet),
    ("iot/weigh-tickets", WeighTicketViewSet),
    ("iot/gps-fixes", GpsFixViewSet),
    ("iot/fill-levels", FillLevelViewSet),
    ("iot/deposits", DepositViewSet),
    ("iot/quarantine", QuarantineViewSet),
]
