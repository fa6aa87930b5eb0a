"""API routes of the trace app: (prefix, viewset) pairs registered by wufei/urls.py.

``/api/v1/trace/{code}/forward/`` and ``…/backward/`` (a container code, or for backward a
manifest number) answer the trace of what the caller may see; ``…/public/`` answers the
non-confidential view of a label to anyone.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from wufei.core.api import ErrorSerializer
from wufei.trace import selectors
from wufei.trace.models import Container


def _kg(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=3, **kwargs)


class NodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    stream = serializers.CharField()
    stream_name = serializers.CharField()
    waste_code = serializers.CharField()
    waste_code_name = serializers.CharField()
    mass_kg = _kg()
    state = serializers.CharField()
    state_label = serializers.CharField()
    origin_id = serializers.IntegerField()
    origin_name = serializers.CharField()
    holder_id = serializers.IntegerField()
    holder_name = serializers.CharField()
    region = serializers.CharField(help_text=_("县级区划名称"))
    parent_code = serializers.CharField()
    method_code = serializers.CharField()
    method_name = serializers.CharField()
    fate = serializers.CharField()
    fate_label = serializers.CharField()
    facility_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)
    role = serializers.ChoiceField(choices=[selectors.CONTENT, selectors.CARRIER])
    depth = serializers.IntegerField()


class EdgeSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    mass_kg = _kg()
    at = serializers.DateTimeField()


class LegSerializer(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()
    label = serializers.CharField()
    from_party = serializers.CharField()
    from_party_id = serializers.IntegerField(allow_null=True)
    to_party = serializers.CharField()
    to_party_id = serializers.IntegerField(allow_null=True)
    via_party = serializers.CharField(help_text=_("运输单位"))
    via_party_id = serializers.IntegerField(allow_null=True)
    from_region = serializers.CharField()
    to_region = serializers.CharField()
    from_lon = serializers.FloatField(allow_null=True)
    from_lat = serializers.FloatField(allow_null=True)
    to_lon = serializers.FloatField(allow_null=True)
    to_lat = serializers.FloatField(allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    declared_kg = _kg(allow_null=True)
    pickup_kg = _kg(allow_null=True)
    received_kg = _kg(allow_null=True)
    accepted_kg = _kg(allow_null=True)
    method_code = serializers.CharField()
    method_name = serializers.CharField()
    fate = serializers.CharField()
    fate_label = serializers.CharField()
    url = serializers.CharField()
    containers = serializers.ListField(child=serializers.CharField())


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    chain = serializers.CharField()
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    party = serializers.CharField()
    payload = serializers.JSONField()
    hash = serializers.CharField()


class TraceSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[selectors.FORWARD, selectors.BACKWARD])
    start = serializers.ListField(child=serializers.CharField())
    nodes = NodeSerializer(many=True)
    edges = EdgeSerializer(many=True)
    legs = LegSerializer(many=True)
    events = EventSerializer(many=True)
    destinations = NodeSerializer(many=True)
    sources = NodeSerializer(many=True)
    truncated = serializers.BooleanField()


class PublicItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind_label = serializers.CharField()
    stream_name = serializers.CharField()
    waste_code = serializers.CharField()
    waste_code_name = serializers.CharField()
    mass_kg = serializers.IntegerField(help_text=_("千克，取整"))
    region = serializers.CharField()
    state_label = serializers.CharField()
    fate_label = serializers.CharField()
    method_name = serializers.CharField()
    date = serializers.CharField()


class PublicLegSerializer(serializers.Serializer):
    label = serializers.CharField()
    from_region = serializers.CharField()
    to_region = serializers.CharField()
    state_label = serializers.CharField()
    started_on = serializers.CharField()
    ended_on = serializers.CharField()
    mass_kg = serializers.IntegerField(allow_null=True)
    method_name = serializers.CharField()
    fate_label = serializers.CharField()


class PublicStepSerializer(serializers.Serializer):
    kind_label = serializers.CharField()
    date = serializers.CharField()


class PublicTraceSerializer(serializers.Serializer):
    item = PublicItemSerializer()
    legs = PublicLegSerializer(many=True)
    steps = PublicStepSerializer(many=True)
    destinations = PublicItemSerializer(many=True)


CODE = OpenApiParameter(
    "code",
    str,
    OpenApiParameter.PATH,
    description=_("追溯码（可粘贴标签网址）；反向追溯也可为联单编号"),
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, _("不存在或您无权查看"))
DENIED = {
    401: OpenApiResponse(ErrorSerializer, _("未登录，或 API 令牌无效")),
    403: OpenApiResponse(ErrorSerializer, _("无权执行此操作")),
}
TAGS = [str(_("追溯"))]


class TraceViewSet(viewsets.ViewSet):
    """Forward and backward traces of a container (or of a manifest's load)."""

    scoped_model = Container
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    def get_permissions(self):
        if self.action == "public":
            return [permissions.AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        if self.action == "public":
            return [AnonRateThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="trace_forward",
        summary=_("正向追溯：去向与最终去向"),
        description=_("正向追溯：去向与最终去向"),
        parameters=[CODE],
        responses={200: TraceSerializer, **DENIED, 404: NOT_FOUND},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"])
    def forward(self, request, code: str):
        trace = selectors.trace_forward(actor=request.user, code=code)
        return Response(TraceSerializer(trace).data)

    @extend_schema(
        operation_id="trace_backward",
        summary=_("反向追溯：来源（容器追溯码或联单编号）"),
        description=_("反向追溯：来源（容器追溯码或联单编号）"),
        parameters=[CODE],
        responses={200: TraceSerializer, **DENIED, 404: NOT_FOUND},
        tags=TAGS,
    )
    @action(detail=True, methods=["get"])
    def backward(self, request, code: str):
        trace = selectors.trace_backward(actor=request.user, code=code)
        return Response(TraceSerializer(trace).data)

    @extend_schema(
        operation_id="trace_public",
        summary=_("公众查询：标签的非涉密去向信息"),
        description=_("公众查询：标签的非涉密去向信息"),
        parameters=[CODE],
        responses={200: PublicTraceSerializer, 404: NOT_FOUND},
        tags=TAGS,
        auth=[],
    )
    @action(detail=True, methods=["get"])
    def public(self, request, code: str):
        return Response(PublicTraceSerializer(selectors.trace_public(code)).data)


ROUTES: list = [("trace", TraceViewSet)]
