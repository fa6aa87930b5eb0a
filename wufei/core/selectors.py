"""Reads of the core app: the change history of a row."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted
from wufei.core.models import ChangeLog


def change_history(*, actor, obj: Model) -> QuerySet[ChangeLog]:
    """Who changed ``obj`` and when, newest first; only for those who may change it."""
    if not is_permitted(actor, Action.CHANGE, obj):
        return ChangeLog.objects.none()
    return ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
    ).select_related("actor")
