"""REST endpoints of the task ledger under ``/api/v1/plan/``: read-only tasks, milestones and
supervision notices, and progress reports (list, detail, create — multipart for attachments).

Visibility is the ledger selectors' (declared scope, or a unit the actor acts for); the gate
is "an official", because bureaus report for their unit whatever streams they regulate, and
the services decide the rest (``unit_not_responsible``, ``report_future_month`` …).
"""

from __future__ import annotations

import django_filters as df
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.core.api import ScopedQuerysetMixin
from wufei.core.filters import IdFilter
from wufei.plan import ledger_services, selectors
from wufei.plan.choices import (
    MilestoneStatus,
    NoticeLevel,
    NoticeStatus,
    ReportStatus,
    TaskStatus,
)
from wufei.plan.models import Milestone, Notice, ProgressReport, Task

OFFICIALS = {Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL, Role.DEPARTMENT_OFFICIAL}


class OfficialsOnly(permissions.BasePermission):
    message = _("您无权执行此操作。")
    code = "not_permitted"

    def has_permission(self, request, view) -> bool:
        if not request.user.is_authenticated:
            from rest_framework.exceptions import NotAuthenticated

            raise NotAuthenticated(_("请先登录或提供有效的 API 令牌。"))
        return role_of(request.user) in OFFICIALS


class TaskFilterSet(df.FilterSet):
    ledger = IdFilter(label=_("台账"))
    status = df.ChoiceFilter(label=_("状态"), choices=TaskStatus.choices)
    lead_unit = IdFilter(label=_("牵头单位"))

    class Meta:
        model = Task
        fields = ["ledger", "status", "lead_unit"]


class MilestoneFilterSet(df.FilterSet):
    task = IdFilter(label=_("任务"))
    unit = IdFilter(label=_("责任单位"))
    status = df.ChoiceFilter(label=_("状态"), choices=MilestoneStatus.choices)
    due_from = df.DateFilter(label=_("完成时限自"), field_name="due_on", lookup_expr="gte")
    due_to = df.DateFilter(label=_("至"), field_name="due_on", lookup_expr="lte")

    class Meta:
        model = Milestone
        fields = ["task", "unit", "status", "due_from", "due_to"]


class NoticeFilterSet(df.FilterSet):
    unit = IdFilter(label=_("被督办单位"))
    status = df.ChoiceFilter(label=_("状态"), choices=NoticeStatus.choices)
    level = df.TypedChoiceFilter(label=_("督办等级"), choices=NoticeLevel.choices, coerce=int)

    class Meta:
        model = Notice
        fields = ["unit", "status", "level"]


class ReportFilterSet(df.FilterSet):
    milestone = IdFilter(label=_("节点"))
    unit = IdFilter(label=_("报送单位"))
    status = df.ChoiceFilter(label=_("状态"), choices=ReportStatus.choices)
    period = df.DateFilter(label=_("报送月份"))

    class Meta:
        model = ProgressReport
        fields = ["milestone", "unit", "status", "period"]


class PlanTaskSerializer(serializers.ModelSerializer):
    area = serializers.StringRelatedField()
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Task
        fields = [
            "id", "ledger", "area", "parent", "number", "title", "text", "source", "lead_unit",
            "lead_unit_name", "units", "counties", "starts_on", "ends_on", "status",
            "status_display",
        ]  # fmt: skip


class PlanMilestoneSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    # declared: the model's small/positive integer bounds differ between SQLite and PostgreSQL
    weight = serializers.IntegerField(read_only=True)

    class Meta:
        model = Milestone
        fields = [
            "id", "task", "title", "unit", "unit_name", "due_on", "weight", "indicator",
            "target", "status", "done_on",
        ]  # fmt: skip


class PlanNoticeSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    # declared: the model's small/positive integer bounds differ between SQLite and PostgreSQL
    level = serializers.ChoiceField(choices=NoticeLevel.choices, read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id", "number", "unit", "task", "milestone", "reason", "level", "level_display",
            "text", "issued_at", "deadline", "status", "answered_at", "answer", "parent",
            "closed_at",
        ]  # fmt: skip


class PlanReportSerializer(serializers.ModelSerializer):
    files = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id", "milestone", "unit", "period", "text", "figures", "claims_done", "status",
            "submitted_at", "reviewed_at", "review_note", "files",
        ]  # fmt: skip

    def get_files(self, obj) -> list[dict]:
        return [{"id": f.pk, "name": f.name, "size": f.size} for f in obj.files.all()]


class PlanReportInputSerializer(serializers.Serializer):
    milestone = serializers.IntegerField()
    unit = serializers.IntegerField()
    period = serializers.DateField(help_text=_("该月任一天"))
    text = serializers.CharField()
    figures = serializers.JSONField(required=False, default=list)
    claims_done = serializers.BooleanField(required=False, default=False)
    files = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class _Ledger(ScopedQuerysetMixin, viewsets.GenericViewSet):
    permission_classes = [OfficialsOnly]
    writable = False


class TaskViewSet(_Ledger, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Tasks of the ledgers the actor may see (the plan's 25, sub-tasks, county tasks)."""

    scoped_model = Task
    serializer_class = PlanTaskSerializer
    filterset_class = TaskFilterSet

    def get_queryset(self):
        return (
            selectors.task_list(actor=self.request.user)
            .prefetch_related("units", "counties")
            .order_by("ledger_id", "id")
        )


class MilestoneViewSet(_Ledger, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    scoped_model = Milestone
    serializer_class = PlanMilestoneSerializer
    filterset_class = MilestoneFilterSet

    def get_queryset(self):
        tasks = selectors.task_list(actor=self.request.user).values("pk")
        return (
            Milestone.objects.filter(task__in=tasks).select_related("unit").order_by("due_on", "id")
        )


class NoticeViewSet(_Ledger, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    scoped_model = Notice
    serializer_class = PlanNoticeSerializer
    filterset_class = NoticeFilterSet

    def get_queryset(self):
        return selectors.notice_list(actor=self.request.user).order_by("-issued_at", "-id")


class ProgressReportViewSet(
    _Ledger, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin
):
    """Progress reports; a responsible unit files one per milestone and month."""

    scoped_model = ProgressReport
    serializer_class = PlanReportSerializer
    filterset_class = ReportFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    writable = True

    def get_queryset(self):
        return selectors.report_list(actor=self.request.user).order_by("-period", "-id")

    @extend_schema(request=PlanReportInputSerializer, responses={201: PlanReportSerializer})
    def create(self, request, *args, **kwargs):
        data = PlanReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        tasks = selectors.task_list(actor=request.user).values("pk")
        milestone = Milestone.objects.filter(pk=values.pop("milestone"), task__in=tasks).first()
        if milestone is None:
            raise ledger_services.invalid(
                "milestone", "does_not_exist", str(_("节点不存在或您无权查看。"))
            )
        report = ledger_services.report_submit(
            actor=request.user, milestone=milestone, now=timezone.now(), **values
        )
        return Response(PlanReportSerializer(report).data, status=status.HTTP_201_CREATED)


ROUTES = [
    ("plan/tasks", TaskViewSet),
    ("plan/milestones", MilestoneViewSet),
    ("plan/notices", NoticeViewSet),
    ("plan/reports", ProgressReportViewSet),
]
