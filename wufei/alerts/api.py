"""REST endpoints of alerts under ``/api/v1/alerts/``: the scoped list with filters, the
detail with its trail, and acknowledge / comment / resolve (thin: the services decide).

The FilterSet here serves the alert page too.
"""

from __future__ import annotations

import django_filters as df
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wufei.alerts import selectors, services
from wufei.alerts.choices import AlertStatus, Rule, Severity
from wufei.alerts.models import Alert, AlertAction
from wufei.core.api import ScopedQuerysetMixin
from wufei.registry.filtersets import RegionFilter
from wufei.registry.models import WasteStream

# Where an alert's subject is shown, by subject type (paths of other apps' pages).
SUBJECT_PATHS = {
    "manifest": lambda alert: f"/manifests/{alert.subject_id}/",
    "manifest_stop": lambda alert: f"/manifests/{alert.subject_id.split('@')[0]}/",
    "container": lambda alert: f"/t/{alert.subject_label}",
    "device": lambda alert: reverse("registry:device_detail", args=[alert.subject_id]),
    "bin": lambda alert: reverse("registry:site_detail", args=[alert.subject_id.split(":")[0]]),
}


def subject_url(alert: Alert) -> str | None:
    path = SUBJECT_PATHS.get(alert.subject_type)
    return path(alert) if path is not None else None


class AlertFilterSet(df.FilterSet):
    rule = df.ChoiceFilter(label=_("规则"), choices=Rule.choices)
    status = df.ChoiceFilter(label=_("状态"), choices=AlertStatus.choices)
    severity = df.ChoiceFilter(label=_("级别"), choices=Severity.choices)
    region = RegionFilter("region")
    stream = df.ModelChoiceFilter(
        label=_("废物类别"), queryset=WasteStream.objects.all(), to_field_name="code"
    )
    opened_from = df.DateFilter(
        label=_("发现日期自"), field_name="opened_at__date", lookup_expr="gte"
    )
    opened_to = df.DateFilter(label=_("至"), field_name="opened_at__date", lookup_expr="lte")
    subject_type = df.CharFilter(label=_("对象类型"), widget=df.widgets.forms.HiddenInput)
    subject_id = df.CharFilter(label=_("对象编号"), widget=df.widgets.forms.HiddenInput)

    class Meta:
        model = Alert
        fields = [
            "rule",
            "status",
            "severity",
            "region",
            "stream",
            "opened_from",
            "opened_to",
            "subject_type",
            "subject_id",
        ]


class AlertActionSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = AlertAction
        fields = ["at", "action", "actor", "note"]

    def get_actor(self, obj) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class AlertSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    party_name = serializers.CharField(source="party.name", read_only=True, default=None)
    rule_display = serializers.CharField(source="get_rule_display", read_only=True)
    subject_url = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_display",
            "severity",
            "status",
            "subject_type",
            "subject_id",
            "subject_label",
            "subject_url",
            "party",
            "party_name",
            "region",
            "stream",
            "message",
            "details",
            "opened_at",
            "resolved_at",
        ]

    def get_subject_url(self, obj) -> str | None:
        return subject_url(obj)


class AlertDetailSerializer(AlertSerializer):
    actions = serializers.SerializerMethodField()

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "actions"]

    def get_actions(self, obj) -> list[dict]:
        return AlertActionSerializer(selectors.alert_actions(obj), many=True).data


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class CommentSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300)


class AlertViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Alerts the actor may see; acknowledging, commenting and resolving need the right to
    change them (officials in scope, the responsible party's enterprise users)."""

    scoped_model = Alert
    ordering = ("-opened_at", "-pk")
    select_related = ("party", "region", "stream")
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet

    def get_serializer_class(self):
        return AlertDetailSerializer if self.action != "list" else AlertSerializer

    def _act(self, service, input_class):
        alert = self.get_object()
        data = input_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        service(actor=self.request.user, alert=alert, note=data.validated_data["note"])
        return Response(AlertDetailSerializer(self.get_object()).data)

    @extend_schema(request=NoteSerializer, responses={200: AlertDetailSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Acknowledge: someone is on it."""
        return self._act(services.alert_acknowledge, NoteSerializer)

    @extend_schema(request=CommentSerializer, responses={200: AlertDetailSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """Add a note to the trail."""
        return self._act(services.alert_comment, CommentSerializer)

    @extend_schema(request=NoteSerializer, responses={200: AlertDetailSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve: the matter is settled."""
        return self._act(services.alert_resolve, NoteSerializer)


ROUTES = [("alerts", AlertViewSet)]
