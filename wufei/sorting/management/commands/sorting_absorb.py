"""``wufei sorting-absorb [--follow] [--interval 5] [--limit N] [--rescan]``: turn smart-bin
deposits into household drops, credit their points and check them for flags."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from wufei.sorting.absorb import absorb_deposits


class Command(BaseCommand):
    help = (
        "Turn the IoT deposits received since the last run into household drops (one per "
        "deposit, never two), credit their points and raise anti-gaming flags. Deposits at "
        "sites with no sorting community are counted and retried on later runs. Runs once, or "
        "every --interval seconds with --follow until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--follow", action="store_true", help="keep running")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between runs")
        parser.add_argument("--limit", type=int, default=None, help="deposits per run at most")
        parser.add_argument(
            "--rescan",
            action="store_true",
            help="also look for every earlier deposit not absorbed (a full pass)",
        )

    def handle(self, *args, follow=False, interval=5.0, limit=None, rescan=False, **options):
        if interval <= 0:
            raise CommandError("--interval must be positive")
        if limit is not None and limit <= 0:
            raise CommandError("--limit must be positive")
        while True:
            started = time.monotonic()
            result = absorb_deposits(limit=limit, rescan=rescan)
            rescan = False
            sites = result.pop("skipped_sites")
            line = " ".join(f"{k}={v}" for k, v in result.items())
            if sites:
                line += " skipped_sites=" + ",".join(f"{s}:{n}" for s, n in sorted(sites.items()))
            self.stdout.write(line)
            self.stdout.flush()
            if not follow:
                return
            close_old_connections()
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
