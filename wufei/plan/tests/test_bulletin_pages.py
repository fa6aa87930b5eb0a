"""Bulletin pages: the office list, compose with reordering, preview in the seed's layout,
publish, .docx download; the public list and detail (no login) show published issues only."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from wufei.manifests.tests.world import user
from wufei.plan import bulletins as svc
from wufei.plan.choices import BulletinStatus
from wufei.plan.models import Bulletin
from wufei.registry.tests.factories import PartyFactory

pytestmark = pytest.mark.django_db
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def form(articles: list[dict], **head) -> dict:
    post = {
        "issued_on": "2026-11-20",
        "send_to": "市政府各市长",
        "copy_to": "各成员单位",
        "articles-TOTAL_FORMS": str(len(articles)),
        "articles-INITIAL_FORMS": "0",
        **head,
    }
    for i, article in enumerate(articles):
        for key, value in article.items():
            post[f"articles-{i}-{key}"] = value
    return post


@pytest.fixture
def office(client):
    official = user(role="city")
    client.force_login(official)
    return official


def test_anonymous_is_sent_to_login_and_enterprise_refused(client):
    assert client.get("/plan/bulletins/").status_code == 302
    client.force_login(user(role="enterprise", party=PartyFactory()))
    assert client.get("/plan/bulletins/").status_code == 403


def test_compose_orders_articles_by_their_order_field_and_previews(client, office):
    response = client.post(
        "/plan/bulletins/new/",
        form(
            [
                {"order": "2", "kind": "article", "title": "乙文", "body": "乙的正文。"},
                {"order": "1", "kind": "article", "title": "甲文", "body": "甲的正文。"},
                {"order": "3", "kind": "brief", "title": "一条简讯。", "body": "内容。"},
                {"order": "", "kind": "article", "title": "", "body": ""},  # blank: ignored
            ]
        ),
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302 and response.url == f"/plan/bulletins/{bulletin.pk}/"
    assert list(bulletin.articles.values_list("title", flat=True)) == ["甲文", "乙文", "一条简讯。"]
    page = client.get(response.url).content.decode()
    assert 'data-testid="bulletin-paper"' in page and "本期要目" in page
    assert page.index("甲文") < page.index("乙文") and "★一条简讯。" in page
    assert "报：市政府各市长" in page


def test_service_errors_land_on_the_article_field(client, office):
    response = client.post(
        "/plan/bulletins/new/",
        form([{"order": "1", "kind": "data", "title": "", "data_section": "", "body": "x"}]),
    )
    assert response.status_code == 200
    assert "数据专栏须为以下之一" in response.content.decode()
    assert not Bulletin.objects.exists()


def test_publish_then_public_pages_and_downloads(client, office):
    draft = svc.bulletin_compose(
        actor=office,
        now=timezone.now(),
        data=svc.BulletinInput(
            issued_on=date(2026, 11, 20), articles=[svc.ArticleInput(title="甲", body="正文。")]
        ),
    )
    assert client.get(f"/public/bulletins/{draft.number}/").status_code == 404
    assert "暂无已印发的简报" in client.get("/public/bulletins/").content.decode()
    assert client.post(f"/plan/bulletins/{draft.pk}/publish/").status_code == 302
    draft.refresh_from_db()
    assert draft.status == BulletinStatus.PUBLISHED
    assert client.get(f"/plan/bulletins/{draft.pk}/edit/").status_code == 403
    client.logout()
    listing = client.get("/public/bulletins/").content.decode()
    assert f"第{draft.number}期" in listing
    detail = client.get(f"/public/bulletins/{draft.number}/").content.decode()
    assert "甲" in detail and "本期要目" in detail
    download = client.get(f"/public/bulletins/{draft.number}/docx/")
    assert download.status_code == 200 and download["Content-Type"] == DOCX
    assert download.content[:2] == b"PK"
    assert client.get(f"/plan/bulletins/{draft.pk}/docx/").status_code == 302  # login first


def test_publish_refusal_is_shown(client, office):
    empty = svc.bulletin_compose(
        actor=office, now=timezone.now(), data=svc.BulletinInput(issued_on=date(2026, 11, 20))
    )
    response = client.post(f"/plan/bulletins/{empty.pk}/publish/", follow=True)
    assert "简报还没有文章，不能印发" in response.content.decode()
    empty.refresh_from_db()
    assert empty.status == BulletinStatus.DRAFT
