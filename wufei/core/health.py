"""Checks of the services Wufei talks to: the database and the MQTT broker."""

from __future__ import annotations

import os
import threading
from urllib.parse import urlparse

DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"


def mqtt_url() -> str:
    return os.environ.get("WUFEI_MQTT_URL", DEFAULT_MQTT_URL)


def check_mqtt(url: str | None = None, timeout: float = 5.0) -> str:
    """Connect to the broker with MQTT 5 and round-trip one QoS 1 message; return a summary."""
    import paho.mqtt.client as mqtt

    parsed = urlparse(url or mqtt_url())
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 1883
    topic = f"wufei/health/{os.getpid()}"
    received = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if parsed.username:
        client.username_pw_set(parsed.username, parsed.password)
    client.on_message = lambda c, u, msg: received.set()
    client.connect(host, port, keepalive=10)
    client.loop_start()
    try:
        client.subscribe(topic, qos=1)
        client.publish(topic, b"ping", qos=1).wait_for_publish(timeout)
        if not received.wait(timeout):
            raise RuntimeError(f"no message came back from {host}:{port} within {timeout}s")
    finally:
        client.loop_stop()
        client.disconnect()
    return f"MQTT broker {host}:{port} round-trip ok"


def check_database(alias: str = "default") -> str:
    from django.db import connections

    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return f"database {connection.vendor} ({connection.settings_dict['NAME']}) ok"


def check_postgres_url(url: str) -> str:
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
    return f"PostgreSQL {version} at {urlparse(url).hostname} ok"
