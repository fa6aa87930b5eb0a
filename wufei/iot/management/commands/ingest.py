"""``wufei ingest``: consume the devices' MQTT stream into the database."""

import logging
import multiprocessing
import socket

from django.core.management.base import BaseCommand
from django.db import connections

from wufei.iot.worker import Settings, run_worker


class Command(BaseCommand):
    help = "从 MQTT 代理接收设备报文（共享订阅，提交后确认）。"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1883)
        parser.add_argument("--group", default="wufei", help="shared subscription group")
        parser.add_argument(
            "--client-id",
            default=f"wufei-ingest-{socket.gethostname()}",
            help="stable per worker; a restarted worker resumes its session (-N is appended)",
        )
        parser.add_argument("--workers", type=int, default=1, help="processes on this host")
        parser.add_argument("--batch", type=int, default=2000)
        parser.add_argument("--username")
        parser.add_argument("--password")

    def handle(self, *args, **options):
        logging.getLogger("wufei.iot").setLevel(logging.INFO)  # the root logger says WARNING
        settings = [
            Settings(
                host=options["host"],
                port=options["port"],
                group=options["group"],
                client_id=f"{options['client_id']}-{index}",
                batch=options["batch"],
                username=options["username"],
                password=options["password"],
            )
            for index in range(options["workers"])
        ]
        self.stdout.write(
            f"ingest: {len(settings)} worker(s) on {options['host']}:{options['port']}, "
            f"$share/{options['group']}/wufei/v1/#"
        )
        if len(settings) == 1:
            totals = run_worker(settings[0])
            self.stdout.write(f"stopped: {totals}")
            return
        connections.close_all()  # each process opens its own
        context = multiprocessing.get_context("fork")
        processes = [context.Process(target=run_worker, args=(s,)) for s in settings]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
