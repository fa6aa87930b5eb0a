import subprocess
import sys
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
from wufei.iot.simulator import broker_reachable

# The devices beside the server, as child processes: the ingest worker and the simulator
# (both talk to the broker), the stream rules' watcher (alerts, weigh-ticket links) and the
# sorting absorber (smart bins' deposits become households' drops and points).
DEVICE_COMMANDS = (
    (("ingest",), True),
    (("simulate_devices", "--rate", "20"), True),
    (("iot_watch", "--every", "30"), False),
    (("sorting_absorb", "--follow", "--interval", "10"), False),
)


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
        parser.add_argument(
            "--no-devices",
            action="store_true",
            help="do not start the ingest worker and the device simulator",
        )
        parser.add_argument("--mqtt-host", default="127.0.0.1")
        parser.add_argument("--mqtt-port", type=int, default=1883)

    def handle(self, *args, scale, seed, port, no_serve, no_devices, **options):
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
            if no_devices:
                self.stdout.write(_("未启动设备模拟（--no-devices）。"))
            children = [] if no_devices else self.start_devices(**options)
            try:
                call_command(
                    "runserver", f"127.0.0.1:{port}", use_reloader=False, use_static_handler=False
                )
            finally:
                for child in children:
                    child.terminate()
                for child in children:
                    child.wait(timeout=10)

    def start_devices(self, *, mqtt_host, mqtt_port, **options) -> list[subprocess.Popen]:
        """Start ``wufei ingest`` and ``wufei simulate-devices`` when the broker answers, so the
        live map and the device pages move; say so either way."""
        if not broker_reachable(mqtt_host, mqtt_port):
            self.stdout.write(
                _("未连接到 MQTT 代理 %(host)s:%(port)s：不启动设备模拟（可先启动 mosquitto）。")
                % {"host": mqtt_host, "port": mqtt_port}
            )
            return []
        broker = ("--host", mqtt_host, "--port", str(mqtt_port))
        log_path = Path(settings.VAR_DIR) / "devices.log"
        log = log_path.open("ab")
        children = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and command, no user input
                [sys.executable, "-m", "wufei.cli", *command, *(broker if talks else ())],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for command, talks in DEVICE_COMMANDS
        ]
        log.close()  # the children hold their own handles
        self.stdout.write(
            _("已启动设备接收、模拟与预警规则进程（%(host)s:%(port)s，20 条/秒），日志：%(log)s")
            % {"host": mqtt_host, "port": mqtt_port, "log": log_path}
        )
        return children
