"""Log-in, log-out, the language switch and the django-axes lockout page."""

import pytest
from django.conf import settings
from django.urls import reverse

from wufei.web.tests.world import PASSWORD

pytestmark = pytest.mark.django_db


def test_log_in_and_out(world, client):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200 and "许昌市固体废物智慧服务平台" in page.content.decode()
    response = client.post(
        reverse("accounts:login"), {"username": "weidu", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert "县（市、区）管理人员 · 魏都区" in response.content.decode()
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("registry:party_list")).status_code == 302


def test_a_wrong_password_is_refused_in_chinese(world, client):
    response = client.post(reverse("accounts:login"), {"username": "weidu", "password": "x"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_too_many_failures_lock_the_account_for_fifteen_minutes(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "weidu", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "weidu", "password": PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "登录失败次数过多" in html and "请在 15 分钟后再试" in html


def test_language_switch(world, client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("web:home")}, follow=True
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Xuchang Solid Waste Smart Service Platform" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "许昌市固体废物智慧服务平台" in client.get("/").content.decode()
