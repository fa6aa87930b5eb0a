"""``wufei rollup``: rebuild the dirty rollup slices (cron, every few minutes);
``wufei rollup --rebuild [--year Y]``: rebuild everything (or one year) from the raw records."""

from django.core.management.base import BaseCommand, CommandError

from wufei.stats.rollups import rebuild, refresh


class Command(BaseCommand):
    help = (
        "Rebuild the daily and monthly statistics rollups of the (county, day) slices whose "
        "manifests or declarations changed since the last run; with --rebuild, rebuild all of "
        "them (or those of --year) from the raw records. Run it from cron, e.g. "
        "*/5 * * * * wufei rollup"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild", action="store_true", help="rebuild everything from the raw records"
        )
        parser.add_argument("--year", type=int, help="with --rebuild: only this year's days")

    def handle(self, *args, year=None, **options):
        if options["rebuild"]:
            built = rebuild(year)
            scope = f"year {year}" if year else "all years"
            self.stdout.write(
                f"rebuilt {scope}: {built.days} daily rows, {built.months} monthly rows "
                f"in {built.seconds:.2f} s"
            )
            return
        if year is not None:
            raise CommandError("--year goes with --rebuild")
        result = refresh()
        years = ", ".join(str(y) for y in result.years) or "-"
        self.stdout.write(
            f"refreshed {result.slices} slices, {result.months} county-months; years: {years}"
        )
