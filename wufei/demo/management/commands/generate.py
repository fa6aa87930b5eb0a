from time import perf_counter

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wufei.core.errors import WufeiError
from wufei.demo.figures import SCALES
from wufei.demo.report import counts_table
from wufei.demo.services import city_generate, city_reset, current_generation


class Command(BaseCommand):
    help = "生成演示城市许昌（确定性合成数据）/ Generate the synthetic demo city of Xuchang."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="city")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument(
            "--reset",
            action="store_true",
            help="先删除此前生成的数据（参考数据保留）/ remove the generated rows first",
        )
        parser.add_argument(
            "--no-derive",
            action="store_true",
            help="不计算汇总、指标与预测（由定时任务完成）/ leave rollups, indicators and "
            "forecasts to the nightly jobs",
        )

    def handle(self, *args, scale, seed, reset, no_derive, **options):
        started = perf_counter()
        try:
            if reset and current_generation() is not None:
                removed = city_reset(actor=None)
                self.stdout.write(_("已删除此前生成的数据："))
                self.stdout.write(counts_table(removed))
            generation = city_generate(actor=None, scale=scale, seed=seed, derive=not no_derive)
        except WufeiError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(counts_table(generation.counts))
        self.stdout.write(
            _("规模 %(scale)s，种子 %(seed)s：生成 %(seconds).2f 秒，总计 %(total).2f 秒。")
            % {
                "scale": scale,
                "seed": seed,
                "seconds": generation.seconds,
                "total": perf_counter() - started,
            }
        )
