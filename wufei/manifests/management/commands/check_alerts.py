"""``wufei check-alerts [--now ISO]``: the deadline sweep, meant for cron every 10 minutes."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wufei.alerts.choices import Rule
from wufei.manifests.deadlines import check_deadlines


class Command(BaseCommand):
    help = (
        "Raise alerts for manifests and stored containers past their flow's deadlines "
        "(pick-up, receipt, completion, storage at source) and clear those whose manifest "
        "has moved on; prints the counts per rule. Run it from cron every 10 minutes, e.g. "
        "*/10 * * * * wufei check-alerts"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="check as of this time (ISO 8601, e.g. 2025-03-01T08:00; "
            "without a zone it is Asia/Shanghai time); default: now",
        )

    def handle(self, *args, now=None, **options):
        at = None
        if now:
            try:
                at = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now: not an ISO 8601 time: {now}") from exc
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
        counts = check_deadlines(now=at)
        for rule, count in counts.items():
            label = Rule(rule).label if rule in Rule.values else "cleared (auto-resolved)"
            self.stdout.write(f"{rule}\t{count}\t{label}")
