"""Reads of alerts, scoped to the actor."""

from __future__ import annotations

from django.db.models import QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.alerts.models import Alert, AlertAction


def alert_list(*, actor) -> QuerySet[Alert]:
    return restrict(Alert.objects.select_related("party", "region", "stream"), actor, Action.VIEW)


def alert_actions(alert: Alert) -> QuerySet[AlertAction]:
    return alert.actions.select_related("actor").order_by("at", "pk")
