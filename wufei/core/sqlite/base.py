"""The embedded SQLite database, comparing numbers beyond 64 bits as PostgreSQL does.

Python's sqlite3 cannot bind an integer outside SQLite's 64-bit range: a query string such as
``?close=95120502429670916096`` reached ``WHERE id IN (…)`` and raised ``OverflowError`` (a 500),
where PostgreSQL compares it as a numeric and finds nothing. This backend retries such a
statement with every out-of-range integer bound as a REAL, which SQLite compares with its
integers by value: the same rows as PostgreSQL, at no cost to statements that bind.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db.backends.sqlite3 import base

INT64 = range(-(2**63), 2**63)


def _as_sqlite(value):
    if isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        return float(value)
    return value


def _bindable(params):
    if isinstance(params, Mapping):
        return {name: _as_sqlite(value) for name, value in params.items()}
    return [_as_sqlite(value) for value in params]


class CursorWrapper(base.SQLiteCursorWrapper):
    def execute(self, query, params=None):
        try:
            return super().execute(query, params)
        except OverflowError:
            if params is None:
                raise
            return super().execute(query, _bindable(params))


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)
