"""The account's own API tokens on a page: issue (key shown once, usable), revoke."""

import pytest
from django.test import Client
from django.urls import reverse

from wufei.accounts.models import ApiToken
from wufei.accounts.tests.factories import UserFactory
from wufei.registry.tests.factories import DeviceFactory, PartyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return UserFactory(username="clerk", role="enterprise", party=PartyFactory())


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_clerk_issues_a_token_sees_the_key_once_and_can_use_it(clerk):
    client = logged_in(clerk)
    response = client.post(reverse("accounts:tokens"), {"name": "企业 ERP 对接"})
    key = response.context["new_key"]
    assert key and key.encode() in response.content
    token = ApiToken.objects.get(user=clerk)
    assert (
        token.key_hash != key and key not in client.get(reverse("accounts:tokens")).content.decode()
    )
    api = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/parties/").json()["count"] == 1


def test_a_device_of_another_unit_is_not_offered(clerk):
    foreign = DeviceFactory(serial="GPS-OTHER")
    response = logged_in(clerk).post(
        reverse("accounts:tokens"), {"name": "地磅", "device": foreign.pk}
    )
    assert "device" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_revoking_stops_the_token_and_only_the_owner_may(clerk):
    client = logged_in(clerk)
    key = client.post(reverse("accounts:tokens"), {"name": "对接"}).context["new_key"]
    token = ApiToken.objects.get(user=clerk)
    other = logged_in(UserFactory(username="other", role="enterprise", party=PartyFactory()))
    assert other.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    client.post(reverse("accounts:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = Client(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/parties/")
    assert response.status_code == 401


def test_the_public_has_no_tokens_page():
    response = logged_in(UserFactory(username="citizen", role="public")).get(
        reverse("accounts:tokens")
    )
    assert response.status_code == 403
