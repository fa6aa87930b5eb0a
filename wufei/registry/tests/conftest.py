"""Fixtures of the registry tests: the shared world, built once per module."""

import pytest

from wufei.core.tests.module_rows import built_for_the_module
from wufei.registry.tests.world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of ``world.py``, built once per module inside a transaction rolled back at
    the end; each test runs in its own savepoint (pytest-django's ``db``), so what a test
    writes is gone before the next one starts."""
    yield from built_for_the_module(django_db_blocker, build_world)
