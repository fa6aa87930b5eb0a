"""``wufei reports-escalate``: escalate residents' reports past their stage's time limit and
close answered reports their reporters did not rate in time. Run it every few minutes (cron);
running it twice in a due period changes nothing the second time."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wufei.cases.reports import escalate_overdue


class Command(BaseCommand):
    help = "群众举报超时督办与逾期未评价自动办结（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="以此时间为当前时间（ISO 8601，如 2020-06-01T08:00:00+08:00；演示与补跑用）",
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options.get("now"):
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as exc:
                raise CommandError(f"--now 格式不正确：{options['now']}") from exc
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        counts = escalate_overdue(now=now)
        self.stdout.write(f"督办 {counts['escalated']} 件，自动办结 {counts['closed']} 件。")
