import pytest
from django.db import transaction

from wufei.cases.tests.world import build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of ``world.py`` built once per module in a transaction rolled back at the end;
    each test runs in its own savepoint."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded photos go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path
