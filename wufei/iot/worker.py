"""The MQTT ingest worker: a shared subscription, batches, acknowledgement after commit.

Each worker joins ``$share/<group>/wufei/v1/#`` with a persistent MQTT 5 session under a stable
client id, so the broker splits the stream among workers and keeps what a worker has not
acknowledged. One thread does everything (``wufei.iot.mqtt``): it reads the socket in large
chunks into the inbox, takes a batch, stores it in one transaction through the intake, and only
then acknowledges the whole batch in one write. A worker killed mid-batch has acknowledged
nothing of it: on restart under the same client id the broker delivers it again and the intake's
message-id keys make that a no-op.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import DatabaseError, close_old_connections

from wufei.iot.contracts import TOPIC_PREFIX
from wufei.iot.intake import Incoming, Intake
from wufei.iot.mqtt import BrokerRefused, MqttError, Subscriber

log = logging.getLogger(__name__)

RETRY_S = 2.0
RECEIVE_MAXIMUM = 65_535
SESSION_EXPIRY_S = 24 * 3600  # the broker keeps an absent worker's messages this long
KEEPALIVE_S = 30
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # between attempts to reconnect


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 1883
    group: str = "wufei"
    client_id: str = field(default_factory=lambda: f"wufei-ingest-{socket.gethostname()}-0")
    batch: int = 2000
    wait_s: float = 0.05  # how long a partial batch may wait for company
    username: str | None = None
    password: str | None = None


@dataclass
class Totals:
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0


# A received message and the packet id to acknowledge it with on its connection.
Received = tuple[Incoming, int]


class Worker:
    def __init__(self, settings: Settings, intake: Intake | None = None) -> None:
        self.settings = settings
        self.intake = intake or Intake()
        self.inbox: deque[Received] = deque()
        self.stopping = False
        self.connection = 0  # counts connections; packet ids belong to one of them
        self.totals = Totals()
        self.subscriber = Subscriber(
            host=settings.host,
            port=settings.port,
            client_id=settings.client_id,
            topic_filter=f"$share/{settings.group}/{TOPIC_PREFIX}#",
            keepalive=KEEPALIVE_S,
            session_expiry_s=SESSION_EXPIRY_S,
            # The broker sends up to this many messages before their acknowledgements; beyond
            # it, it queues them under its max_queued_messages (Mosquitto: 1000 by default) and
            # drops the rest. Take all it will give: unacknowledged messages wait in the inbox.
            receive_maximum=RECEIVE_MAXIMUM,
            username=settings.username,
            password=settings.password,
        )

    # --- connection -------------------------------------------------------------------------
    def connect(self) -> None:
        """Connect and subscribe, retrying with backoff until it works or the worker stops; a
        refusal that waiting cannot cure (credentials, client id) is raised."""
        for attempt in range(1_000_000):
            if self.stopping:
                return
            try:
                resumed = self.subscriber.connect()
            except BrokerRefused as refusal:
                if not refusal.transient:
                    log.error("the broker refused the worker: %s", refusal)
                    raise
                problem: MqttError = refusal
            except MqttError as error:
                problem = error
            else:
                self.connection += 1
                log.info(
                    "connected as %s (session %s)",
                    self.settings.client_id,
                    "resumed" if resumed else "new",
                )
                return
            pause = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
            log.warning("cannot connect to the broker (%s); retrying in %.1f s", problem, pause)
            time.sleep(pause)

    def _lost(self, error: MqttError) -> None:
        """Forget what the dead connection delivered (its packet ids die with it; the broker
        redelivers everything unacknowledged) and connect again."""
        self.subscriber.close()
        if self.stopping:
            return
        log.warning(
            "lost the broker (%s); dropping %d unacknowledged, reconnecting",
            error,
            len(self.inbox),
        )
        self.inbox.clear()
        self.connect()

    def _receive(self, timeout: float) -> None:
        try:
            publishes = self.subscriber.receive(timeout)
        except MqttError as error:
            self._lost(error)
            return
        if publishes:
            at = datetime.fromtimestamp(time.time(), UTC)  # one arrival time per socket read
            self.inbox.extend(
                [
                    (Incoming(topic, payload, at), packet_id)
                    for topic, payload, packet_id, _ in publishes
                ]
            )

    # --- the loop ---------------------------------------------------------------------------
    def take(self) -> list[Received]:
        """Up to ``batch`` messages; waits ``wait_s`` for a partial batch to fill."""
        batch = self.settings.batch
        if not self.inbox:
            self._receive(0.5)
        if self.inbox and len(self.inbox) < batch:
            deadline = time.monotonic() + self.settings.wait_s
            while len(self.inbox) < batch and not self.stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._receive(left)
        inbox = self.inbox
        return [inbox.popleft() for _ in range(min(batch, len(inbox)))]

    def process(self, taken: list[Received]) -> None:
        batch = [incoming for incoming, _ in taken]
        connection = self.connection
        close_old_connections()
        try:
            # Commits, or raises and acknowledges nothing.
            result = self.intake.store(batch, outcomes=False)
        except DatabaseError:
            log.exception("could not store a batch of %d; retrying", len(batch))
            self.inbox.extendleft(reversed(taken))
            time.sleep(RETRY_S)
            return
        except Exception:  # a message that breaks the intake must not block the stream
            log.exception("a batch of %d failed; storing its messages one by one", len(batch))
            result = self.intake.store_each(batch)
        if connection == self.connection:  # always, single-threaded; a guard against misuse
            try:
                self.subscriber.ack([packet_id for _, packet_id in taken])
            except MqttError as error:  # committed: the broker's redelivery will be a no-op
                self._lost(error)
        self.totals.batches += 1
        self.totals.accepted += result.accepted
        self.totals.duplicates += result.duplicates
        self.totals.quarantined += result.quarantined

    def run(self, *, until_idle_s: float | None = None) -> Totals:
        """Consume until stopped (SIGTERM/SIGINT) or, with ``until_idle_s``, until nothing has
        arrived for that long (benchmarks and tests)."""
        self.connect()
        idle_since = time.monotonic()
        try:
            while not self.stopping:
                taken = self.take()
                if taken:
                    self.process(taken)
                    idle_since = time.monotonic()
                elif until_idle_s is not None and time.monotonic() - idle_since > until_idle_s:
                    break
        finally:
            self.subscriber.disconnect()
        return self.totals

    def stop(self, *_: object) -> None:
        self.stopping = True


def run_worker(settings: Settings) -> Totals:
    worker = Worker(settings)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    log.info("worker %s (pid %s) consuming", settings.client_id, os.getpid())
    return worker.run()
