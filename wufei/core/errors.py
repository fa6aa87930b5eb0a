"""Typed domain errors.

Every refusal a service makes is one of these: a stable ``code`` for programs, a Chinese
``message`` for people, and the ``field`` it concerns when there is one. The API maps them
once (``wufei.core.api.exception_handler``) and the pages once (``wufei.core.forms``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class FieldError:
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": str(self.message)}


class WufeiError(Exception):
    """Base of every domain error."""

    code = "error"
    status = 400
    default_message = _("操作未能完成。")

    def __init__(self, message=None, *, field: str | None = None, code: str | None = None):
        self.message = message or self.default_message
        self.field = field
        if code:
            self.code = code
        super().__init__(str(self.message))

    @property
    def errors(self) -> list[FieldError]:
        return [FieldError(self.field, self.code, str(self.message))]


class Invalid(WufeiError):
    """Input that breaks a rule; carries one error per offending field."""

    code = "invalid"
    default_message = _("提交的数据有误。")

    def __init__(self, errors: list[FieldError]):
        self._errors = errors
        first = errors[0] if errors else FieldError(None, self.code, str(self.default_message))
        super().__init__(first.message, field=first.field, code=first.code)

    @property
    def errors(self) -> list[FieldError]:
        return self._errors

    @classmethod
    def from_django(cls, exc: ValidationError) -> Invalid:
        return cls(field_errors_from_django(exc))


class NotPermitted(WufeiError):
    code = "not_permitted"
    status = 403
    default_message = _("您无权执行此操作。")


class NotFound(WufeiError):
    code = "not_found"
    status = 404
    default_message = _("对象不存在或您无权查看。")


def field_errors_from_django(exc: ValidationError) -> list[FieldError]:
    """Flatten a Django ``ValidationError`` into field errors with stable codes."""
    out: list[FieldError] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            name = None if field == NON_FIELD_ERRORS else field
            for error in errors:
                out.extend(_one(name, error))
    else:
        for error in exc.error_list:
            out.extend(_one(None, error))
    return out


def _one(field: str | None, error: ValidationError) -> list[FieldError]:
    messages = error.messages
    code = error.code or "invalid"
    return [FieldError(field, code, str(m)) for m in messages]
