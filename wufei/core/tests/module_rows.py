"""Rows a test module builds once and shares: built inside a transaction that is rolled back
when the module ends, while each test runs in its own savepoint (pytest-django's ``db``).

The foreign keys Django creates on PostgreSQL are checked at commit (``DEFERRABLE INITIALLY
DEFERRED``), and the module's transaction never commits, so the checks of every row it built
stay pending. At the end of each test Django runs ``SET CONSTRAINTS ALL IMMEDIATE`` inside the
test's savepoint, which checks all of them, and the savepoint's rollback makes them pending
again: over a small demo city that was 5 s a test. ``settle_deferred_checks`` runs them once,
right after the build, at the module's level, where they stay done (and a broken foreign key
of the build fails there, not in whichever test comes first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")


def settle_deferred_checks() -> None:
    """Check the foreign keys of the rows built so far now, once, on PostgreSQL. SQLite has no
    pending checks to settle: Django's check there scans the rows as they are, so it would
    only add one more scan of every table."""
    if connection.vendor == "postgresql":
        connection.check_constraints()


def built_for_the_module(django_db_blocker, build: Callable[[], T]) -> Iterator[T]:
    """A module-scoped fixture's body: ``yield from built_for_the_module(blocker, build)``."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
            settle_deferred_checks()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
