"""``wufei indicators --year 2020 [--region ADCODE] [--format table|xlsx|docx] [--output FILE]``:
recompute a year's indicator values, then print or write the indicator report."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from wufei.registry.models import Region
from wufei.stats import indicator_report as report
from wufei.stats.indicator_catalogue import load_catalogue
from wufei.stats.indicators import YEARS, recompute_values
from wufei.stats.models import IndicatorTarget, IndicatorValue

FORMATS = ("table", "xlsx", "docx")


class Command(BaseCommand):
    help = "Recompute a year's indicator values and print or write the indicator report."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--region", default="", help="adcode (default: the city)")
        parser.add_argument("--format", choices=FORMATS, default="table")
        parser.add_argument("--output", default="", help="file to write (default: stdout)")
        parser.add_argument("--catalogue", default="", help="2019-trial, 2021, common or custom")
        parser.add_argument(
            "--reload-catalogue", action="store_true", help="reload the shipped catalogue first"
        )

    def handle(self, *args, **options) -> None:
        year = options["year"]
        if year not in YEARS:
            raise CommandError("--year must be between 2000 and 2100")
        region = self._region(options["region"])
        if options["reload_catalogue"]:
            count = load_catalogue()
            self.stderr.write(f"catalogue: {count} indicators loaded")
        stored = recompute_values(year)
        self.stderr.write(f"{year}: {stored} values recomputed")
        rows = report.report_rows(
            year=year,
            region=region,
            values=IndicatorValue.objects.all(),
            targets=IndicatorTarget.objects.all(),
            catalogue=options["catalogue"],
        )
        fmt = options["format"]
        if fmt == "table":
            content: bytes = report.to_text(rows, year=year, region=region).encode("utf-8")
        elif fmt == "xlsx":
            content = report.to_xlsx(rows, year=year, region=region, catalogue=options["catalogue"])
        else:
            content = report.to_docx(rows, year=year, region=region, catalogue=options["catalogue"])
        output = options["output"]
        if output:
            Path(output).write_bytes(content)
            self.stderr.write(f"written {output} ({len(rows)} indicators)")
        elif fmt == "table":
            self.stdout.write(content.decode("utf-8"), ending="")
        else:
            raise CommandError(f"--format {fmt} needs --output FILE")

    @staticmethod
    def _region(adcode: str) -> Region:
        regions = Region.objects.defer("boundary")
        region = (
            regions.filter(adcode=adcode).first()
            if adcode
            else regions.filter(parent__isnull=True).order_by("adcode").first()
        )
        if region is None:
            raise CommandError(f"no region {adcode or '(city)'}")
        return region
