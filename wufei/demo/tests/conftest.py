import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The demo logins hash one password 22 times; Argon2 would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def small_city(db):
    """A small generated city (seed 11)."""
    from wufei.demo.services import city_generate

    return city_generate(actor=None, scale="small", seed=11)


@pytest.fixture
def run():
    """Run a management command; return its standard output."""
    from io import StringIO

    def _run(*args) -> str:
        out = StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    return _run
