"""REST endpoints of outreach under ``/api/v1/``.

``outreach/events``: events (anybody: the published ones; officials: those of their scope),
booking a place (no account: a human-check question from ``challenge`` first), looking up and
cancelling a booking by its code. ``outreach/survey``: the questionnaire and the answer (no
account), and the results per county for officials. The same services as the pages decide.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from wufei.cases import human_check
from wufei.core.api import ErrorSerializer, ScopedAutoSchema, ScopedQuerysetMixin
from wufei.core.errors import FieldError, Invalid, NotFound
from wufei.outreach import selectors, services, survey
from wufei.outreach.models import Booking, Event, EventKind, SurveyResponse

ERROR = ErrorSerializer


def _error(text) -> OpenApiResponse:
    return OpenApiResponse(ERROR, text)


def _human(data) -> None:
    """The honeypot and the signed sum, before any service runs."""
    if human_check.honeypot_filled(data):
        raise Invalid([FieldError(None, "honeypot", _("提交未通过校验。"))])
    human_check.check(
        str(data.get(human_check.TOKEN_FIELD, "") or ""),
        data.get(human_check.ANSWER_FIELD, ""),
    )


# --- serializers -------------------------------------------------------------------------------


class OutreachChallengeSerializer(serializers.Serializer):
    question = serializers.CharField(help_text=gettext_lazy("如“7 加 5 等于几？”"))
    human_token = serializers.CharField(help_text=gettext_lazy("提交时原样带回"))


class OutreachHumanFields(serializers.Serializer):
    human_token = serializers.CharField(required=False, allow_blank=True, default="")
    human_answer = serializers.CharField(required=False, allow_blank=True, default="")
    website = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=gettext_lazy("留空（防机器人字段）")
    )


class OutreachEventSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    host_name = serializers.CharField(source="host.name", read_only=True, default=None)
    places_left = serializers.SerializerMethodField()
    booking_open = serializers.SerializerMethodField()
    # Declared: positive integer model fields have database-specific bounds in the schema.
    capacity = serializers.IntegerField(read_only=True, label=gettext_lazy("名额"))

    class Meta:
        model = Event
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "description",
            "host_name",
            "region",
            "place",
            "starts_at",
            "ends_at",
            "capacity",
            "booked",
            "places_left",
            "booking_closes_at",
            "booking_open",
            "is_published",
        ]

    def get_places_left(self, obj) -> int:
        return services.places_left(obj)

    def get_booking_open(self, obj) -> bool:
        return services.booking_open(obj) and obj.ends_at > timezone.now()


class EventBookingInput(OutreachHumanFields):
    name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("11 位手机号，只保存脱敏号码"),
    )
    people = serializers.IntegerField(required=False, allow_null=True, default=None)


class EventBookingSerializer(serializers.ModelSerializer):
    event_title = serializers.CharField(source="event.title", read_only=True)
    event_starts_at = serializers.DateTimeField(source="event.starts_at", read_only=True)

    class Meta:
        model = Booking
        fields = [
            "code",
            "status",
            "event",
            "event_title",
            "event_starts_at",
            "name",
            "phone_masked",
            "people",
            "created_at",
        ]


class BookingCodeInput(serializers.Serializer):
    code = serializers.CharField()


class SurveyInput(OutreachHumanFields):
    region = serializers.CharField(help_text=gettext_lazy("县（市、区）区划代码，如 411002"))
    awareness = serializers.IntegerField(required=False, allow_null=True, default=None)
    participation = serializers.IntegerField(required=False, allow_null=True, default=None)
    satisfaction = serializers.IntegerField(required=False, allow_null=True, default=None)
    gain = serializers.IntegerField(required=False, allow_null=True, default=None)
    confidence = serializers.IntegerField(required=False, allow_null=True, default=None)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SurveyReceiptSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)

    class Meta:
        model = SurveyResponse
        fields = ["region", "submitted_at"]


class SurveyAnswerOptionSerializer(serializers.Serializer):
    value = serializers.IntegerField()
    label = serializers.CharField()


class SurveyQuestionSerializer(serializers.Serializer):
    code = serializers.CharField()
    question = serializers.CharField()
    answers = SurveyAnswerOptionSerializer(many=True)


class SurveyCountySerializer(serializers.Serializer):
    adcode = serializers.CharField()
    name = serializers.CharField()


class SurveyQuestionnaireSerializer(serializers.Serializer):
    questions = SurveyQuestionSerializer(many=True)
    counties = SurveyCountySerializer(many=True)


class SurveyDimensionResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField(help_text=gettext_lazy("得分之和"))
    satisfied = serializers.IntegerField(help_text=gettext_lazy("打 4、5 分的答卷数"))
    mean = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    index = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text=gettext_lazy("平均分 × 20")
    )
    share = serializers.DecimalField(
        max_digits=4, decimal_places=1, allow_null=True, help_text=gettext_lazy("满意占比（%）")
    )


class SurveyResultRowSerializer(serializers.Serializer):
    region = serializers.CharField(
        source="region.adcode", allow_null=True, default=None, help_text=gettext_lazy("全市为空")
    )
    name = serializers.CharField()
    responses = serializers.IntegerField()
    overall_index = serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True)
    dimensions = SurveyDimensionResultSerializer(many=True)


class SurveyResultsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField(allow_null=True)
    rows = SurveyResultRowSerializer(many=True)


# --- viewsets ------------------------------------------------------------------------------------


PUBLIC = [AllowAny]
CHALLENGE_SCHEMA = extend_schema(
    description=gettext_lazy(
        "取一道验证题：预约和问卷提交时带回 human_token 与答案 human_answer。"
    ),
    responses={200: OutreachChallengeSerializer},
    auth=[],
)


def _challenge() -> Response:
    fresh = human_check.challenge()
    return Response({"question": fresh.question, "human_token": fresh.token})


class EventViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Events: anybody sees the published ones; officials those of their scope."""

    scoped_model = Event
    ordering = ("starts_at", "pk")
    select_related = ("region", "host")
    serializer_class = OutreachEventSerializer

    def get_permissions(self):
        if self.action in ("book", "challenge", "booking", "cancel_booking"):
            return [permission() for permission in PUBLIC]
        return super().get_permissions()

    def get_queryset(self):
        rows = super().get_queryset()
        if self.action != "list":
            return rows
        kind = self.request.query_params.get("kind", "")
        if kind:
            rows = rows.filter(kind=kind)
        if self.request.query_params.get("upcoming") in ("1", "true"):
            rows = rows.filter(ends_at__gt=timezone.now())
        return rows

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=list(EventKind.values)),
            OpenApiParameter(
                "upcoming", OpenApiTypes.BOOL, description=gettext_lazy("只列未结束的活动")
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        description=gettext_lazy(
            "预约名额（无需登录）：先取验证题。拒绝时 code 为 full（名额不足）、"
            "closed（预约已截止）、unpublished（未发布）、phone_invalid、people_out_of_range、"
            "human_check_failed 等；"
            "同一来源 1 小时内超过 3 次预约返回 429，code 为 throttled。"
        ),
        request=EventBookingInput,
        responses={
            201: EventBookingSerializer,
            400: _error(gettext_lazy("提交的数据有误或不能预约")),
            404: _error(gettext_lazy("活动不存在或未发布")),
            429: _error(gettext_lazy("预约过于频繁")),
        },
        auth=[],
    )
    @action(detail=True, methods=["post"])
    def book(self, request, pk=None):
        event = selectors.public_event(int(pk)) if str(pk).isdigit() else None
        if event is None:
            raise NotFound(_("活动不存在或尚未发布。"))
        data = EventBookingInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _human(values)
        booking = services.book(
            event=event,
            name=values["name"],
            phone=values["phone"],
            people=values["people"],
            client_key=human_check.client_key(request),
        )
        return Response(EventBookingSerializer(booking).data, status=status.HTTP_201_CREATED)

    @CHALLENGE_SCHEMA
    @action(detail=False, methods=["get"])
    def challenge(self, request):
        return _challenge()

    @extend_schema(
        description=gettext_lazy("按预约码查询预约（无需登录）。"),
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, required=True)],
        responses={200: EventBookingSerializer, 404: _error(gettext_lazy("没有该预约码"))},
        auth=[],
    )
    @action(detail=False, methods=["get"])
    def booking(self, request):
        found = services.booking_by_code(request.query_params.get("code", ""))
        return Response(EventBookingSerializer(found).data)

    @extend_schema(
        description=gettext_lazy(
            "按预约码取消预约（无需登录），名额退回活动；活动开始后不能取消（code started）。"
        ),
        request=BookingCodeInput,
        responses={
            200: EventBookingSerializer,
            404: _error(gettext_lazy("没有该预约码")),
            409: _error(gettext_lazy("已取消、已参加或活动已开始")),
        },
        auth=[],
    )
    @action(detail=False, methods=["post"], url_path="cancel-booking")
    def cancel_booking(self, request):
        data = BookingCodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.cancel(data.validated_data["code"])
        return Response(EventBookingSerializer(booking).data)


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class SurveyViewSet(viewsets.GenericViewSet):
    """The satisfaction survey: the questionnaire and answers (anybody), results (officials)."""

    scoped_model = SurveyResponse
    schema = ScopedAutoSchema()
    serializer_class = SurveyReceiptSerializer

    def get_permissions(self):
        if self.action in ("create", "questions", "challenge"):
            return [permission() for permission in PUBLIC]
        return super().get_permissions()

    def get_queryset(self):
        return SurveyResponse.objects.none()

    @extend_schema(
        description=gettext_lazy(
            "提交一份匿名答卷（无需登录）：region 为县（市、区）区划代码，五项各 1–5 分，"
            "comment 不超过 300 字。同一来源每季度一份（code already_answered）。"
        ),
        request=SurveyInput,
        responses={
            201: SurveyReceiptSerializer,
            400: _error(gettext_lazy("提交的数据有误或本季度已答过")),
        },
        auth=[],
    )
    def create(self, request):
        data = SurveyInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _human(values)
        region = services.survey_regions().filter(adcode=values["region"]).first()
        response = services.survey_submit(
            region=region,
            scores={code: values[code] for code in services.DIMENSIONS},
            comment=values["comment"],
            client_key=human_check.client_key(request),
        )
        return Response(SurveyReceiptSerializer(response).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        description=gettext_lazy("问卷题目、选项（1–5 分）和可选的县（市、区）。"),
        responses={200: SurveyQuestionnaireSerializer},
        auth=[],
    )
    @action(detail=False, methods=["get"])
    def questions(self, request):
        return Response(
            {
                "questions": [
                    {
                        "code": code,
                        "question": str(question),
                        "answers": [
                            {"value": i, "label": str(label)}
                            for i, label in enumerate(answers, start=1)
                        ],
                    }
                    for code, (question, answers) in survey.QUESTIONS.items()
                ],
                "counties": [
                    {"adcode": r.adcode, "name": r.name} for r in services.survey_regions()
                ],
            }
        )

    @CHALLENGE_SCHEMA
    @action(detail=False, methods=["get"])
    def challenge(self, request):
        return _challenge()

    @extend_schema(
        description=gettext_lazy(
            "各县（市、区）和全市的调查结果（管理人员）：答卷数，每项的平均分、指数（平均分×20）"
            "和满意（4–5 分）占比。不带 quarter 为全年。"
        ),
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=True),
            OpenApiParameter("quarter", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
        ],
        responses={
            200: SurveyResultsSerializer,
            401: _error(gettext_lazy("未登录")),
            403: _error(gettext_lazy("无权查看")),
        },
    )
    @action(detail=False, methods=["get"])
    def results(self, request):
        today = timezone.localdate()
        year = _int(request.query_params.get("year"), today.year)
        if not 2000 <= year <= today.year + 1:
            raise Invalid([FieldError("year", "year_invalid", _("年份不在可查询范围内。"))])
        quarter = _int(request.query_params.get("quarter"), None)
        if quarter not in (1, 2, 3, 4):
            quarter = None
        rows = selectors.survey_results(actor=request.user, year=year, quarter=quarter)
        body = SurveyResultsSerializer({"year": year, "quarter": quarter, "rows": rows}).data
        return Response(body)


ROUTES = [
    ("outreach/events", EventViewSet),
    ("outreach/survey", SurveyViewSet),
]
