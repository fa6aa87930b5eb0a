"""Raise, acknowledge and resolve alerts. Rules live in the apps that own the facts; they call
``alert_raise`` (idempotent: one open alert per rule and subject) and ``alert_clear``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import ensure_permitted, is_permitted
from wufei.alerts.choices import AlertStatus, Severity
from wufei.alerts.models import Alert, AlertAction
from wufei.core.errors import NotFound, WufeiError


class AlertClosed(WufeiError):
    code = "alert_resolved"
    status = 409


SEVERITY_RANK: dict[str, int] = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class Subject:
    type: str
    id: str
    label: str


def alert_raise(
    *,
    rule: str,
    subject: Subject,
    message: str,
    party_id: int | None = None,
    region_id: int | None = None,
    stream_id: int | None = None,
    severity: str = Severity.WARNING,
    details: dict | None = None,
    at: datetime | None = None,
) -> Alert:
    """Open an alert, or return the open one for the same rule and subject (idempotent)."""
    existing = Alert.objects.filter(
        rule=rule, subject_type=subject.type, subject_id=subject.id
    ).exclude(status=AlertStatus.RESOLVED)
    alert = existing.first()
    if alert is not None:
        if SEVERITY_RANK[severity] > SEVERITY_RANK[alert.severity]:  # worse than when raised
            alert.severity = severity
            alert.save(update_fields=["severity"])
            AlertAction.objects.create(
                alert=alert, at=at or timezone.now(), action="escalate", note=message[:300]
            )
        return alert
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                severity=severity,
                subject_type=subject.type,
                subject_id=subject.id,
                subject_label=subject.label[:120],
                party_id=party_id,
                region_id=region_id,
                stream_id=stream_id,
                message=message[:300],
                details=details or {},
                opened_at=at or timezone.now(),
            )
            AlertAction.objects.create(
                alert=alert, at=alert.opened_at, action="raise", note=alert.message
            )
    except IntegrityError:  # raised concurrently by another worker
        return existing.get()
    return alert


def alert_clear(*, rule: str, subject: Subject, note: str, at: datetime | None = None) -> int:
    """Resolve the open alerts of ``rule`` on ``subject`` because the condition is gone."""
    at = at or timezone.now()
    cleared = 0
    for alert in Alert.objects.filter(
        rule=rule, subject_type=subject.type, subject_id=subject.id
    ).exclude(status=AlertStatus.RESOLVED):
        alert.status, alert.resolved_at = AlertStatus.RESOLVED, at
        alert.save(update_fields=["status", "resolved_at"])
        AlertAction.objects.create(alert=alert, at=at, action="auto_resolve", note=note[:300])
        cleared += 1
    return cleared


def _act(*, actor, alert: Alert, action: str, status: str | None, note: str) -> Alert:
    with transaction.atomic():
        locked = Alert.objects.select_for_update().filter(pk=alert.pk).first()
        if locked is None or not is_permitted(actor, Action.VIEW, locked):
            raise NotFound()
        ensure_permitted(actor, Action.CHANGE, locked)
        if locked.status == AlertStatus.RESOLVED:
            raise AlertClosed(_("该预警已解决。"))
        now = timezone.now()
        if status is not None:
            locked.status = status
            if status == AlertStatus.RESOLVED:
                locked.resolved_at = now
            locked.save(update_fields=["status", "resolved_at"])
        AlertAction.objects.create(
            alert=locked, at=now, actor=actor, action=action, note=note[:300]
        )
    return locked


def alert_acknowledge(*, actor, alert: Alert, note: str = "") -> Alert:
    return _act(
        actor=actor, alert=alert, action="acknowledge", status=AlertStatus.ACKNOWLEDGED, note=note
    )


def alert_comment(*, actor, alert: Alert, note: str) -> Alert:
    return _act(actor=actor, alert=alert, action="comment", status=None, note=note)


def alert_resolve(*, actor, alert: Alert, note: str = "") -> Alert:
    return _act(actor=actor, alert=alert, action="resolve", status=AlertStatus.RESOLVED, note=note)
