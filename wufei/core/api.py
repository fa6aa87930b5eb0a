"""API plumbing shared by every app: errors, paging, the scoped permission and viewset."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.errors import FieldError, WufeiError, field_errors_from_django


def _body(code: str, errors: list[FieldError], message: str | None = None) -> dict:
    first = errors[0] if errors else FieldError(None, code, message or "")
    return {
        "code": first.code if errors else code,
        "field": first.field,
        "message": message or first.message,
        "errors": [e.as_dict() for e in errors],
    }


def _drf_errors(detail, prefix: str | None = None) -> list[FieldError]:
    """Flatten DRF's nested error detail into field errors with dotted field names."""
    out: list[FieldError] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "detail") else key
            field = f"{prefix}.{name}" if prefix and name else (name or prefix)
            out.extend(_drf_errors(value, field))
    elif isinstance(detail, list):
        for item in detail:
            out.extend(_drf_errors(item, prefix))
    else:
        out.append(FieldError(prefix, getattr(detail, "code", None) or "invalid", str(detail)))
    return out


_STATUS_CODES = {
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "not_permitted",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


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
        code = _STATUS_CODES.get(response.status_code, getattr(exc, "default_code", "error"))
        response.data = _body(code, [], str(getattr(exc, "detail", exc)))
    return response


class ScopedViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, detail, create and update of one scoped model; writes go through services.

    Subclasses name ``scoped_model``, the read ``serializer_class``, an input serializer,
    and two services as ``staticmethod``: ``create_service(actor=, data=)`` and
    ``update_service(actor=, obj=, data=)``.
    """

    scoped_model = None
    input_serializer_class = None
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()

    def get_queryset(self):
        qs = self.scoped_model._default_manager.all()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return restrict(qs, self.request.user, Action.VIEW).order_by("pk")

    def get_serializer_class(self):
        if self.request.method in ("POST", "PUT", "PATCH") and self.input_serializer_class:
            return self.input_serializer_class
        return self.serializer_class

    def _write(self, request, obj=None, partial=False):
        serializer = self.input_serializer_class(
            data=request.data, partial=partial, context=self.get_serializer_context()
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
