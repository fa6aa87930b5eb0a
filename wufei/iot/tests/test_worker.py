"""The MQTT worker against the real broker: killed mid-stream it loses nothing and stores
nothing twice; two workers on one shared subscription split the stream."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from wufei.iot.contracts import topic_for
from wufei.iot.tests.devices import PAYLOADS
from wufei.iot.tests.processes import SharedDatabase, WorkerProcess, publish, wait_until
from wufei.registry.tests import factories
from wufei.registry.tests.reference import ensure_reference_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _reference_data():
    ensure_reference_data()


@pytest.fixture
def spawn(broker):
    """Worker processes that are killed, and their broker sessions ended, whatever happens."""
    started: list[WorkerProcess] = []

    def _spawn(db: SharedDatabase, client_id: str, group: str) -> WorkerProcess:
        worker = WorkerProcess(db, broker, client_id=client_id, group=group)
        started.append(worker)
        return worker

    yield _spawn
    for worker in started:
        worker.cleanup()


def stream(run: str, good: int, bad: int, resent: int) -> tuple[list[tuple[str, bytes]], str, str]:
    """``good`` fixes of two fresh devices, ``resent`` of them sent again, and ``bad`` messages
    alternating an unknown device and broken JSON; serials are unique to this run."""
    site = factories.SiteFactory(kind="community")
    gps_serial, sensor_serial, stranger = f"G{run}", f"S{run}", f"X{run}"
    factories.DeviceFactory(party=site.party, kind="gps", serial=gps_serial)
    factories.DeviceFactory(party=site.party, kind="bin_sensor", serial=sensor_serial, site=site)
    messages = []
    start = timezone.now() - timedelta(hours=2)
    for n in range(good):
        at = (start + timedelta(seconds=n)).isoformat()
        if n % 2:
            body = {"id": f"g{n}", "ts": at, **PAYLOADS["gps"]}
            messages.append((topic_for("gps", gps_serial), json.dumps(body).encode()))
        else:
            body = {"id": f"f{n}", "ts": at, **PAYLOADS["fill"]}
            messages.append((topic_for("fill", sensor_serial), json.dumps(body).encode()))
    messages += messages[:resent]
    for n in range(bad):
        if n % 2:
            body = {"id": f"u{n}", "ts": start.isoformat(), **PAYLOADS["gps"]}
            messages.append((topic_for("gps", stranger), json.dumps(body).encode()))
        else:
            messages.append((topic_for("fill", sensor_serial), b'{"id": "broken%d", ' % n))
    return messages, gps_serial, sensor_serial


def counts(db: SharedDatabase, run: str) -> tuple[int, int]:
    stored = db.count(
        "SELECT (SELECT COUNT(*) FROM iot_gpsfix r JOIN registry_device d ON d.id = r.device_id "
        "WHERE d.serial = %s) + (SELECT COUNT(*) FROM iot_filllevel r JOIN registry_device d "
        "ON d.id = r.device_id WHERE d.serial = %s)",
        (f"G{run}", f"S{run}"),
    )
    held = db.count(
        "SELECT COUNT(*) FROM iot_quarantinedmessage WHERE serial IN (%s, %s) AND status = %s",
        (f"S{run}", f"X{run}", "pending"),
    )
    return stored, held


def test_a_killed_worker_loses_nothing_and_stores_nothing_twice(broker, spawn, tmp_path):
    run = uuid.uuid4().hex[:10]
    good, bad = 4000, 200
    messages, _, _ = stream(run, good=good, bad=bad, resent=300)
    db = SharedDatabase(tmp_path)
    worker = spawn(db, client_id=f"test-{run}", group=f"g{run}")
    worker.start()
    worker.pause()  # the broker sends everything to the stopped worker: all of it in flight
    publish(broker, messages)
    worker.resume()
    assert wait_until(lambda: counts(db, run)[0] >= 400), worker.output()
    worker.kill()
    stored_at_kill = counts(db, run)[0]
    assert stored_at_kill < good, "the worker finished before it could be killed; raise `good`"

    worker.start()  # same client id: the broker resumes the session and redelivers
    assert wait_until(lambda: counts(db, run) == (good, bad), timeout=90), (
        counts(db, run),
        worker.output(),
    )
    worker.stop()
    assert counts(db, run) == (good, bad)
    db.pull()
    from wufei.iot.models import QuarantinedMessage

    reasons = set(
        QuarantinedMessage.objects.filter(serial__endswith=run).values_list("reason", flat=True)
    )
    assert reasons == {"unknown_device", "bad_json"}


def test_two_workers_split_one_shared_subscription(broker, spawn, tmp_path):
    run = uuid.uuid4().hex[:10]
    good = 3000
    messages, _, _ = stream(run, good=good, bad=0, resent=0)
    db = SharedDatabase(tmp_path)
    workers = [spawn(db, client_id=f"test-{run}-{n}", group=f"g{run}") for n in (1, 2)]
    for worker in workers:
        worker.start()
    publish(broker, messages)
    assert wait_until(lambda: counts(db, run)[0] >= good, timeout=90)
    shares = []
    for worker in workers:
        log = worker.stop()
        accepted = [int(n) for n in re.findall(r"accepted=(\d+)", log)]
        shares.append(sum(accepted))
    assert counts(db, run) == (good, 0)
    assert sum(shares) == good and min(shares) > 0, shares
