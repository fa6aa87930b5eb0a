from django.core.management.base import BaseCommand

from wufei.accounts.departments import load_departments
from wufei.registry.reference import load_code_lists, load_regions


class Command(BaseCommand):
    help = (
        "重新载入行政区划、边界与废物代码表 / Reload regions, boundaries, code lists (idempotent)."
    )

    def handle(self, *args, **options):
        from django.apps import apps

        regions = load_regions()
        counts = load_code_lists()
        departments = load_departments(apps.get_model)
        self.stdout.write(f"regions {regions}, departments {departments}, code lists {counts}")
