"""Log-in hardening: Argon2 password hashes, throttled failures (django-axes), expiring sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.sessions.models import Session
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from wufei.accounts.services import user_create
from wufei.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Wufei-test-2020"
LOGIN = reverse("accounts:login")


@pytest.fixture
def official():
    return UserFactory(username="official", role="city")


def test_passwords_are_stored_with_argon2():
    user = user_create(actor=None, username="new-official", password="Xuchang-2025!", role="city")
    user.refresh_from_db()
    algorithm, *_ = user.password.split("$")
    assert algorithm == "argon2"
    assert "Xuchang-2025!" not in user.password
    assert user.check_password("Xuchang-2025!")
    assert not user.check_password("xuchang-2025!")


def test_a_legacy_pbkdf2_hash_is_upgraded_to_argon2_at_log_in(client, official):
    from django.contrib.auth.hashers import make_password

    official.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    official.save(update_fields=["password"])
    response = client.post(LOGIN, {"username": "official", "password": PASSWORD})
    assert response.status_code == 302
    official.refresh_from_db()
    assert official.password.startswith("argon2$")


def fail(client, username: str = "official", address: str = "10.0.0.1"):
    return client.post(
        LOGIN, {"username": username, "password": "wrong-password"}, REMOTE_ADDR=address
    )


def test_the_sixth_log_in_after_five_failures_is_locked_out(client, official):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        response = fail(client)
        assert response.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in client.session
    response = fail(client)  # the fifth failure reaches the limit
    assert response.status_code == 429
    # The sixth attempt, even with the right password, is refused from this address.
    response = client.post(
        LOGIN, {"username": "official", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 429
    assert "登录已临时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="official", ip_address="10.0.0.1")
    assert attempt.failures_since_start >= 5


def test_four_failures_do_not_lock_and_a_success_resets_the_count(client, official):
    for _ in range(4):
        fail(client)
    response = client.post(
        LOGIN, {"username": "official", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(official.pk)
    assert not AccessAttempt.objects.filter(username="official").exists()


def test_the_lock_is_per_user_and_address(client, official):
    UserFactory(username="colleague", role="city")
    for _ in range(5):
        fail(client)
    # Same user, another address: allowed.
    response = client.post(
        LOGIN, {"username": "official", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 302
    client.logout()
    # Another user, the locked address: allowed.
    response = client.post(
        LOGIN, {"username": "colleague", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302


def test_the_backend_refuses_a_locked_out_user_too(official):
    """The lock-out lives in the authentication backend, so every log-in path obeys it."""
    factory = RequestFactory()

    def attempt(password: str):
        request = factory.post(LOGIN, REMOTE_ADDR="10.0.0.3")
        return authenticate(request=request, username="official", password=password)

    for _ in range(5):
        assert attempt("wrong-password") is None
    assert attempt(PASSWORD) is None
    request = factory.post(LOGIN, REMOTE_ADDR="10.0.0.4")
    assert authenticate(request=request, username="official", password=PASSWORD) == official


def test_sessions_expire_at_browser_close_and_after_the_cookie_age(client, official):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 12 * 3600
    response = client.post(LOGIN, {"username": "official", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert not cookie["expires"] and not cookie["max-age"]  # gone when the browser closes
    assert cookie["httponly"]
    session = Session.objects.get(session_key=cookie.value)
    lifetime = session.expire_date - timezone.now()
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE - 60) < lifetime
    assert lifetime <= timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert client.get("/api/v1/parties/").status_code == 200
    # The server forgets the session once its age has passed.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/parties/")
    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"
