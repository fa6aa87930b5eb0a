from django.core.management.base import BaseCommand, CommandError

from wufei.core import health


class Command(BaseCommand):
    help = "检查数据库与 MQTT 消息服务是否可用 / Check the database and the MQTT broker."

    def add_arguments(self, parser):
        parser.add_argument("--require-mqtt", action="store_true", help="fail if broker is down")
        parser.add_argument("--mqtt-url", default=None, help="default: $WUFEI_MQTT_URL or local")
        parser.add_argument("--require-postgres", metavar="URL", help="fail unless URL answers")

    def handle(self, *args, **options):
        failures = []
        checks = [("database", health.check_database, ())]
        checks.append(("mqtt", health.check_mqtt, (options["mqtt_url"],)))
        if options["require_postgres"]:
            checks.append(("postgres", health.check_postgres_url, (options["require_postgres"],)))
        for name, check, args in checks:
            try:
                self.stdout.write(f"ok    {check(*args)}")
            except Exception as exc:  # report any failure of the service, whatever it is
                required = name != "mqtt" or options["require_mqtt"]
                self.stdout.write(f"{'FAIL' if required else 'warn'}  {name}: {exc}")
                if required:
                    failures.append(name)
        if failures:
            raise CommandError(f"required services unavailable: {', '.join(failures)}")
