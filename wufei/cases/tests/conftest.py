import pytest

from wufei.cases.tests.world import build
from wufei.core.tests.module_rows import built_for_the_module


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world of ``world.py`` built once per module in a transaction rolled back at the end;
    each test runs in its own savepoint."""
    yield from built_for_the_module(django_db_blocker, build)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded photos go to a temporary directory, never to var/media."""
    settings.MEDIA_ROOT = tmp_path
