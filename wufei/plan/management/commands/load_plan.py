from django.core.management.base import BaseCommand

from wufei.plan.loading import load_plan


class Command(BaseCommand):
    help = (
        "载入实施方案的任务领域、25 项任务与责任单位 / "
        "Load the plan's areas, tasks and units (idempotent)."
    )

    def handle(self, *args, **options):
        counts = load_plan()
        self.stdout.write(", ".join(f"{name} {n}" for name, n in counts.items()))
