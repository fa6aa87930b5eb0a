"""The deadline sweep (``wufei check-alerts``, run by cron every 10 minutes).

For each flow's deadlines it raises an alert on every manifest past one that has none open
yet, and clears (resolves automatically) the deadline alerts whose manifest has moved on:

- submitted and not picked up within ``flow.pickup_hours``       → PICKUP_OVERDUE (transporter)
- picked up / in transit, not received within ``transit_hours``  → RECEIPT_OVERDUE (transporter)
- received and not completed within ``completion_hours``          → COMPLETION_OVERDUE (receiver)
- for flows with ``storage_hours``: containers of their streams still at the generator
  (not yet picked up) longer than that                             → STORAGE_OVERDUE (generator),
  on the live manifest carrying them, else on the container itself.

Storage alerts are not cleared by the sweep: the breach happened (the engine raises the same
alert at pick-up); a person resolves it. Every query is set-based (one per rule and flow, the
already-alerted rows excluded in the database); Python only touches the rows that get a new
alert or lose one, so a sweep over a year of a city's manifests takes well under a second when
nothing changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import CharField, Exists, F, IntegerField, Min, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.alerts.choices import AlertStatus, Rule, Severity
from wufei.alerts.models import Alert
from wufei.alerts.services import Subject, alert_clear, alert_raise
from wufei.manifests.choices import State
from wufei.manifests.flows import FLOWS
from wufei.manifests.models import Manifest, ManifestItem
from wufei.manifests.services import manifest_subject, raise_alert
from wufei.registry.models import WasteStream
from wufei.trace.choices import ContainerState
from wufei.trace.models import Container

CLEARED = "cleared"
# rule → (states it watches, the timestamp the clock starts from, the flow's hours attribute,
#         the party responsible)
MANIFEST_RULES = {
    Rule.PICKUP_OVERDUE: ((State.SUBMITTED,), "submitted_at", "pickup_hours", "transporter"),
    Rule.RECEIPT_OVERDUE: (
        (State.PICKED_UP, State.IN_TRANSIT),
        "picked_up_at",
        "transit_hours",
        "transporter",
    ),
    Rule.COMPLETION_OVERDUE: ((State.RECEIVED,), "received_at", "completion_hours", "receiver"),
}
MESSAGES = {
    Rule.PICKUP_OVERDUE: gettext_lazy("提交后 %(hours)s 小时仍未起运（时限 %(limit)s 小时）"),
    Rule.RECEIPT_OVERDUE: gettext_lazy("起运后 %(hours)s 小时仍未接收（时限 %(limit)s 小时）"),
    Rule.COMPLETION_OVERDUE: gettext_lazy(
        "接收后 %(hours)s 小时仍未完成利用处置（时限 %(limit)s 小时）"
    ),
}
# Manifests a container waiting at its generator may be on.
WAITING_STATES = (State.DRAFT, State.SUBMITTED)


def _open(rule: str, subject_type: str):
    return Alert.objects.filter(rule=rule, subject_type=subject_type).exclude(
        status=AlertStatus.RESOLVED
    )


def _alerted(rule: str, subject_type: str, pk_ref: str) -> Exists:
    """Whether the row (its pk at ``pk_ref``) already has an open ``rule`` alert."""
    return Exists(_open(rule, subject_type).filter(subject_id=Cast(OuterRef(pk_ref), CharField())))


def _hours(now: datetime, since: datetime) -> int:
    return int((now - since).total_seconds() // 3600)


def _raise_manifests(rule: str, now: datetime) -> int:
    states, clock, limit_attr, party = MANIFEST_RULES[rule]
    raised = 0
    for flow in FLOWS.values():
        limit = getattr(flow, limit_attr)
        late = (
            Manifest.objects.filter(
                flow=flow.key, state__in=states, **{f"{clock}__lt": now - timedelta(hours=limit)}
            )
            .exclude(_alerted(rule, "manifest", "pk"))
            .only("pk", "number", clock, "generator", party, "region", "stream")
        )
        for m in late.iterator(chunk_size=500):
            hours = _hours(now, getattr(m, clock))
            raise_alert(
                m,
                rule,
                str(MESSAGES[rule]) % {"hours": hours, "limit": limit},
                at=now,
                party_id=getattr(m, f"{party}_id"),
                hours=hours,
                limit=limit,
            )
            raised += 1
    return raised


def _clear_manifests(rule: str, now: datetime) -> int:
    """Resolve ``rule``'s open alerts on manifests no longer in the watched states."""
    states = MANIFEST_RULES[rule][0]
    manifest = Manifest.objects.filter(pk=Cast(OuterRef("subject_id"), IntegerField()))
    moved = (
        _open(rule, "manifest")
        .exclude(Exists(manifest.filter(state__in=states)))
        .annotate(state=Subquery(manifest.values("state")[:1]))
        .only("subject_id", "subject_label")
    )
    cleared = 0
    for alert in moved:
        shown = State(alert.state).label if alert.state else "—"
        note = _("联单已进入“%(state)s”状态，自动解除。") % {"state": shown}
        cleared += alert_clear(
            rule=rule,
            subject=Subject("manifest", alert.subject_id, alert.subject_label),
            note=note,
            at=now,
        )
    return cleared


def _storage_limits() -> dict[int, list[int]]:
    """Hours → stream ids (with sub-streams) for the flows that limit storage at source;
    a stream under several flows takes the strictest limit."""
    limit_of: dict[int, int] = {}
    for flow in FLOWS.values():
        if not flow.storage_hours:
            continue
        roots = WasteStream.objects.filter(code__in=flow.streams).values_list("pk", flat=True)
        for pk in WasteStream.descendant_ids(list(roots)):
            limit_of[pk] = min(limit_of.get(pk, flow.storage_hours), flow.storage_hours)
    by_hours: dict[int, list[int]] = {}
    for pk, hours in limit_of.items():
        by_hours.setdefault(hours, []).append(pk)
    return by_hours


def _raise_storage(now: datetime) -> int:
    """Top-level containers at their generator (not yet picked up) longer than allowed,
    the clock starting at the oldest of the container and what is packed in it."""
    rule = Rule.STORAGE_OVERDUE
    raised = 0
    waiting_on = ManifestItem.objects.filter(
        container=OuterRef("pk"), manifest__state__in=WAITING_STATES
    ).values("manifest")[:1]
    for hours, stream_ids in _storage_limits().items():
        late = (
            Container.objects.filter(
                parent__isnull=True,
                state=ContainerState.AT_SOURCE,
                stream_id__in=stream_ids,
                holder_id=F("origin_id"),
            )
            .annotate(
                started=Least("created_at", Coalesce(Min("children__created_at"), "created_at")),
                manifest_id=Subquery(waiting_on),
            )
            .filter(started__lt=now - timedelta(hours=hours))
            .exclude(_alerted(rule, "container", "pk"))
            .exclude(
                Q(manifest_id__isnull=False)
                & Exists(
                    _open(rule, "manifest").filter(
                        subject_id=Cast(OuterRef("manifest_id"), CharField())
                    )
                )
            )
            .order_by("manifest_id", "started")
        )
        raised += _storage_alerts(late.iterator(chunk_size=500), hours, now)
    return raised


def _storage_alerts(rows: Iterable[Container], limit: int, now: datetime) -> int:
    raised, seen = 0, set()
    manifests = {}
    for c in rows:
        key = ("manifest", c.manifest_id) if c.manifest_id else ("container", c.pk)
        if key in seen:
            continue
        seen.add(key)
        hours = _hours(now, c.started)
        message = _("暂存 %(hours)s 小时仍未起运，超过 %(limit)s 小时的规定") % {
            "hours": hours,
            "limit": limit,
        }
        details = {"hours": str(hours), "limit": str(limit), "container": c.code}
        if c.manifest_id:
            if c.manifest_id not in manifests:
                manifests[c.manifest_id] = Manifest.objects.get(pk=c.manifest_id)
            m = manifests[c.manifest_id]
            subject, region_id, stream_id = manifest_subject(m), m.region_id, m.stream_id
            details["number"] = m.number
        else:
            subject = Subject("container", str(c.pk), c.code)
            region_id, stream_id = c.region_id, c.stream_id
        alert_raise(
            rule=Rule.STORAGE_OVERDUE,
            subject=subject,
            message=message,
            party_id=c.holder_id,
            region_id=region_id,
            stream_id=stream_id,
            severity=Severity.CRITICAL,
            details=details,
            at=now,
        )
        raised += 1
    return raised


def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Raise the deadline alerts due at ``now`` and clear those whose manifest moved on.

    Returns the number of alerts raised per rule, and under ``"cleared"`` how many were
    resolved automatically.
    """
    now = now or timezone.now()
    counts: dict[str, int] = {}
    cleared = 0
    for rule in MANIFEST_RULES:
        with transaction.atomic():
            cleared += _clear_manifests(rule, now)
            counts[rule] = _raise_manifests(rule, now)
    with transaction.atomic():
        counts[Rule.STORAGE_OVERDUE] = _raise_storage(now)
    counts[CLEARED] = cleared
    return counts
