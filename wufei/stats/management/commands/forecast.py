"""``wufei forecast [--region ADCODE ...] [--as-of YYYY-MM-DD]``: refit the generation
forecasts (every region and top-level stream by default) and print what each got."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wufei.registry.models import Region
from wufei.stats.forecasts import refit


class Command(BaseCommand):
    help = "Refit the monthly generation forecasts per region and top-level stream."

    def add_arguments(self, parser):
        parser.add_argument("--region", action="append", help="adcode (repeatable); default all")
        parser.add_argument(
            "--as-of", type=date.fromisoformat, help="history ends the month before"
        )

    def handle(self, *args, **options):
        regions = None
        if options["region"]:
            regions = list(Region.objects.defer("boundary").filter(adcode__in=options["region"]))
            missing = set(options["region"]) - {r.adcode for r in regions}
            if missing:
                raise CommandError(_("区划不存在：%s") % "、".join(sorted(missing)))
        results = refit(regions, as_of=options["as_of"])
        fitted = [r for r in results if r.method is not None]
        for r in fitted:
            mape = (
                "—" if r.backtest is None or r.backtest.mape is None else f"{r.backtest.mape:.2f}%"
            )
            months = r.backtest.months if r.backtest else 0
            self.stdout.write(
                f"{r.region.name}\t{r.stream.name}\t{r.method}\t"
                + _("历史 %(n)s 个月（至 %(end)s），回测 %(m)s 个月 MAPE %(mape)s")
                % {
                    "n": r.history_months,
                    "end": f"{r.history_end:%Y-%m}",
                    "m": months,
                    "mape": mape,
                }
            )
        self.stdout.write(
            _("已拟合 %(n)s 组预测；%(empty)s 组无历史数据。")
            % {"n": len(fitted), "empty": len(results) - len(fitted)}
        )
