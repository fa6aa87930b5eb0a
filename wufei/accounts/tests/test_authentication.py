"""API tokens: ``Authorization: Token <key>`` acts as its user, within the user's scope;
revoked, expired, unknown and malformed tokens are refused with a code and a Chinese message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from wufei.accounts.models import ApiToken, hash_token
from wufei.accounts.services import api_token_create, api_token_revoke
from wufei.accounts.tests.factories import UserFactory
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def two_parties():
    """Party A (魏都区) and party B (长葛市), each with a site and a vehicle."""
    a = factories.PartyFactory(name="甲公司")
    b = factories.PartyFactory(
        name="乙公司", region=factories.region("411082"), is_transporter=True
    )
    rows = {
        "a": a,
        "b": b,
        "site_a": factories.SiteFactory(party=a),
        "site_b": factories.SiteFactory(party=b),
        "vehicle_a": factories.VehicleFactory(party=a),
        "vehicle_b": factories.VehicleFactory(party=b),
    }
    rows["user_a"] = UserFactory(role="enterprise", party=a)
    return rows


def issue(user, **kwargs) -> tuple[ApiToken, str]:
    return api_token_create(actor=user, user=user, name="企业 ERP 对接", **kwargs)


def get(url: str, header: str | None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(url)


def assert_refused(response, code: str) -> None:
    assert response.status_code == 401, response.data
    assert response.data["code"] == code, response.data
    assert CHINESE.search(response.data["message"]), response.data
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "token"])
def test_enterprise_token_sees_only_its_party(two_parties, keyword):
    _, key = issue(two_parties["user_a"])
    for endpoint, own in (("sites", "site_a"), ("vehicles", "vehicle_a"), ("parties", "a")):
        response = get(f"/api/v1/{endpoint}/", f"{keyword} {key}")
        assert response.status_code == 200, response.data
        assert [row["id"] for row in response.data["results"]] == [two_parties[own].pk]


def test_token_cannot_reach_another_partys_row(two_parties):
    _, key = issue(two_parties["user_a"])
    response = get(f"/api/v1/sites/{two_parties['site_b'].pk}/", f"Token {key}")
    assert response.status_code == 404
    assert response.data["code"] == "not_found"


def test_without_a_token_the_same_list_is_refused(two_parties):
    response = get("/api/v1/sites/", None)
    assert_refused(response, "not_authenticated")


def test_only_the_hash_is_stored_and_last_use_is_recorded(two_parties):
    token, key = issue(two_parties["user_a"])
    assert key not in {token.key_hash, token.prefix, token.name}
    assert token.key_hash == hash_token(key)
    assert key.startswith(f"wf_{token.prefix}_")
    assert token.last_used_at is None
    assert get("/api/v1/sites/", f"Token {key}").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_revoked_token_is_refused(two_parties):
    token, key = issue(two_parties["user_a"])
    api_token_revoke(actor=token.user, token=token)
    response = get("/api/v1/sites/", f"Token {key}")
    assert_refused(response, "token_revoked")
    assert response.data["message"] == "令牌已吊销。"


def test_expired_token_is_refused(two_parties):
    _, key = issue(two_parties["user_a"], expires_at=timezone.now() - timedelta(seconds=1))
    response = get("/api/v1/sites/", f"Token {key}")
    assert_refused(response, "token_expired")
    assert response.data["message"] == "令牌已过期。"


def test_token_not_yet_expired_is_accepted(two_parties):
    _, key = issue(two_parties["user_a"], expires_at=timezone.now() + timedelta(days=1))
    assert get("/api/v1/sites/", f"Token {key}").status_code == 200


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Token wf_00000000_not-a-real-key", "token_invalid"),
        ("Token", "token_malformed"),
        ("Token two words", "token_malformed"),
    ],
)
def test_unknown_or_malformed_token_is_refused(two_parties, header, code):
    assert_refused(get("/api/v1/sites/", header), code)


def test_token_of_a_deactivated_user_is_refused(two_parties):
    user = two_parties["user_a"]
    _, key = issue(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_refused(get("/api/v1/sites/", f"Token {key}"), "token_invalid")


def test_a_bad_token_is_refused_even_on_public_reference_data(two_parties):
    """A client that sends a token means to be someone; a bad one is not silently ignored."""
    assert get("/api/v1/waste-streams/", None).status_code == 200
    assert_refused(get("/api/v1/waste-streams/", "Token wf_bad_key"), "token_invalid")


def test_token_writes_within_its_scope(two_parties):
    _, key = issue(two_parties["user_a"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    site = two_parties["site_a"]
    response = client.patch(f"/api/v1/sites/{site.pk}/", {"address": "八一路 1 号"}, format="json")
    assert response.status_code == 200, response.data
    site.refresh_from_db()
    assert site.address == "八一路 1 号"
