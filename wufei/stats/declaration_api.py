"""REST endpoints of the declarations under ``/api/v1/``; thin: parse, call one service,
answer the declaration as the actor may see it. Refusals are the services' typed errors,
mapped once by ``wufei.core.api.exception_handler`` (``{code, field, message, errors}``,
with line fields named ``lines.<n>.<field>`` and import rows ``rows.<row>.<column>``).

- ``declarations``: list (filters kind, status, year, region, party), detail with lines,
  create with lines (``submit`` to submit at once), PUT to replace the lines of a draft or
  returned one, and ``submit`` / ``accept`` / ``return`` actions.
- ``declaration-kinds``: the kinds, their items, units and rules (read only).
- ``declaration-imports``: POST an .xlsx (multipart) and get the import report.
"""

from __future__ import annotations

from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from wufei.core.api import _ERROR_DESCRIPTIONS, ErrorSerializer, ScopedQuerysetMixin, _body
from wufei.core.errors import FieldError, Invalid, NotFound
from wufei.registry.models import Party, Region
from wufei.stats import declaration_selectors as selectors
from wufei.stats import declarations as services
from wufei.stats import units
from wufei.stats.declaration_forms import DeclarationFilterSet
from wufei.stats.declaration_import import MODES, import_declarations
from wufei.stats.declaration_kinds import KINDS, PERIOD_LABELS, get_kind
from wufei.stats.models import Declaration

ERRORS = {
    **_ERROR_DESCRIPTIONS,
    409: _("申报当前状态不允许此操作"),
}
TAGS = [str(_("统计申报"))]


def _answers(ok, *codes: int, success: int = 200) -> dict:
    responses = {success: ok}
    for code in codes:
        responses[code] = OpenApiResponse(ErrorSerializer, ERRORS[code])
    return responses


def _amount(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=4, **kwargs)


# --- answers ---------------------------------------------------------------------------------


class DeclarantPartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()


class LineSerializer(serializers.Serializer):
    item = serializers.CharField(help_text=_("申报项代码（完整代码为 申报类型.申报项）"))
    item_label = serializers.SerializerMethodField()
    waste_code = serializers.CharField(source="waste_code.code", default=None)
    quantity = serializers.CharField(help_text=_("计入的统计量，空为非废物流量"))
    stream = serializers.CharField(source="stream.code", default=None)
    category = serializers.CharField(source="category.code", default=None)
    value = _amount(help_text=_("换算为基本单位后的数值"))
    unit = serializers.SerializerMethodField(help_text=_("基本单位"))
    entered_value = _amount()
    entered_unit = serializers.CharField()

    def _item(self, line):
        kind = get_kind(self.context.get("kind", ""))
        return kind.item(line.item) if kind else None

    def get_item_label(self, line) -> str:
        item = self._item(line)
        return str(item.label) if item else line.item

    def get_unit(self, line) -> str:
        item = self._item(line)
        return item.base_unit if item else ""


class DeclarationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.SerializerMethodField()
    status = serializers.CharField(help_text=_("draft、submitted、accepted 或 returned"))
    status_label = serializers.CharField(source="get_status_display")
    party = DeclarantPartySerializer(allow_null=True)
    department = serializers.CharField(source="department.code", default=None)
    region = serializers.CharField(source="region.adcode")
    region_name = serializers.CharField(source="region.name")
    stream = serializers.CharField(source="stream.code", default=None)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    period = serializers.SerializerMethodField()
    origin = serializers.CharField()
    note = serializers.CharField()
    created_by = serializers.CharField(source="created_by.username", default=None)
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", default=None)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    review_note = serializers.CharField()

    def get_kind_label(self, d) -> str:
        kind = get_kind(d.kind)
        return str(kind.label) if kind else d.kind

    def get_period(self, d) -> str:
        return services.period_label(d)


class ActionsSerializer(serializers.Serializer):
    edit = serializers.BooleanField(help_text=_("可修改并提交（申报人，草稿或已退回）"))
    review = serializers.BooleanField(help_text=_("可审核（审核人，不是申报人）"))


class DeclarationDetailSerializer(DeclarationSerializer):
    lines = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    @extend_schema_field(LineSerializer(many=True))
    def get_lines(self, d) -> list[dict]:
        context = {**self.context, "kind": d.kind}
        return LineSerializer(selectors.declaration_lines(d), many=True, context=context).data

    @extend_schema_field(ActionsSerializer)
    def get_actions(self, d) -> dict:
        actor = self.context["request"].user
        return {"edit": services.may_edit(actor, d), "review": services.may_review(actor, d)}


# --- requests ---------------------------------------------------------------------------------


class LineInputSerializer(serializers.Serializer):
    item = serializers.CharField(help_text=_("申报项代码或中文名称"))
    value = serializers.CharField(help_text=_("数值（文本或数字），非负"))
    unit = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("单位，空为基本单位")
    )
    waste_code = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("废物代码（按代码申报的类型）")
    )

    def to_internal_value(self, data):
        if isinstance(data, dict) and isinstance(data.get("value"), (int, float)):
            data = {**data, "value": str(data["value"])}
        return super().to_internal_value(data)


class DeclarationCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("申报类型代码，见 declaration-kinds"))
    year = serializers.IntegerField()
    month = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text=_("月度申报的月份；年度申报不填")
    )
    party = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("申报单位的统一社会信用代码（企业申报类型；企业用户可不填）"),
    )
    region = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("区划代码（部门与统计类型；不填为本人所辖区划或全市）"),
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    lines = LineInputSerializer(many=True)
    submit = serializers.BooleanField(required=False, default=False, help_text=_("同时提交"))


class DeclarationUpdateSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    lines = LineInputSerializer(many=True)
    submit = serializers.BooleanField(required=False, default=False, help_text=_("同时提交"))


class ReviewSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300, help_text=_("审核意见")
    )


def _lines(rows) -> list[services.LineInput]:
    return [services.LineInput(**row) for row in rows]


def _party(code: str) -> Party | None:
    if not code:
        return None
    party = Party.objects.filter(credit_code=code.strip().upper()).first()
    if party is None:
        raise Invalid(
            [
                FieldError(
                    "party",
                    "unknown_party",
                    _t("未登记统一社会信用代码为 %(c)s 的单位。") % {"c": code},
                )
            ]
        )
    return party


def _region(code: str) -> Region | None:
    if not code:
        return None
    region = Region.objects.filter(adcode=code.strip()).defer("boundary").first()
    if region is None:
        raise Invalid(
            [FieldError("region", "unknown_region", _t("区划代码 %(c)s 不存在。") % {"c": code})]
        )
    return region


# --- declarations -------------------------------------------------------------------------------


class DeclarationViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Declarations: list and detail as the actor may see them; create, replace the lines,
    submit, accept, return."""

    scoped_model = Declaration  # type: ignore[assignment]
    ordering = ("-period_start", "-id")
    serializer_class = DeclarationSerializer
    filterset_class = DeclarationFilterSet
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_queryset(self):
        return selectors.declaration_list(actor=self.request.user).order_by(*self.ordering)

    def _answer(self, pk: int, **kwargs) -> Response:
        d = selectors.declaration_get(actor=self.request.user, pk=pk)
        context = self.get_serializer_context()
        return Response(DeclarationDetailSerializer(d, context=context).data, **kwargs)

    @extend_schema(responses=_answers(DeclarationDetailSerializer, 401, 403, 404), tags=TAGS)
    def retrieve(self, request, pk=None):
        return self._answer(int(pk))

    @extend_schema(
        request=DeclarationCreateSerializer,
        responses=_answers(DeclarationDetailSerializer, 400, 401, 403, success=201),
        description=_(
            "填报一份申报（草稿，或 submit 为真时立即提交）。企业为本单位申报企业类型；部门为本部门"
            "的类型申报本部门所辖区划（无则全市）；市、县管理人员可申报所辖范围内的任何类型。"
            "逐项错误的 field 为 lines.<序号>.<字段>。"
        ),
        tags=TAGS,
    )
    def create(self, request):
        serializer = DeclarationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        d = services.declaration_create(
            actor=request.user,
            data=services.DeclarationInput(
                kind=data["kind"],
                year=data["year"],
                month=data["month"],
                party=_party(data["party"]),
                region=_region(data["region"]),
                lines=_lines(data["lines"]),
                note=data["note"],
                origin=_t("接口填报"),
            ),
            submit=data["submit"],
        )
        return self._answer(d.pk, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DeclarationUpdateSerializer,
        responses=_answers(DeclarationDetailSerializer, 400, 401, 403, 404, 409),
        description=_("替换草稿或已退回申报的全部数值（及备注），可同时提交。"),
        tags=TAGS,
    )
    def update(self, request, pk=None):
        serializer = DeclarationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.declaration_update(
            actor=request.user,
            declaration=int(pk),
            lines=_lines(data["lines"]),
            note=data.get("note"),
            submit=data["submit"],
        )
        return self._answer(int(pk))

    @extend_schema(
        request=None,
        responses=_answers(DeclarationDetailSerializer, 400, 401, 403, 404, 409),
        description=_(
            "申报人提交：重新校验全部规则，同一申报主体同一统计期不能已有计入统计的申报。"
        ),
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        services.declaration_submit(actor=request.user, declaration=int(pk))
        return self._answer(int(pk))

    @extend_schema(
        request=ReviewSerializer,
        responses=_answers(DeclarationDetailSerializer, 400, 401, 403, 404, 409),
        description=_("审核通过（所在地市、县管理人员或主管部门人员，不能是申报人）。"),
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.declaration_accept(
            actor=request.user, declaration=int(pk), note=serializer.validated_data["note"]
        )
        return self._answer(int(pk))

    @extend_schema(
        request=ReviewSerializer,
        responses=_answers(DeclarationDetailSerializer, 400, 401, 403, 404, 409),
        description=_("退回申报人修改（须填写原因）；退回后不再计入统计，直至重新提交。"),
        tags=TAGS,
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.declaration_return(
            actor=request.user, declaration=int(pk), note=serializer.validated_data["note"]
        )
        return self._answer(int(pk))


# --- kinds ---------------------------------------------------------------------------------------


class ItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    full_code = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    unit = serializers.CharField(help_text=_("基本单位"))
    units = serializers.ListField(child=serializers.CharField(), help_text=_("可用单位"))
    quantity = serializers.CharField()
    stream = serializers.CharField()
    help = serializers.CharField()


class KindSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    label_en = serializers.CharField()
    declarant = serializers.CharField(help_text=_("party、department 或 official"))
    department = serializers.CharField()
    periods = serializers.ListField(child=serializers.CharField())
    period_labels = serializers.ListField(child=serializers.CharField())
    per_code = serializers.BooleanField()
    code_lists = serializers.CharField()
    stream = serializers.CharField()
    items = ItemSerializer(many=True)
    sources = serializers.DictField(child=serializers.CharField())


def kind_data(kind) -> dict:
    return {
        "code": kind.code,
        "label": str(kind.label),
        "label_en": kind.label_en,
        "declarant": kind.declarant,
        "department": kind.department,
        "periods": list(kind.periods),
        "period_labels": [str(PERIOD_LABELS[p]) for p in kind.periods],
        "per_code": kind.per_code,
        "code_lists": str(kind.code_lists),
        "stream": kind.stream,
        "items": [
            {
                "code": i.code,
                "full_code": kind.full_code(i),
                "label": str(i.label),
                "label_en": i.label_en,
                "unit": i.base_unit,
                "units": units.units_of(i.unit),
                "quantity": i.quantity,
                "stream": i.stream or kind.stream,
                "help": str(i.help),
            }
            for i in kind.items
        ],
        "sources": kind.sources,
    }


class DeclarationKindViewSet(viewsets.ViewSet):
    """The kinds of declaration, their items, units and rules (read only)."""

    lookup_field = "code"
    lookup_value_regex = r"[a-z_]+"

    @extend_schema(
        responses={200: KindSerializer(many=True), 401: OpenApiResponse(ErrorSerializer)},
        description=_("全部申报类型：申报项、基本单位与可用单位、统计量、申报主体与统计期。"),
        tags=TAGS,
    )
    def list(self, request):
        return Response(KindSerializer([kind_data(k) for k in KINDS.values()], many=True).data)

    @extend_schema(
        responses={
            200: KindSerializer,
            401: OpenApiResponse(ErrorSerializer),
            404: OpenApiResponse(ErrorSerializer, ERRORS[404]),
        },
        description=_("一种申报类型。"),
        tags=TAGS,
    )
    def retrieve(self, request, code=None):
        kind = get_kind(code or "")
        if kind is None:
            raise NotFound(_t("申报类型不存在。"))
        return Response(KindSerializer(kind_data(kind)).data)


# --- imports --------------------------------------------------------------------------------------


class ImportRequestSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text=_("申报类型代码"))
    file = serializers.FileField(help_text=_("按模板填写的 .xlsx 文件"))
    mode = serializers.CharField(
        required=False,
        default="all_or_nothing",
        help_text=_("all_or_nothing（默认：有任何错误则不写入）或 good_rows_only"),
    )
    as_draft = serializers.BooleanField(required=False, default=False, help_text=_("导入为草稿"))


class IssueSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    column_label = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class CreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="declaration.pk")
    status = serializers.CharField(source="declaration.status")
    declarant = serializers.CharField()
    period = serializers.CharField()
    rows = serializers.ListField(child=serializers.IntegerField())


class ReportSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    mode = serializers.CharField()
    as_draft = serializers.BooleanField()
    rows = serializers.IntegerField()
    groups = serializers.IntegerField()
    created = CreatedSerializer(many=True)
    issues = IssueSerializer(many=True)
    rejected_rows = serializers.ListField(child=serializers.IntegerField())


@extend_schema_serializer(component_name="ImportRefused")
class ImportRefusedSerializer(ErrorSerializer):
    report = ReportSerializer()


class DeclarationImportViewSet(viewsets.ViewSet):
    """Declarations from an Excel file: POST the file, get the report."""

    scoped_model = Declaration
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            201: ReportSerializer,
            200: OpenApiResponse(ReportSerializer, _("没有写入任何申报（good_rows_only）")),
            400: OpenApiResponse(
                ImportRefusedSerializer,
                _(
                    "文件错误（field 为 file），或 all_or_nothing 方式下有错误行"
                    "（field 为 rows.<行号>.<列>，report 为完整报告）"
                ),
            ),
            401: OpenApiResponse(ErrorSerializer, ERRORS[401]),
            403: OpenApiResponse(ErrorSerializer, ERRORS[403]),
        },
        description=_(
            "导入按模板填写的申报（每行一个数值）。同一申报主体、同一统计期的各行合为一份申报，"
            "其中任何一行有误则整份不写入。导入方式：%(modes)s。"
        )
        % {"modes": "；".join(f"{k}：{v}" for k, v in MODES.items())},
        tags=TAGS,
    )
    def create(self, request):
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        kind = get_kind(data["kind"])
        if kind is None:
            raise Invalid([FieldError("kind", "unknown_kind", _t("申报类型不存在。"))])
        report = import_declarations(
            actor=request.user,
            kind=kind,
            upload=data["file"],
            mode=data["mode"],
            as_draft=data["as_draft"],
            origin=_t("接口导入：%(name)s") % {"name": data["file"].name},
        )
        body = ReportSerializer(report).data
        if report.mode == "all_or_nothing" and not report.ok:
            errors = [i.as_field_error() for i in report.issues]
            message = _t("文件中有 %(n)s 处错误，未写入任何数据。") % {"n": len(errors)}
            return Response(
                {**_body(errors[0].code, errors, message), "report": body},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(body, status=status.HTTP_201_CREATED if report.written else 200)


ROUTES = [
    ("declarations", DeclarationViewSet),
    ("declaration-kinds", DeclarationKindViewSet),
    ("declaration-imports", DeclarationImportViewSet),
]
