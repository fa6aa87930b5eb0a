"""``wufei credit --year 2020 [--today …] [--load-rules]``: evaluate every enterprise's
environmental credit for the year (recomputing replaces) and print the count per level."""

from collections import Counter
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wufei.core.errors import WufeiError
from wufei.plan import credit


class Command(BaseCommand):
    help = "Evaluate the enterprise environmental credit (企业环境信用) for a year."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int)
        parser.add_argument("--today", type=date.fromisoformat)
        parser.add_argument("--load-rules", action="store_true", help="load the shipped rules")

    def handle(self, *args, **opts):
        if opts["load_rules"]:
            self.stdout.write(f"loaded {credit.load_credit_rules()} credit rules")
        if opts["year"] is None:
            if opts["load_rules"]:
                return
            raise CommandError("give --year")
        try:
            scores = credit.credit_evaluate(
                year=opts["year"], today=opts["today"] or timezone.localdate()
            )
        except WufeiError as exc:
            raise CommandError("; ".join(e.message for e in exc.errors)) from exc
        levels = Counter(s.level for s in scores)
        self.stdout.write(
            f"{len(scores)} parties: " + ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))
        )
