"""Smart-bin deposits (IoT ``Deposit`` rows) become household drops.

Each run reads the deposits after a watermark — the highest deposit id already absorbed, read
from the drops themselves (no state of its own), less a small overlap for rows committed late
— and turns them into drops in batches: the community whose registered site the bin stands at,
the station of the bin's device if any, the household whose code or card number the bin read
(or none, kept as 未登记户码 and matched when the household is registered). A deposit is
absorbed once: ``Drop.deposit`` is one-to-one, and rows already absorbed are skipped.

A deposit at a site with no community is counted, reported by site and skipped; once a
community is given that site, the next run absorbs that site's earlier deposits too (it checks,
per community, whether the site's first deposit was absorbed: one indexed look-up each).
``rescan=True`` looks for every unabsorbed deposit at a community's site (a full pass).

The new drops are credited and checked for flags in the same transaction as their batch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from wufei.iot.models import Deposit
from wufei.sorting import flags, points
from wufei.sorting.models import Community, Drop, DropSource, Flag, Household, Station

BATCH = 5000
OVERLAP = 1000  # ids below the watermark reread each run (rows committed out of id order)
FIELDS = ("pk", "site_id", "device_id", "household_code", "waste_class", "weight_kg", "measured_at")

MATCH_CHUNK = 500  # codes per UPDATE when linking kept drops


def watermark() -> int:
    return Drop.objects.aggregate(m=Max("deposit_id"))["m"] or 0


class _Places:
    """Community by site, station by device, read once per run."""

    def __init__(self) -> None:
        self.community = dict(
            Community.objects.filter(site__isnull=False).values_list("site_id", "pk")
        )
        self.station: dict[int, int] = {}
        rows = Station.objects.filter(device__isnull=False).order_by("-is_active", "pk")
        for device_id, station_id in rows.values_list("device_id", "pk"):
            self.station.setdefault(device_id, station_id)


def _households(codes: Iterable[str]) -> dict[str, int]:
    codes = {c.strip().upper() for c in codes if c}
    out: dict[str, int] = {}
    if not codes:
        return out
    rows = Household.objects.filter(Q(code__in=codes) | Q(card_number__in=codes))
    for pk, code, card in rows.values_list("pk", "code", "card_number"):
        out[code] = pk
        if card:
            out.setdefault(card, pk)
    return out


DROP_COLUMNS = (
    "community",
    "station",
    "household",
    "household_code",
    "source",
    "deposit",
    "waste_class",
    "weight_kg",
    "photo",
    "dropped_at",
    "recorded_at",
)


def _insert_drops(lines: list[tuple]) -> None:
    """Insert drops with one prepared statement (the ORM's bulk_create sends ~75 rows per
    statement on SQLite and builds an instance per row)."""
    meta = Drop._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(meta.get_field(name).column)) for name in DROP_COLUMNS)  # type: ignore[union-attr]
    marks = ", ".join(["%s"] * len(DROP_COLUMNS))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, lines)


def _absorb_rows(rows: Sequence[tuple], places: _Places, counts: Counter, now: datetime) -> None:
    """Turn one batch of deposit rows into drops, credit and check them, in one transaction."""
    households = _households(r[3] for r in rows)
    adapt = connection.ops.adapt_datetimefield_value
    recorded = adapt(now)
    lines = []
    for pk, site_id, device_id, code, waste_class, weight, measured_at in rows:
        household_id = households.get((code or "").strip().upper())
        if household_id is None:
            counts["unmatched"] += 1
        lines.append(
            (
                places.community[site_id],
                places.station.get(device_id),
                household_id,
                code,
                DropSource.SMART_BIN.value,
                pk,
                waste_class,
                connection.ops.adapt_decimalfield_value(weight, 7, 2),
                "",
                adapt(measured_at),
                recorded,
            )
        )
    with transaction.atomic():
        _insert_drops(lines)
        # The batch's drops by their deposits' id range (rows come in id order): a range, not a
        # list of thousands of ids, for every query below; drops absorbed before within the
        # range are already credited and checked, and both steps are idempotent.
        new = Drop.objects.filter(deposit_id__gte=rows[0][0], deposit_id__lte=rows[-1][0])
        counts["created"] += len(lines)
        counts["credited"] += points.credit(new, now=now)
        counts["flags"] += flags.check(new, now=now)


def _stale_sites(mark: int, site_ids: list[int]) -> list[int]:
    """Sites of communities whose first deposit (by time) at or below the watermark was never
    absorbed: the community got its site after deposits had arrived there."""
    first = (
        Deposit.objects.filter(site_id=OuterRef("site_id"))
        .order_by("measured_at", "pk")
        .values("pk")[:1]
    )
    rows = (
        Community.objects.filter(site_id__in=site_ids)
        .annotate(first=Subquery(first))
        .filter(first__isnull=False, first__lte=mark)
        .annotate(done=Exists(Drop.objects.filter(deposit_id=OuterRef("first"))))
        .filter(done=False)
    )
    return list(rows.values_list("site_id", flat=True))


def _read(queryset, places: _Places, counts: Counter, now: datetime, limit: int | None) -> None:
    """Absorb ``queryset``'s unabsorbed deposits in id order, batch by batch, up to ``limit``."""
    queryset = queryset.exclude(Exists(Drop.objects.filter(deposit_id=OuterRef("pk"))))
    after = 0
    while limit is None or counts["read"] < limit:
        size = BATCH if limit is None else min(BATCH, limit - counts["read"])
        rows = list(queryset.filter(pk__gt=after).order_by("pk").values_list(*FIELDS)[:size])
        if not rows:
            return
        counts["read"] += len(rows)
        _absorb_rows(rows, places, counts, now)
        after = rows[-1][0]


def absorb_deposits(
    *, limit: int | None = None, rescan: bool = False, now: datetime | None = None
) -> dict:
    """Absorb new deposits (at most ``limit``) into drops, credit and flag them.

    Returns counts: ``read`` (deposits absorbed), ``created`` drops, ``unmatched`` (kept
    without a household), ``skipped`` (deposits after the watermark at sites with no community,
    waiting) with ``skipped_sites`` {site id: count}, ``credited`` drops and new ``flags``."""
    now = now or timezone.now()
    places = _Places()
    counts: Counter = Counter()
    mark = watermark()
    site_ids = sorted(places.community)
    waiting = (
        Deposit.objects.filter(pk__gt=mark)
        .exclude(site_id__in=site_ids)
        .order_by()
        .values_list("site_id")
        .annotate(n=Count("pk"))
    )
    skipped_sites = dict(waiting)
    earlier = site_ids if rescan else _stale_sites(mark, site_ids)
    if earlier:
        older = Deposit.objects.filter(site_id__in=earlier, pk__lte=mark)
        _read(older, places, counts, now, limit)
    newer = Deposit.objects.filter(pk__gt=max(0, mark - OVERLAP), site_id__in=site_ids)
    _read(newer, places, counts, now, limit)
    result: dict = {
        key: counts[key] for key in ("read", "created", "unmatched", "credited", "flags")
    }
    result["skipped"] = sum(skipped_sites.values())
    result["skipped_sites"] = skipped_sites
    return result


def match_unregistered(households: Household | Sequence[Household], *, now=None) -> int:
    """Link the kept drops of codes not registered before (未登记户码) to these newly registered
    households, then credit and check every pending drop of theirs; returns drops linked. A few
    queries per 500 households (a bulk registration of thousands stays a handful of queries)."""
    if isinstance(households, Household):
        households = [households]
    households = list(households)
    if not households:
        return 0
    now = now or timezone.now()
    owner = Household.objects.filter(
        Q(code=OuterRef("household_code")) | Q(card_number=OuterRef("household_code"))
    ).values("pk")[:1]
    linked = 0
    with transaction.atomic():
        for start in range(0, len(households), MATCH_CHUNK):
            chunk = households[start : start + MATCH_CHUNK]
            keys = [h.code for h in chunk] + [h.card_number for h in chunk if h.card_number]
            rows = Drop.objects.filter(household__isnull=True, household_code__in=keys)
            # Linking, not editing: the append-only drop gains the household it always had.
            linked += rows.update(household_id=Subquery(owner))
        if not linked:
            return 0
        ids = [h.pk for h in households]
        Flag.objects.filter(household__isnull=True, drop__household_id__in=ids).update(
            household_id=Subquery(
                Drop.objects.filter(pk=OuterRef("drop_id")).values("household_id")[:1]
            )
        )
        mine = Drop.objects.filter(household_id__in=ids)
        points.credit(mine, now=now)
        flags.check(mine, now=now)
    return linked
