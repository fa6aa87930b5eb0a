"""``wufei balance --year 2020 [--region ADCODE] [--format xlsx|docx|table] [--output FILE]``:
the disposal-capacity balance table as the city's annex (a file) or as text."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.stats.balance import balance_table
from wufei.stats.balance_export import write_docx, write_text, write_xlsx
from wufei.trace.management.commands.trace import CONSOLE

WRITERS = {"xlsx": write_xlsx, "docx": write_docx}


class Command(BaseCommand):
    help = "Print or write the disposal-capacity balance table of a year and region."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--region", help="adcode of the city or a county (default: the city)")
        parser.add_argument("--format", choices=["xlsx", "docx", "table"], default="table")
        parser.add_argument("--output", help="file to write (default: the title)")
        parser.add_argument("--annex", default="1", help="附件 number printed above the title")

    def handle(self, *args, **options):
        regions = Region.objects.defer("boundary")
        if options["region"]:
            region = regions.filter(adcode=options["region"]).first()
        else:
            region = regions.filter(level=RegionLevel.CITY).order_by("adcode").first()
        if region is None:
            raise CommandError(_("区划不存在：%s") % (options["region"] or ""))
        table = balance_table(actor=CONSOLE, year=options["year"], region=region)
        kind = options["format"]
        if kind == "table":
            text = write_text(table)
            if options["output"]:
                Path(options["output"]).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text, ending="")
            return
        path = Path(options["output"] or f"{table.title}.{kind}")
        path.write_bytes(WRITERS[kind](table, annex=options["annex"]))
        self.stdout.write(_("已写入 %s") % path)
