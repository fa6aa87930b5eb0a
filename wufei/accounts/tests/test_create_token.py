"""``wufei create_token``: issues a token, prints its key once, and the key works."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from wufei.accounts.models import ApiToken, hash_token
from wufei.accounts.tests.factories import UserFactory
from wufei.core.models import ChangeLog
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise():
    party = factories.PartyFactory()
    return UserFactory(username="erp-a", role="enterprise", party=party)


def create_token(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_the_key_once_and_the_key_authenticates(enterprise):
    site = factories.SiteFactory(party=enterprise.party)
    out, err = create_token("--user", "erp-a", "--name", "ERP 对接")
    key = out.strip()
    assert out.count(key) == 1
    assert key not in err
    assert "只显示这一次" in err
    token = ApiToken.objects.get(user=enterprise)
    assert token.key_hash == hash_token(key)
    assert token.name == "ERP 对接"
    assert token.expires_at is None
    assert token.device is None
    assert ChangeLog.objects.filter(object_id=str(token.pk), action="create").exists()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/sites/")
    assert response.status_code == 200
    assert [row["id"] for row in response.data["results"]] == [site.pk]


def test_days_sets_the_expiry(enterprise):
    before = timezone.now()
    create_token("--user", "erp-a", "--name", "临时", "--days", "30")
    after = timezone.now()
    token = ApiToken.objects.get(user=enterprise)
    assert before + timedelta(days=30) <= token.expires_at <= after + timedelta(days=30)
    assert "有效期：至" in create_token("--user", "erp-a", "--name", "又一个", "--days", "1")[1]


def test_device_of_the_users_party_is_bound(enterprise):
    device = factories.DeviceFactory(party=enterprise.party, serial="GPS-ERP-1")
    create_token("--user", "erp-a", "--name", "车载终端", "--device", "GPS-ERP-1")
    assert ApiToken.objects.get(user=enterprise).device == device


def test_device_of_another_party_is_refused(enterprise):
    factories.DeviceFactory(serial="GPS-OTHER")
    with pytest.raises(CommandError, match="设备须属于该用户的单位"):
        create_token("--user", "erp-a", "--name", "x", "--device", "GPS-OTHER")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--user", "nobody", "--name", "x"), "不存在或已停用"),
        (("--user", "erp-a", "--name", "x", "--device", "NO-SUCH"), "不存在"),
        (("--user", "erp-a", "--name", "x", "--days", "0"), "正整数"),
    ],
)
def test_bad_arguments_write_nothing(enterprise, args, message):
    with pytest.raises(CommandError, match=message):
        create_token(*args)
    assert not ApiToken.objects.exists()
