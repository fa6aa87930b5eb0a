"""Two-end weighing (两端过磅): the ticket that weighed the load out at its origin and the one
that weighed it in at its destination disagree by more than ``ticket_gap_pct`` of the
outgoing net weight and more than ``ticket_gap_kg``.

This compares two weighbridges, independent of what the parties typed on the manifest (the
manifests' own ``weight_gap`` rule compares the signed weights). The kilogram floor keeps a
small load on a bridge with a 20 kg division from alerting on rounding. When a re-weighing
brings the gap back within limits, the alert clears.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.utils.translation import gettext as _

from wufei.alerts.choices import Rule, Severity
from wufei.alerts.services import Subject, alert_clear, alert_raise
from wufei.iot.choices import Direction, LinkStatus
from wufei.iot.models import WeighTicket
from wufei.iot.rules import Tally
from wufei.iot.thresholds import Thresholds
from wufei.manifests.models import Manifest


def gap_limit(out_kg: Decimal, limits: Thresholds) -> Decimal:
    return max(out_kg * limits["ticket_gap_pct"] / 100, limits["ticket_gap_kg"])


def _latest_pairs(manifest_ids: set[int]) -> dict[int, dict[str, WeighTicket]]:
    """The latest linked ticket of each direction per manifest (one query)."""
    pairs: dict[int, dict[str, WeighTicket]] = {}
    tickets = WeighTicket.objects.filter(
        manifest_id__in=manifest_ids, link_status=LinkStatus.LINKED
    ).order_by("manifest_id", "measured_at", "id")
    for t in tickets.only("manifest_id", "direction", "net_kg", "measured_at", "plate", "site_id"):
        if t.manifest_id is not None:
            pairs.setdefault(t.manifest_id, {})[t.direction] = t
    return pairs


def check_ticket_weights(manifest_ids: Iterable[int], limits: Thresholds) -> Tally:
    ids = set(manifest_ids)
    pairs = {k: v for k, v in _latest_pairs(ids).items() if len(v) == 2}
    manifests = Manifest.objects.in_bulk(list(pairs))
    tally = Tally()
    for pk, pair in pairs.items():
        m = manifests[pk]
        out, inn = pair[Direction.OUT], pair[Direction.IN]
        gap = abs(out.net_kg - inn.net_kg)
        limit = gap_limit(out.net_kg, limits)
        subject = Subject("manifest", str(m.pk), m.number)
        if gap <= limit:
            tally.cleared += alert_clear(
                rule=Rule.TICKET_WEIGHT_GAP,
                subject=subject,
                note=_("复磅后两端净重差 %(gap)s 千克，在允许范围内") % {"gap": gap},
                at=max(out.measured_at, inn.measured_at),
            )
            continue
        alert_raise(
            rule=Rule.TICKET_WEIGHT_GAP,
            subject=subject,
            message=_(
                "出场过磅 %(out)s 千克，进场过磅 %(in)s 千克，差 %(gap)s 千克（限 %(limit)s）"
            )
            % {
                "out": out.net_kg,
                "in": inn.net_kg,
                "gap": gap,
                "limit": limit.quantize(Decimal("0.1")),
            },
            party_id=m.transporter_id,
            region_id=m.region_id,
            stream_id=m.stream_id,
            severity=Severity.CRITICAL if gap > 3 * limit else Severity.WARNING,
            details={
                "number": m.number,
                "out_ticket": out.pk,
                "in_ticket": inn.pk,
                "out_kg": str(out.net_kg),
                "in_kg": str(inn.net_kg),
                "gap_kg": str(gap),
            },
            at=max(out.measured_at, inn.measured_at),
        )
        tally.fired += 1
    return tally
