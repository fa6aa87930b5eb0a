"""Reads of alerts, scoped to the actor."""

from __future__ import annotations

from django.db.models import QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.alerts.models import Alert, AlertAction
from wufei.registry.selectors import light_regions


def alert_list(*, actor) -> QuerySet[Alert]:
    alerts = light_regions(Alert.objects.select_related("party", "region", "stream"), "region")
    return restrict(alerts, actor, Action.VIEW)


def alert_actions(alert: Alert) -> QuerySet[AlertAction]:
    return alert.actions.select_related("actor").order_by("at", "pk")
