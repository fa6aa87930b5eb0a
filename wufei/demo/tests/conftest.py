import pytest
from django.core.management import call_command
from django.test import override_settings

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The demo logins hash one password 22 times; Argon2 would dominate the suite's time."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="module")
def _module_city(django_db_setup, django_db_blocker):
    """One small generated city (seed 11) per test module, in a transaction rolled back when
    the module ends; each test runs in its own savepoint inside it, so none sees another's
    changes (generating the city takes ~15 s on SQLite)."""
    from wufei.core.tests.module_rows import built_for_the_module
    from wufei.demo.services import city_generate

    def generate() -> int:
        with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
            return city_generate(actor=None, scale="small", seed=11).pk

    yield from built_for_the_module(django_db_blocker, generate)


@pytest.fixture
def small_city(_module_city, db):
    """The module's small generated city (seed 11)."""
    from wufei.demo.models import Generation

    return Generation.objects.get(pk=_module_city)


@pytest.fixture
def run():
    """Run a management command; return its standard output."""
    from io import StringIO

    def _run(*args) -> str:
        out = StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    return _run
