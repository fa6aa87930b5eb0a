"""``wufei iot-watch [--once] [--every SECONDS]``: link weigh tickets and run the stream
alert rules over what arrived since the last pass."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from wufei.iot.watch import watch


class Command(BaseCommand):
    help = (
        "Link pending weigh tickets to their manifests and run the IoT alert rules (route "
        "deviation, suspected dumping, two-end weight gap, unlicensed hazardous transport, "
        "full bins, silent devices) over the readings received since the last pass. Runs "
        "every --every seconds (default 60) until stopped, or once with --once (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--every", type=float, default=60.0, help="seconds between passes")

    def handle(self, *args, once=False, every=60.0, **options):
        if every <= 0:
            raise CommandError("--every must be positive")
        while True:
            started = time.monotonic()
            counts = watch()
            self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items() if v))
            self.stdout.flush()
            if once:
                return
            close_old_connections()
            time.sleep(max(0.0, every - (time.monotonic() - started)))
