"""``wufei assess --start 2020-01-01 --end 2020-03-31 [--today …] [--load-rules]``: compute
the unit scores of a period (recomputing replaces), or ``--quarter 2020Q1`` / ``--year 2020``."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wufei.core.errors import WufeiError
from wufei.plan import assessment


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = "Compute the assessment scores (考核得分) of every unit for a period."

    def add_arguments(self, parser):
        parser.add_argument("--start", type=_day)
        parser.add_argument("--end", type=_day)
        parser.add_argument("--year", type=int)
        parser.add_argument("--quarter", help="e.g. 2020Q3")
        parser.add_argument("--today", type=_day, help="the day the scores are judged on")
        parser.add_argument("--load-rules", action="store_true", help="load the shipped rules")

    def handle(self, *args, **opts):
        if opts["load_rules"]:
            n = assessment.load_scoring_rules()
            self.stdout.write(f"loaded {n} scoring rules")
        start, end = opts["start"], opts["end"]
        if opts["year"]:
            start, end = date(opts["year"], 1, 1), date(opts["year"], 12, 31)
        elif opts["quarter"]:
            try:
                year, q = opts["quarter"].upper().split("Q")
                first = date(int(year), 3 * int(q) - 2, 1)
            except ValueError as exc:
                raise CommandError("--quarter looks like 2020Q3") from exc
            start, end = assessment.quarters(first, first)[0]
        if start is None or end is None:
            if opts["load_rules"]:
                return
            raise CommandError("give --start and --end, --year or --quarter")
        try:
            scores = assessment.assess(
                period_start=start, period_end=end, today=opts["today"] or timezone.localdate()
            )
        except WufeiError as exc:
            raise CommandError("; ".join(e.message for e in exc.errors)) from exc
        for s in sorted(scores, key=lambda s: (s.unit.kind, s.rank or 0)):
            self.stdout.write(f"{s.rank:>3} {s.total:>7} {s.unit.name}")
