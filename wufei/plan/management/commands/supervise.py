from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wufei.plan.supervision import supervise


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today: {value!r} is not YYYY-MM-DD") from exc


class Command(BaseCommand):
    help = (
        "按督办规则下发、升级督办通知并刷新任务状态（每日运行） / "
        "Raise and escalate supervision notices and refresh task statuses (run daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--today", type=_day, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, **options):
        today = options["today"] or timezone.localdate()
        counts = supervise(today=today)
        self.stdout.write(", ".join(f"{name} {n}" for name, n in counts.items()))
