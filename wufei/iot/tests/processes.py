"""Ingest workers as real processes against the test database, and a publisher.

On PostgreSQL the worker process connects to the test database itself (the test must use
``transactional_db`` so its fixtures are committed). SQLite's test database lives in the test
process's memory, so it is copied to a file for the workers and copied back afterwards.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import paho.mqtt.client as mqtt
from django.db import connection


class SharedDatabase:
    def __init__(self, tmp_path: Path) -> None:
        self.sqlite = connection.vendor == "sqlite"
        self.file = tmp_path / "ingest.sqlite3"
        self.env = dict(os.environ)
        if self.sqlite:
            connection.ensure_connection()
            target = sqlite3.connect(self.file)
            connection.connection.backup(target)
            target.close()
            self.env.pop("WUFEI_DATABASE_URL", None)
            self.env["WUFEI_SQLITE_PATH"] = str(self.file)
        else:
            s = connection.settings_dict
            self.env["WUFEI_DATABASE_URL"] = (
                f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
            )

    def count(self, sql: str, params: tuple) -> int:
        """A count read straight from what the workers committed (``%s`` placeholders)."""
        if self.sqlite:
            with sqlite3.connect(self.file, timeout=20) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def pull(self) -> None:
        """Bring the workers' writes into the test's database (SQLite only)."""
        if self.sqlite:
            source = sqlite3.connect(self.file)
            source.backup(connection.connection)
            source.close()


class WorkerProcess:
    def __init__(
        self, database: SharedDatabase, broker: tuple[str, int], client_id: str, group: str
    ):
        self.broker, self.client_id = broker, client_id
        self.args = [
            sys.executable,
            "-m",
            "wufei.cli",
            "ingest",
            "--host",
            broker[0],
            "--port",
            str(broker[1]),
            "--client-id",
            client_id,
            "--group",
            group,
            "--batch",
            "100",
        ]
        self.env = database.env
        self.process: subprocess.Popen | None = None
        self.log = database.file.with_name(f"{client_id}.log")

    def start(self, timeout: float = 30.0) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command line
                self.args, env=self.env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + timeout
        while "consuming" not in self.output() or "connected as" not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.output()}")
            time.sleep(0.05)
        time.sleep(0.2)  # the SUBSCRIBE is sent right after CONNACK

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def cleanup(self) -> None:
        """Kill the process if it still runs and end its session at the broker."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        forget_session(self.broker, f"{self.client_id}-0")

    def stop(self) -> str:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(20)
        return self.output()


def forget_session(broker: tuple[str, int], client_id: str) -> None:
    """End a worker's persistent session, so the broker stops keeping messages for it."""
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.connect(*broker, clean_start=True)
    client.disconnect()


def publish(broker: tuple[str, int], messages: Iterable[tuple[str, bytes]]) -> int:
    """Publish at QoS 1 and wait until the broker has acknowledged every message."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.connect(*broker)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()
    return len(infos)


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False
