"""The stream rules' loop: link new weigh tickets, then run every rule over the readings
that arrived since the last run, and move the marks on.

Readings are selected by arrival (``received_at``), not by the device's clock, so a late
message is still looked at once it arrives; each rule then places it by its own timestamp.
Several ingest workers commit out of order (a batch received at 10:00:01 may commit after
one received at 10:00:02), so each run rereads ``overlap_min`` before its mark: the rules
are idempotent (one open alert per rule and subject), so rereading costs a few queries and
raises nothing twice. Marks advance only after every rule ran, so a crash means a re-run.
Run one watcher at a time (the rules are idempotent, two would only waste work).

Every rule is set-based: one query finds what the new readings touch (vehicles, tickets,
manifests, bins), another loads what the rule needs for all of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from wufei.iot.choices import MessageKind
from wufei.iot.links import link_pending
from wufei.iot.models import FillLevel, GpsFix, WatchMark, WeighTicket
from wufei.iot.rules.bins import HISTORY, check_bins
from wufei.iot.rules.corridor import check_corridor
from wufei.iot.rules.hazmat import check_hazmat
from wufei.iot.rules.silence import check_silence
from wufei.iot.rules.stops import check_stops
from wufei.iot.rules.trips import trips_for
from wufei.iot.rules.weights import check_ticket_weights
from wufei.iot.thresholds import Thresholds

WATCHED = (MessageKind.GPS, MessageKind.WEIGH, MessageKind.FILL)


def _arrived(qs: QuerySet, since: datetime, now: datetime) -> QuerySet:
    return qs.filter(received_at__gt=since, received_at__lte=now)


def watch(now: datetime | None = None) -> dict[str, int]:
    """One pass; returns counts (tickets per link outcome, findings and clears per rule)."""
    now = now or timezone.now()
    limits = Thresholds.load()
    overlap = timedelta(minutes=limits.as_float("overlap_min"))
    marks = dict(WatchMark.objects.values_list("kind", "received_until"))

    def since(kind: str) -> datetime:
        mark = marks.get(kind)
        return now - HISTORY if mark is None else mark - overlap

    out: dict[str, int] = {}
    links = link_pending(now=now)
    out.update({f"link_{status}": n for status, n in links.counts.items()})

    vehicles = set(
        _arrived(GpsFix.objects.filter(vehicle__isnull=False), since(MessageKind.GPS), now)
        .order_by()
        .values_list("vehicle_id", flat=True)
        .distinct()
    )
    trips = trips_for(vehicles)
    out["route_deviation"] = check_corridor(trips, limits).fired
    out["suspected_dumping"] = check_stops(trips, limits).fired

    tickets = list(
        _arrived(
            WeighTicket.objects.filter(manifest__isnull=False), since(MessageKind.WEIGH), now
        ).values_list("pk", "manifest_id")
    )
    ticket_ids = {pk for pk, _m in tickets} | links.ticket_ids
    manifest_ids = {m for _pk, m in tickets} | links.manifest_ids
    weights = check_ticket_weights(manifest_ids, limits)
    out["ticket_weight_gap"], out["ticket_weight_gap_cleared"] = weights.fired, weights.cleared
    out["unlicensed_hazmat"] = check_hazmat(ticket_ids, now).fired

    bins = set(
        _arrived(FillLevel.objects.all(), since(MessageKind.FILL), now)
        .order_by()
        .values_list("site_id", "bin_code")
        .distinct()
    )
    full = check_bins(bins, limits, now)
    out["bin_full"], out["bin_full_cleared"] = full.fired, full.cleared
    silent = check_silence(limits, now)
    out["device_silent"], out["device_silent_cleared"] = silent.fired, silent.cleared

    for kind in WATCHED:
        WatchMark.objects.update_or_create(
            kind=kind, defaults={"received_until": now, "updated_at": timezone.now()}
        )
    return out
