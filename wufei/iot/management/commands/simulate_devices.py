"""``wufei simulate-devices``: publish believable device streams from the registered devices."""

from __future__ import annotations

import threading

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from wufei.iot.simulator import (
    FAULTS,
    BrokerUnavailable,
    Simulator,
    load_world,
    publish,
)

FAULT_LABELS = {
    "bad_json": "bad JSON",
    "unknown_device": "unknown device",
    "clock_skew": "clock skew",
    "duplicate": "duplicate",
}


class Command(BaseCommand):
    help = (
        "模拟设备上报：按登记的车辆、地磅、满溢传感器和智能分类箱发布 MQTT 报文 / "
        "Publish realistic device messages (QoS 1, MQTT 5) from the registered devices."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rate", type=float, default=20.0, help="messages/s (0: unpaced)")
        until = parser.add_mutually_exclusive_group()
        until.add_argument("--duration", type=float, help="seconds to run (default: forever)")
        until.add_argument("--count", type=int, help="messages to send")
        parser.add_argument("--faults", type=float, default=0.0, help="share of faulty messages")
        parser.add_argument("--seed", type=int, default=2020)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=1883)

    def handle(self, *args, rate, duration, count, faults, seed, host, port, **options):
        if rate < 0 or not 0 <= faults <= 1 or (count is not None and count < 0):
            raise CommandError(_("参数无效：速率不能为负，故障比例须在 0 到 1 之间。"))
        world = load_world(seed=seed)
        devices = world.counts()
        if not (world.trucks or world.bins or world.smart_bins):
            raise CommandError(_("数据库中没有可模拟的设备（请先生成演示城市）。"))
        self.stdout.write(
            _(
                "模拟设备：车辆 %(gps)s 辆、地磅 %(weigh)s 台、满溢传感器 %(fill)s 个、"
                "智能分类箱 %(deposit)s 个 → %(host)s:%(port)s，%(rate)s 条/秒"
            )
            % {**devices, "host": host, "port": port, "rate": rate or "∞"}
        )
        simulator = Simulator(world, seed=seed, faults=faults)
        stop = threading.Event()
        try:
            result = publish(
                simulator,
                host=host,
                port=port,
                rate=rate,
                count=count,
                duration=duration,
                stop=stop,
            )
        except BrokerUnavailable as exc:
            raise CommandError(_("无法连接 MQTT 代理：%(error)s") % {"error": exc}) from exc
        except KeyboardInterrupt:
            stop.set()
            self.stdout.write(self.summary(simulator.tally, None))
            return
        self.stdout.write(self.summary(result.tally, result))

    @staticmethod
    def summary(tally, result) -> str:
        kinds = "  ".join(f"{kind} {n}" for kind, n in sorted(tally.sent.items()))
        faults = "  ".join(f"{FAULT_LABELS[f]} {tally.faults[f]}" for f in FAULTS)
        lines = [
            _("已发送 %(total)s 条：%(kinds)s") % {"total": tally.total, "kinds": kinds},
            _("其中故障 %(n)s 条：%(faults)s")
            % {"n": sum(tally.faults.values()), "faults": faults},
        ]
        if result is not None:
            lines.append(
                _("用时 %(s).1f 秒（%(rate).1f 条/秒），未获代理确认 %(unacked)s 条")
                % {"s": result.seconds, "rate": result.rate, "unacked": result.unacknowledged}
            )
        return "\n".join(lines)
