import pytest

from wufei.web.tests.world import build_world


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Argon2 is deliberately slow; the world's nine accounts need no such protection."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login(client):
    """``login(user)``: the test client, logged in as ``user``."""

    def as_user(user):
        client.force_login(user)
        return client

    return as_user
