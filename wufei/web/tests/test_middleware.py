import pytest
from django.conf import settings as django_settings

pytestmark = pytest.mark.django_db


def test_an_english_browser_still_gets_chinese(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in html and "许昌市固体废物智慧服务平台" in html


def test_the_chosen_language_wins(client):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in html
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "xx"  # not offered: Chinese
    assert '<html lang="zh-hans">' in client.get("/").content.decode()


def test_api_clients_may_ask_for_english_errors(client):
    response = client.get("/api/v1/sites/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (401, 403)
    assert response.json()["message"].isascii()
    response = client.get("/api/v1/sites/")
    assert not response.json()["message"].isascii()
