"""Shared write machinery: the change log and the scoped save every registry service uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.core.models import ChangeLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):  # an uploaded file: its stored name
        return value.name or None
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model) -> dict:
    """The row's concrete fields, JSON-ready (what the change log keeps)."""
    return {f.attname: _jsonable(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def log_change(*, actor, obj: models.Model, action: str, data: dict | None = None) -> ChangeLog:
    return ChangeLog.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        data=snapshot(obj) if data is None else data,
    )


M = TypeVar("M", bound=models.Model)


def scoped_save(
    *,
    actor,
    obj: M,
    creating: bool,
    fields: Mapping[str, Any],
    m2m: Mapping[str, Iterable] | None = None,
    validate: Callable[[M], None] | None = None,
) -> M:
    """Create or update ``obj`` with ``fields`` on behalf of ``actor``, atomically.

    The actor's right is checked on the row as it was (update) and as it is after the
    write, inside the transaction, so a refused write leaves nothing behind. Model
    validation (``full_clean``) and the entity's own ``validate`` run before saving; any
    ``ValidationError`` becomes a typed :class:`Invalid` with field and code.
    """
    from wufei.accounts.choices import Action
    from wufei.accounts.scoping import ensure_permitted, is_permitted

    model = type(obj)
    try:
        with transaction.atomic():
            if not creating:
                locked = model._default_manager.select_for_update().filter(pk=obj.pk).first()
                if locked is None or not is_permitted(actor, Action.VIEW, locked):
                    raise NotFound()
                ensure_permitted(actor, Action.CHANGE, locked)
                obj = locked
            for name, value in fields.items():
                setattr(obj, name, value)
            obj.full_clean()
            if validate is not None:
                validate(obj)
            obj.save()
            for name, values in (m2m or {}).items():
                getattr(obj, name).set(values)
            if not is_permitted(actor, Action.ADD if creating else Action.CHANGE, obj):
                raise NotPermitted(_("保存后的记录将超出您的权限范围，未作任何修改。"))
            log_change(actor=actor, obj=obj, action="create" if creating else "update")
    except ValidationError as exc:
        raise Invalid.from_django(exc) from exc
    return obj
