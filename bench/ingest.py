"""Sustained IoT ingest: broker → committed rows in PostgreSQL, beside the broker's own rate.

In one run, for the same message files (GPS fixes and fill levels of registered devices,
published at QoS 1 by ``mosquitto_pub -l`` processes, one per device):

1. **broker**: ``mosquitto_sub -q 1`` (C) to /dev/null receives all N — the broker's own
   delivery rate with the publishers on the same two cores;
2. **wufei ingest**: 1 and 2 worker processes on one shared subscription; the clock stops when
   ``SELECT count(*)`` sees all N committed (readings are acknowledged only after commit);
3. **backlog**: the same workers started on a backlog already sitting at the broker (the worker
   is stopped with SIGSTOP while the messages arrive, then continued): the consumer's own rate.

Prints messages/s and the ratio to the broker's rate. A database ``wufei_bench_ingest`` is
created and migrated on first use (``--fresh`` recreates it) and dropped with ``--drop``.

The run uses its own Mosquitto on port 18831 with no queue limit: a stock broker keeps at most
1,000 queued messages per client (``max_queued_messages``) and drops the rest when publishers
outrun a subscriber, which would measure the drop policy instead of the rate. Production
settings are in docs/iot.md.

    .venv/bin/python bench/ingest.py --messages 200000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = "wufei_bench_ingest"
WUFEI = [sys.executable, "-m", "wufei.cli"]
DEVICES = 8  # publishers: 4 GPS terminals and 4 bin sensors
MOSQUITTO_PUB = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
MOSQUITTO_SUB = shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PORT = "18831"
BROKER_CONF = f"listener {PORT} 127.0.0.1\nallow_anonymous true\npersistence false\n" + (
    "max_queued_messages 0\nmax_inflight_messages 0\n"
)


def sh(args: list[str], env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, check=True, cwd=ROOT, **kwargs)  # noqa: S603


def prepare_database(env: dict, fresh: bool) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    print("migrating …", flush=True)
    sh([*WUFEI, "migrate", "-v", "0"], env)
    code = (  # the devices, once per database
        "from wufei.registry.tests import factories as f\n"
        "from wufei.registry.models import Device\n"
        "if not Device.objects.filter(serial__startswith='BENCH').exists():\n"
        "    site = f.SiteFactory(kind='community')\n"
        f"    for n in range({DEVICES // 2}):\n"
        "        f.DeviceFactory(kind='gps', serial=f'BENCHGPS{n:04d}', party=site.party)\n"
        "        f.DeviceFactory(\n"
        "            kind='bin_sensor', serial=f'BENCHFILL{n:04d}', site=site, party=site.party\n"
        "        )\n"
    )
    sh([*WUFEI, "shell", "-c", code], env)


def message_files(folder: Path, total: int) -> list[tuple[str, Path]]:
    """One file per device: one JSON payload per line, ids unique to this run."""
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC).isoformat()
    per_device = total // DEVICES
    files = []
    for n in range(DEVICES):
        kind = "gps" if n % 2 == 0 else "fill"
        serial = f"BENCH{kind.upper()}{n // 2:04d}"
        path = folder / f"{serial}-{run}.jsonl"
        with path.open("w") as out:
            for i in range(per_device):
                body = {"id": f"{run}-{i}", "ts": now}
                if kind == "gps":
                    body |= {
                        "lat": 34.03 + i * 1e-6,
                        "lon": 113.85,
                        "speed_kmh": 31.5,
                        "heading": 90,
                    }
                else:
                    body |= {"bin": "B1", "percent": float(i % 100), "temperature_c": 20.5}
                out.write(json.dumps(body, separators=(",", ":")) + "\n")
        files.append((f"wufei/v1/{kind}/{serial}", path))
    return files


def publish(files: list[tuple[str, Path]]) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(  # noqa: S603
            [MOSQUITTO_PUB, "-p", PORT, "-V", "5", "-q", "1", "-M", "1000", "-t", topic, "-l"],
            stdin=path.open("rb"),
        )
        for topic, path in files
    ]


def broker_rate(files, total: int) -> float:
    sub = subprocess.Popen(  # noqa: S603
        [
            MOSQUITTO_SUB,
            "-p",
            PORT,
            "-V",
            "5",
            "-D",
            "connect",
            "receive-maximum",
            "65535",
            "-q",
            "1",
            "-t",
            "wufei/v1/#",
            "-C",
            str(total),
        ],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    started = time.perf_counter()
    publishers = publish(files)
    sub.wait()
    elapsed = time.perf_counter() - started
    for p in publishers:
        p.wait()
    return total / elapsed


def count(conn) -> int:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM iot_gpsfix) + (SELECT count(*) FROM iot_filllevel)"
    ).fetchone()
    return row[0]


def start_workers(env: dict, workers: int, run: str) -> subprocess.Popen:
    log = open(tempfile.mktemp(suffix=".log"), "w")  # noqa: SIM115, S306
    process = subprocess.Popen(  # noqa: S603
        [
            *WUFEI,
            "ingest",
            "--port",
            PORT,
            "--workers",
            str(workers),
            "--client-id",
            f"bench-{run}",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = Path(log.name).read_text()
        if text.count("connected as") >= workers:
            return process
        time.sleep(0.1)
    raise RuntimeError(Path(log.name).read_text())


def stop_workers(process: subprocess.Popen, workers: int, run: str) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(60)
    import paho.mqtt.client as mqtt

    for n in range(workers):  # end the persistent sessions
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{run}-{n}", protocol=mqtt.MQTTv5
        )
        client.connect("127.0.0.1", int(PORT), clean_start=True)
        client.disconnect()


def ingest_rate(env, conn, files, total: int, workers: int, backlog: bool) -> float:
    run = uuid.uuid4().hex[:6]
    before = count(conn)
    process = start_workers(env, workers, run)
    if backlog:
        os.killpg(process.pid, signal.SIGSTOP)
        for p in publish(files):
            p.wait()
        time.sleep(1.0)
        started = time.perf_counter()
        os.killpg(process.pid, signal.SIGCONT)
    else:
        started = time.perf_counter()
        publish(files)
    while count(conn) - before < total:
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    stop_workers(process, workers, run)
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    args = parser.parse_args()
    env = dict(os.environ, WUFEI_DATABASE_URL=f"{SERVER}/{DATABASE}", WUFEI_LOG_LEVEL="WARNING")
    prepare_database(env, args.fresh)
    total = args.messages - args.messages % DEVICES
    rows = []
    with (
        tempfile.TemporaryDirectory() as folder,
        psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as conn,
    ):
        conf = Path(folder) / "mosquitto.conf"
        conf.write_text(BROKER_CONF)
        broker_process = subprocess.Popen(  # noqa: S603
            [MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(0.5)
        broker = broker_rate(message_files(Path(folder), total), total)
        rows.append(("mosquitto_sub -q 1 (C)", broker))
        for workers in (int(w) for w in args.workers.split(",")):
            for backlog in (False, True):
                files = message_files(Path(folder), total)
                rate = ingest_rate(env, conn, files, total, workers, backlog)
                label = f"wufei ingest ×{workers}" + (" (backlog)" if backlog else "")
                rows.append((label, rate))
        broker_process.terminate()
    print(f"\n{total:,} QoS 1 messages, {DEVICES} publishers, PostgreSQL 127.0.0.1")
    print(f"{'consumer':32} {'msg/s':>10} {'÷ broker':>9}")
    for label, rate in rows:
        print(f"{label:32} {rate:10,.0f} {rate / broker:9.2f}")
    if args.drop:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{DATABASE}" WITH (FORCE)')


if __name__ == "__main__":
    main()
