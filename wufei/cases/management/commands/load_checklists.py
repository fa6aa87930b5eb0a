"""``wufei load-checklists``: load or refresh the inspection checklists from the data file."""

from django.core.management.base import BaseCommand
from django.db import transaction

from wufei.cases.checklists import load_checklists


class Command(BaseCommand):
    help = "载入检查表（wufei/cases/data/checklists.json）。"

    def handle(self, *args, **options):
        with transaction.atomic():
            counts = load_checklists()
        self.stdout.write(f"检查表 {counts['checklists']} 张，检查项 {counts['items']} 项。")
