"""REST endpoints of residents' reports under ``/api/v1/cases/reports``.

Public, without an account: ``POST`` files a report (the same checks as the phone page; the
page's human check is replaced by the per-address rate limit, 5 an hour and 20 a day, which
answers 429 with ``Retry-After``), ``GET {code}`` reads its public view, ``POST {code}/rate``
rates the answer. Officials: the scoped list and the transitions (assign, handle, answer,
reject), through the same services as the pages.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from wufei.accounts.models import Department
from wufei.cases import report_selectors as selectors
from wufei.cases import reports as services
from wufei.cases.human_check import client_key
from wufei.cases.models import Report, ReportKind
from wufei.cases.report_forms import ReportFilterSet
from wufei.core.api import ErrorSerializer, ScopedQuerysetMixin, ScopedRelatedField
from wufei.core.errors import NotFound
from wufei.registry.models import Party

PUBLIC_ACTIONS = frozenset({"create", "retrieve", "rate"})


class ResidentReportSerializer(serializers.ModelSerializer):
    """A report as officials see it."""

    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    photo_url = serializers.SerializerMethodField()
    # Declared: small integer model fields have database-specific bounds in the schema.
    escalations = serializers.IntegerField(read_only=True, label=_("督办次数"))

    class Meta:
        model = Report
        fields = [
            "id",
            "code",
            "kind",
            "description",
            "lon",
            "lat",
            "address",
            "region",
            "stream",
            "department",
            "assigned_party",
            "contact_masked",
            "stage",
            "created_at",
            "stage_since",
            "due_at",
            "escalations",
            "alert",
            "answer",
            "rating",
            "rating_comment",
            "closed_at",
            "photo_url",
        ]

    def get_photo_url(self, obj) -> str | None:
        return reverse("reports:photo", args=[obj.pk]) if obj.photo else None


class ResidentReportEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    label = serializers.CharField()
    stage_label = serializers.CharField()
    note = serializers.CharField()


class ResidentReportPublicSerializer(serializers.Serializer):
    """What anyone holding the code may read: no coordinates, phone or source key."""

    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    kind_label = serializers.CharField()
    stage = serializers.CharField()
    stage_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    place = serializers.CharField()
    description = serializers.CharField()
    department = serializers.CharField()
    answer = serializers.CharField()
    rating = serializers.IntegerField(allow_null=True)
    rating_comment = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    events = ResidentReportEventSerializer(many=True)
    follow_url = serializers.SerializerMethodField()

    def get_follow_url(self, obj) -> str:
        return reverse("report-public:follow", args=[obj.code])


class ResidentReportInput(serializers.Serializer):
    """A resident's report; the service checks every field (codes: kind_invalid, required,
    too_long, no_place, place_invalid, outside_city, phone_invalid, photo_type,
    photo_too_large) and the rate limit (throttled, 429)."""

    kind = serializers.ChoiceField(choices=ReportKind.choices, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    lon = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    lat = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True)
    contact = serializers.CharField(required=False, allow_blank=True)
    photo = serializers.FileField(required=False, allow_null=True)


class ReportAssignInput(serializers.Serializer):
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.all(), required=False, allow_null=True
    )
    party = ScopedRelatedField(queryset=Party.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)


class ReportHandleInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)
    photo = serializers.FileField(required=False, allow_null=True)


class ReportAnswerInput(serializers.Serializer):
    answer = serializers.CharField(required=False, allow_blank=True)


class ReportRejectInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class ReportRateInput(serializers.Serializer):
    rating = serializers.IntegerField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True)


CODE = OpenApiParameter("code", str, OpenApiParameter.PATH, description=_("举报查询码"))
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, _("提交的数据有误（见 field、code、errors）")),
    404: OpenApiResponse(ErrorSerializer, _("查询码不存在或您无权查看")),
    409: OpenApiResponse(ErrorSerializer, _("当前环节不能执行此操作（invalid_transition）")),
}
OFFICIAL_ERRORS = {
    **ERRORS,
    401: OpenApiResponse(ErrorSerializer, _("未登录，或 API 令牌无效")),
    403: OpenApiResponse(ErrorSerializer, _("无权办理该举报")),
}
TAGS = [str(_("群众举报"))]


def _transition(summary, request_serializer):
    return extend_schema(
        summary=summary,
        description=summary,
        parameters=[CODE],
        request=request_serializer,
        responses={200: ResidentReportSerializer, **OFFICIAL_ERRORS},
        tags=TAGS,
    )


class ReportViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Residents' reports by their follow code."""

    scoped_model = Report
    ordering = ("-created_at", "-pk")
    select_related = ("region", "stream", "department")
    serializer_class = ResidentReportSerializer
    filterset_class = ReportFilterSet
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    parser_classes = (JSONParser, MultiPartParser, FormParser)

    def get_permissions(self):
        if self.action in PUBLIC_ACTIONS:
            return [permissions.AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        if self.action in ("retrieve", "rate"):
            return [AnonRateThrottle()]
        return super().get_throttles()  # filing has its own limit per address

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, services.ReportThrottled):
            response["Retry-After"] = str(exc.retry_after)
        return response

    def _report(self, code: str) -> Report:
        report = self.get_queryset().filter(code=services.normalise_code(code)).first()
        if report is None:
            raise NotFound()
        return report

    def _answer(self, report: Report) -> Response:
        fresh = self.get_queryset().filter(pk=report.pk).first()
        if fresh is None:  # handed over to someone else's scope (assigned elsewhere)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ResidentReportSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(tags=TAGS, summary=_("举报列表（管理人员）"))
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary=_("提交举报（公众，无需登录）"),
        description=_(
            "无需登录。与手机页面相同的校验；页面上的验证题在接口中由同一来源的限流代替："
            "每小时最多 5 件、每天最多 20 件，超出返回 429 与 Retry-After。"
        ),
        request={
            "multipart/form-data": ResidentReportInput,
            "application/json": ResidentReportInput,
        },
        responses={
            201: ResidentReportPublicSerializer,
            400: ERRORS[400],
            429: OpenApiResponse(ErrorSerializer, _("提交过于频繁（throttled），见 Retry-After")),
        },
        tags=TAGS,
        auth=[],
    )
    def create(self, request, *args, **kwargs):
        data = ResidentReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        photo = values.pop("photo", None)
        report = services.report_file(data=values, photo=photo, client_key=client_key(request))
        body = ResidentReportPublicSerializer(selectors.public_report(report.code)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("按查询码查看办理进度（公众）"),
        description=_("只返回公开信息：办理环节、答复与公开的办理经过；不含位置、照片和联系方式。"),
        parameters=[CODE],
        responses={200: ResidentReportPublicSerializer, 404: ERRORS[404]},
        tags=TAGS,
        auth=[],
    )
    def retrieve(self, request, code: str | None = None):
        return Response(ResidentReportPublicSerializer(selectors.public_report(code or "")).data)

    @extend_schema(
        summary=_("举报人评价（公众，凭查询码；答复后才能评价，评价后办结）"),
        description=_("举报人评价（公众，凭查询码；答复后才能评价，评价后办结）"),
        parameters=[CODE],
        request=ReportRateInput,
        responses={
            200: ResidentReportPublicSerializer,
            400: ERRORS[400],
            404: ERRORS[404],
            409: ERRORS[409],
        },
        tags=TAGS,
        auth=[],
    )
    @action(detail=True, methods=["post"])
    def rate(self, request, code: str | None = None):
        data = ReportRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_rate(
            code=code or "",
            rating=data.validated_data.get("rating"),
            comment=data.validated_data.get("comment", ""),
        )
        return Response(ResidentReportPublicSerializer(selectors.public_report(report.code)).data)

    @_transition(_("派单"), ReportAssignInput)
    @action(detail=True, methods=["post"])
    def assign(self, request, code: str | None = None):
        data = ReportAssignInput(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        report = services.report_assign(
            actor=request.user, report=self._report(code or ""), **data.validated_data
        )
        return self._answer(report)

    @_transition(
        _("登记处置情况（须附照片，multipart）"), {"multipart/form-data": ReportHandleInput}
    )
    @action(detail=True, methods=["post"])
    def handle(self, request, code: str | None = None):
        data = ReportHandleInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_handle(
            actor=request.user,
            report=self._report(code or ""),
            note=data.validated_data.get("note", ""),
            photo=data.validated_data.get("photo"),
        )
        return self._answer(report)

    @_transition(_("答复举报人"), ReportAnswerInput)
    @action(detail=True, methods=["post"])
    def answer(self, request, code: str | None = None):
        data = ReportAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_answer(
            actor=request.user,
            report=self._report(code or ""),
            answer=data.validated_data.get("answer", ""),
        )
        return self._answer(report)

    @_transition(_("不予受理"), ReportRejectInput)
    @action(detail=True, methods=["post"])
    def reject(self, request, code: str | None = None):
        data = ReportRejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_reject(
            actor=request.user,
            report=self._report(code or ""),
            reason=data.validated_data.get("reason", ""),
        )
        return self._answer(report)


ROUTES = [("cases/reports", ReportViewSet)]
