"""API plumbing shared by every app: errors, the scoped viewsets, input serializers, schema."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may, restrict
from wufei.core.errors import FieldError, WufeiError, field_errors_from_django

# --- the error body -------------------------------------------------------------------------


def _body(code: str, errors: list[FieldError], message: str | None = None) -> dict:
    """The error body; ``errors`` is never empty, the first one is repeated at the top."""
    errors = errors or [FieldError(None, code, message or "")]
    first = errors[0]
    return {
        "code": first.code,
        "field": first.field,
        "message": message or first.message,
        "errors": [e.as_dict() for e in errors],
    }


def _dotted(prefix: str | None, name: str | None) -> str | None:
    if name is None:
        return prefix
    return f"{prefix}.{name}" if prefix else name


def _drf_errors(detail, prefix: str | None = None) -> list[FieldError]:
    """Flatten DRF's nested error detail into field errors with dotted field names."""
    out: list[FieldError] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else str(key)
            out.extend(_drf_errors(value, _dotted(prefix, name)))
    elif isinstance(detail, list):
        for index, item in enumerate(detail):  # a list of objects: one entry per item
            out.extend(
                _drf_errors(item, _dotted(prefix, str(index)) if isinstance(item, dict) else prefix)
            )
    else:
        out.append(FieldError(prefix, getattr(detail, "code", None) or "invalid", str(detail)))
    return out


# DRF's own codes for these are English words of its own; ours are the stable API codes.
_STATUS_CODES = {
    status.HTTP_403_FORBIDDEN: "not_permitted",
    status.HTTP_404_NOT_FOUND: "not_found",
}


def _code_of(exc: exceptions.APIException, status_code: int) -> str:
    if status_code in _STATUS_CODES:
        return _STATUS_CODES[status_code]
    return getattr(exc.detail, "code", None) or exc.default_code


def exception_handler(exc, context):
    """Every API error as ``{code, field, message, errors: [{field, code, message}]}``."""
    if isinstance(exc, WufeiError):
        return Response(_body(exc.code, exc.errors, str(exc.message)), status=exc.status)
    if isinstance(exc, ValidationError):
        errors = field_errors_from_django(exc)
        return Response(_body("invalid", errors), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("对象不存在或您无权查看。"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(_("您无权执行此操作。"))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _body("invalid", _drf_errors(exc.detail))
    else:
        code = _code_of(exc, response.status_code)
        response.data = _body(code, [], str(getattr(exc, "detail", exc)))
    return response


# The serializers below only document the error body for OpenAPI (the handler above builds
# it); comments, not docstrings, since drf-spectacular publishes docstrings as descriptions.


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text=gettext_lazy("出错的字段，无则为空"))
    code = serializers.CharField(help_text=gettext_lazy("稳定的错误代码，供程序判断"))
    message = serializers.CharField(help_text=gettext_lazy("中文说明，供人阅读"))


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(FieldErrorSerializer):
    errors = FieldErrorSerializer(many=True, help_text=gettext_lazy("逐字段的全部错误"))


# --- input serializers: references only to rows the actor may see ---------------------------


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key by id, accepted only if the requesting actor may see the row.

    A row the actor may not see answers exactly like a row that does not exist
    (``does_not_exist``), so ids of other people's rows cannot be probed.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if request is None:
            return queryset.none()
        return restrict(queryset, request.user, Action.VIEW)


# Base of the input serializers: parse and check types; the service decides the rest.
# (A comment: drf-spectacular would publish a docstring as every subclass's description.)
class InputSerializer(serializers.ModelSerializer):
    serializer_related_field = ScopedRelatedField


# --- the OpenAPI schema: read serializer for responses, the error body for errors -----------

_ERROR_DESCRIPTIONS = {
    400: gettext_lazy("提交的数据有误（见 field、code、errors）"),
    401: gettext_lazy("未登录，或 API 令牌无效、过期、已吊销"),
    403: gettext_lazy("无权执行此操作"),
    404: gettext_lazy("对象不存在或您无权查看"),
}


_ACTION_DESCRIPTIONS = {
    "list": gettext_lazy("列出您有权查看的%(name)s，分页，可筛选。"),
    "retrieve": gettext_lazy("查看一条%(name)s；无权查看的与不存在的一样，返回 404。"),
    "create": gettext_lazy(
        "新建%(name)s；新记录须在您的权限范围内，否则返回 403，不写入任何数据。"
    ),
    "update": gettext_lazy("修改%(name)s（提交全部字段）；修改前后都须在您的权限范围内。"),
    "partial_update": gettext_lazy(
        "修改%(name)s（只提交要改的字段）；修改前后都须在您的权限范围内。"
    ),
}
_REFERENCE_NOTE = gettext_lazy("参考数据：所有人（包括未登录者）可读，只能通过导入修改。")


class ScopedAutoSchema(AutoSchema):
    """Responses of the scoped viewsets: the read serializer, and the error body.

    Writes parse with the input serializer but answer with the read serializer; every
    operation documents the errors it can give with the ``Error`` component, and gets a
    Chinese description from its action (docstrings stay for programmers).
    """

    def get_auth(self) -> list[dict]:
        """The security requirements, plus ``{}`` where anonymous reads are allowed."""
        auth = super().get_auth()
        if self.method == "GET" and may(None, Action.VIEW, self.view.scoped_model):
            auth.append({})
        return auth

    def get_tags(self) -> list[str]:
        return [str(self.view.scoped_model._meta.verbose_name_plural)]

    def get_description(self):
        action = getattr(self.view, "action", None)
        name = self.view.scoped_model._meta.verbose_name
        text = str(_ACTION_DESCRIPTIONS.get(action, "%(name)s")) % {"name": name}
        if not getattr(self.view, "writable", True):
            text = f"{text}{_REFERENCE_NOTE}"
        return text

    def get_response_serializers(self):
        view = self.view
        action = getattr(view, "action", None)
        ok = view.serializer_class
        success = 201 if action == "create" else 200
        responses: dict = {success: ok}
        for code in self.error_statuses(action):
            responses[code] = OpenApiResponse(ErrorSerializer, _ERROR_DESCRIPTIONS[code])
        return responses

    def error_statuses(self, action: str | None) -> tuple[int, ...]:
        writes = action in ("create", "update", "partial_update")
        detail = action in ("retrieve", "update", "partial_update")
        if not getattr(self.view, "writable", True):
            return (404,) if detail else ()
        return (
            *((400,) if writes else ()),
            401,
            403,
            *((404,) if detail else ()),
        )


# --- viewsets --------------------------------------------------------------------------------


class ScopedQuerysetMixin:
    """The queryset of ``scoped_model`` restricted to what the actor may see, in a stable order
    (``ordering``, ending in a unique column so pages never overlap)."""

    scoped_model = None
    ordering: tuple[str, ...] = ("pk",)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    schema = ScopedAutoSchema()

    def get_queryset(self):
        qs = self.scoped_model._default_manager.all()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return restrict(qs, self.request.user, Action.VIEW).order_by(*self.ordering)


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail of reference data (readable by everyone, changed only by imports)."""

    writable = False


class ScopedViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, detail, create and update of one scoped model; writes go through services.

    Subclasses name ``scoped_model``, the read ``serializer_class``, an input serializer
    (an :class:`InputSerializer`), and two services as ``staticmethod``:
    ``create_service(actor=, data=)`` and ``update_service(actor=, obj=, data=)``.
    """

    writable = True
    input_serializer_class = None

    def get_serializer_class(self):
        if self.request.method in ("POST", "PUT", "PATCH") and self.input_serializer_class:
            return self.input_serializer_class
        return self.serializer_class

    def _write(self, request, obj=None, partial=False):
        serializer = self.input_serializer_class(
            obj, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        if obj is None:
            result = self.create_service(actor=request.user, data=serializer.validated_data)
        else:
            result = self.update_service(
                actor=request.user, obj=obj, data=serializer.validated_data
            )
        result = self.get_queryset().get(pk=result.pk)
        return self.serializer_class(result, context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        return Response(self._write(request), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        obj = self.get_object()
        return Response(self._write(request, obj, partial=kwargs.get("partial", False)))
