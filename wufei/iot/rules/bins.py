"""Full and overflowing bins (垃圾桶满溢).

Only each bin's latest reading by the sensor's own clock counts: at or above
``bin_full_pct`` raises a warning, at or above ``bin_overflow_pct`` a critical alert, below
``bin_emptied_pct`` clears (the bin was emptied). Between emptied and full nothing changes,
so a bin hovering at the full line does not flap. Because the latest reading is chosen by
``measured_at``, a late reading from before the pick-up can neither reopen a cleared alert
nor clear an open one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from wufei.alerts.choices import Rule, Severity
from wufei.alerts.services import Subject, alert_clear, alert_raise
from wufei.iot.models import FillLevel
from wufei.iot.rules import Tally
from wufei.iot.thresholds import Thresholds

# No reading older than this is ever accepted (the intake's too-old limit), so it bounds the
# history the latest-per-bin query has to look at.
HISTORY = timedelta(days=90)


def latest_readings(bins: Iterable[tuple[int, str]], now: datetime) -> list[FillLevel]:
    """The newest reading (by measured_at) of each (site, bin code), in one query."""
    wanted = set(bins)
    if not wanted:
        return []
    ranked = (
        FillLevel.objects.filter(
            site_id__in={site for site, _code in wanted},
            bin_code__in={code for _site, code in wanted},
            measured_at__gte=now - HISTORY,
        )
        .select_related("site")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("site_id"), F("bin_code")],
                order_by=[F("measured_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
    )
    return [r for r in ranked if (r.site_id, r.bin_code) in wanted]


def bin_subject(r: FillLevel) -> Subject:
    return Subject("bin", f"{r.site_id}:{r.bin_code}", f"{r.site.name} {r.bin_code}")


def check_bins(bins: Iterable[tuple[int, str]], limits: Thresholds, now: datetime) -> Tally:
    full, overflow = limits.as_float("bin_full_pct"), limits.as_float("bin_overflow_pct")
    emptied = limits.as_float("bin_emptied_pct")
    tally = Tally()
    for r in latest_readings(bins, now):
        if r.percent < emptied:
            tally.cleared += alert_clear(
                rule=Rule.BIN_FULL,
                subject=bin_subject(r),
                note=_("满溢度降至 %(pct).0f%%，已清运") % {"pct": r.percent},
                at=r.measured_at,
            )
        elif r.percent >= full:
            critical = r.percent >= overflow
            alert_raise(
                rule=Rule.BIN_FULL,
                subject=bin_subject(r),
                message=(
                    _("垃圾桶已溢出（%(pct).0f%%）") if critical else _("垃圾桶将满（%(pct).0f%%）")
                )
                % {"pct": r.percent},
                party_id=r.site.party_id,
                region_id=r.site.region_id,
                severity=Severity.CRITICAL if critical else Severity.WARNING,
                details={
                    "site": r.site_id,
                    "bin": r.bin_code,
                    "percent": round(r.percent, 1),
                    "lat": float(r.site.lat) if r.site.lat is not None else None,
                    "lon": float(r.site.lon) if r.site.lon is not None else None,
                },
                at=r.measured_at,
            )
            tally.fired += 1
    return tally
