"""Fixtures of the registry tests: the shared world, built once per module."""

import pytest
from django.db import transaction

from wufei.registry.tests.world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of ``world.py``, built once per module inside a transaction rolled back at
    the end; each test runs in its own savepoint (pytest-django's ``db``), so what a test
    writes is gone before the next one starts."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
