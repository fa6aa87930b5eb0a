"""``wufei plan-routes --stream household --date 2020-09-15 --county 411002 [--budget 10]``:
plan one stream's collection in a county for a day, store the plan, print its summary."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wufei.core.errors import WufeiError
from wufei.routing import services
from wufei.routing.choices import PlanStream


class Command(BaseCommand):
    help = "规划一类废物在一个县（市、区）某一天的收运路线，保存方案并打印摘要。"

    def add_arguments(self, parser):
        parser.add_argument("--stream", required=True, choices=PlanStream.values)
        parser.add_argument("--date", required=True, type=date.fromisoformat)
        parser.add_argument("--county", required=True, help="区划代码，如 411002")
        parser.add_argument("--budget", type=float, default=10.0, help="求解时限（秒）")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        try:
            plan = services.plan_routes(
                actor=None,
                stream=options["stream"],
                county=options["county"],
                day=options["date"],
                budget_s=options["budget"],
                seed=options["seed"],
            )
        except WufeiError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(summary(plan))


def summary(plan) -> str:
    lines = [
        _("方案 %(pk)s：%(plan)s，%(status)s")
        % {"pk": plan.pk, "plan": plan, "status": plan.get_status_display()},
        _("线路 %(routes)s 条，收集点 %(served)s/%(total)s，里程 %(km).1f 千米，成本 %(cost).2f 元")
        % {
            "routes": plan.routes.count(),
            "served": plan.stops_served,
            "total": plan.stops_total,
            "km": plan.distance_m / 1000,
            "cost": plan.cost / 100,
        },
    ]
    if plan.baseline_cost is not None:
        lines.append(
            _("现行线路：里程 %(km).1f 千米，成本 %(cost).2f 元；节约 %(saving)s%%")
            % {
                "km": (plan.baseline_distance_m or 0) / 1000,
                "cost": plan.baseline_cost / 100,
                "saving": plan.saving_pct if plan.saving_pct is not None else "—",
            }
        )
    for item in plan.unplannable:
        lines.append(_("未能规划：%(key)s [%(code)s] %(message)s") % item)
    for item in plan.violations:
        lines.append(_("校验问题：[%(code)s] %(message)s") % item)
    return "\n".join(lines) + "\n"
