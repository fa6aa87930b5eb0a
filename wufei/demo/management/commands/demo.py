from pathlib import Path
from time import perf_counter

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wufei.core.errors import WufeiError
from wufei.demo.figures import SCALES
from wufei.demo.logins import demo_logins_ensure, login_rows
from wufei.demo.report import counts_table, table
from wufei.demo.services import city_generate, current_generation


class Command(BaseCommand):
    help = (
        "一键演示：迁移数据库、生成演示城市（已有则复用）、创建演示账号并启动服务 / "
        "Migrate, generate the demo city once, ensure the demo logins, serve."
    )

    # Checks run once, by runserver, before serving; skipping them here lets --no-serve and
    # the second start return in about a second.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=list(SCALES), default="city")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve", action="store_true", help="stop after printing the logins"
        )

    def handle(self, *args, scale, seed, port, no_serve, **options):
        started = perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        generation = current_generation()
        if generation is None:
            self.stdout.write(
                _("正在生成演示城市（规模 %(scale)s，种子 %(seed)s）……")
                % {"scale": scale, "seed": seed}
            )
            try:
                generation = city_generate(actor=None, scale=scale, seed=seed, derive=True)
            except WufeiError as exc:
                raise CommandError(str(exc.message)) from exc
            self.stdout.write(counts_table(generation.counts))
        else:
            self.stdout.write(
                _("使用已生成的演示城市（规模 %(scale)s，种子 %(seed)s）。")
                % {"scale": generation.scale, "seed": generation.seed}
            )
        users = demo_logins_ensure(generation=generation)
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write("")
        self.stdout.write(table((_("用户名"), _("角色"), _("范围"), _("密码")), login_rows(users)))
        self.stdout.write("")
        self.stdout.write(
            _("地址：%(url)s（准备用时 %(seconds).1f 秒）")
            % {"url": url, "seconds": perf_counter() - started}
        )
        if not no_serve:
            # WhiteNoise serves the files through the finders; an empty STATIC_ROOT only
            # keeps it from warning that the directory is missing.
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
            call_command(
                "runserver", f"127.0.0.1:{port}", use_reloader=False, use_static_handler=False
            )
