"""Batch writers for readings: COPY through a staging table on PostgreSQL, plain inserts
elsewhere. Both skip rows whose (device, message id) is stored already and return the keys
they did insert, so the intake can tell accepted from duplicate."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from wufei.iot.choices import LinkStatus
from wufei.iot.models import Deposit, FillLevel, GpsFix, WeighTicket

HEAD = ("device_id", "message_id", "measured_at", "received_at")

# The order of the values after HEAD in the intake's row tuples.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    WeighTicket: (
        "site_id",
        "plate",
        "vehicle_id",
        "direction",
        "gross_kg",
        "tare_kg",
        "net_kg",
        "manifest_number",
        "container_code",
    ),
    GpsFix: ("vehicle_id", "lat", "lon", "speed_kmh", "heading"),
    FillLevel: ("site_id", "bin_code", "percent", "temperature_c"),
    Deposit: ("site_id", "bin_code", "household_code", "waste_class", "weight_kg"),
}

# Columns the model fills by default (Django defaults are not database defaults).
CONSTANTS: dict[type[models.Model], dict[str, str]] = {
    WeighTicket: {"link_status": LinkStatus.PENDING.value, "link_note": ""},
}

Key = tuple[int, str]


# Raw database connection → the staging tables created on it. A temporary table lives as long
# as its connection, so a new connection (after a reconnect) creates its own again.
_STAGED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


class CopyWriter:
    """PostgreSQL: COPY the batch into a per-connection temporary table, then move it with
    ``INSERT … ON CONFLICT DO NOTHING RETURNING`` — one round trip of data, and concurrent
    workers never insert the same message twice.

    The staging table is created once per connection (not ``IF NOT EXISTS`` per batch) with
    ``ON COMMIT DELETE ROWS``, so the commit empties it in place; it is emptied right after
    the move only inside a savepoint, where several batches may share one transaction."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    def _stage(self, cursor: Any, table: str, columns: str) -> str:
        stage = f"stage_{table}"
        staged = _STAGED.setdefault(self.connection.connection, set())
        if stage not in staged:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
            # Remembered once committed: a rolled-back batch takes the new table with it.
            transaction.on_commit(partial(staged.add, stage), using=self.connection.alias)
        return stage

    def insert(self, model: type[models.Model], rows: Sequence[tuple]) -> list[Key]:
        table = model._meta.db_table
        names = HEAD + COLUMNS[model]
        columns = ", ".join(names)
        constants = CONSTANTS.get(model, {})
        extra_names = "".join(f", {name}" for name in constants)
        extra_values = "".join(", %s" for _ in constants)
        with self.connection.cursor() as cursor:
            stage = self._stage(cursor, table, columns)
            with cursor.cursor.copy(f"COPY {stage} ({columns}) FROM STDIN") as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}{extra_names}) "  # noqa: S608
                f"SELECT {columns}{extra_values} FROM {stage} "
                "ON CONFLICT (device_id, message_id) DO NOTHING RETURNING device_id, message_id",
                list(constants.values()),
            )
            keys = [(device_id, message_id) for device_id, message_id in cursor.fetchall()]
            if self.connection.savepoint_ids:  # not the outermost transaction: empty it now
                cursor.execute(f"DELETE FROM {stage}")  # noqa: S608
        return keys


class BulkWriter:
    """Any other database (SQLite, single writer): look up which keys exist, insert the rest."""

    def insert(self, model: type[models.Model], rows: Sequence[tuple]) -> list[Key]:
        names = HEAD + COLUMNS[model]
        existing = set(
            model._default_manager.filter(
                device_id__in={row[0] for row in rows}, message_id__in={row[1] for row in rows}
            ).values_list("device_id", "message_id")
        )
        fresh: dict[Key, models.Model] = {}
        for row in rows:
            key = (row[0], row[1])
            if key not in existing and key not in fresh:
                fresh[key] = model(**dict(zip(names, row, strict=True)))
        model._default_manager.bulk_create(fresh.values(), batch_size=500)
        return list(fresh)


def writer_for(connection: BaseDatabaseWrapper) -> CopyWriter | BulkWriter:
    return CopyWriter(connection) if connection.vendor == "postgresql" else BulkWriter()
