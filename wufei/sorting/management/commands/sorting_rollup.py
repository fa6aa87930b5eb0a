"""``wufei sorting-rollup [--since DATE] [--until DATE]``: rebuild the daily sorting rollup
(CommunityDay) from the drops: every day, or the local days from ``--since`` on. Run it from
cron after the drops of a day are in, e.g. ``15 1 * * * wufei sorting-rollup --since yesterday``."""

from __future__ import annotations

import time
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wufei.sorting.rollup import rebuild


def _day(text: str | None) -> date | None:
    if not text:
        return None
    today = timezone.localdate()
    named = {"today": today, "yesterday": today - timedelta(days=1)}
    if text in named:
        return named[text]
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD, today or yesterday): {text}") from exc


class Command(BaseCommand):
    help = "Rebuild the daily household-sorting rollup (CommunityDay) from the drops."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="first local day to rebuild (YYYY-MM-DD, yesterday)")
        parser.add_argument("--until", help="last local day to rebuild (default: open)")

    def handle(self, *args, **options):
        start, end = _day(options.get("since")), _day(options.get("until"))
        if start and end and start > end:
            raise CommandError("--since is after --until")
        began = time.perf_counter()
        rows = rebuild(start=start, end=end)
        span = f"{start or '…'} – {end or '…'}"
        self.stdout.write(
            f"sorting rollup {span}: {rows} rows in {time.perf_counter() - began:.2f} s"
        )
