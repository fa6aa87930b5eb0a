"""``?format=xlsx`` on every list: the filtered, scoped rows with the page's columns."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wufei.registry.views import PAGES

pytestmark = pytest.mark.django_db


def workbook(client, url, **params):
    response = client.get(url, {**params, "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.slug)
def test_every_list_exports_its_rows_and_columns(page, world, login):
    client = login(world.users["city"])
    url = page.url("list")
    listed = client.get(url)
    rows = workbook(client, url)
    assert rows[0][0] == str(page.title)
    assert rows[2] == tuple(str(c.header) for c in page.columns)
    assert len(rows) - 3 == listed.context["paginator"].count


def test_export_is_scoped_and_filtered(world, login):
    url = reverse("registry:facility_list")
    rows = workbook(login(world.users["county"]), url)
    assert [r[0] for r in rows[3:]] == ["魏都区危废焚烧设施"]
    rows = workbook(login(world.users["city"]), url, region="411081")
    assert [r[0] for r in rows[3:]] == ["禹州市生活垃圾焚烧发电厂"]
    assert "区划：禹州市" in rows[1][0]
    rows = workbook(login(world.users["city"]), reverse("registry:party_list"), q="魏都")
    assert len(rows) - 3 == 3


def test_export_has_more_rows_than_a_page(world, login):
    from wufei.core.pages import PAGE_SIZE
    from wufei.registry.tests.factories import PartyFactory

    PartyFactory.create_batch(PAGE_SIZE + 10)
    client = login(world.users["city"])
    rows = workbook(client, reverse("registry:party_list"))
    assert len(rows) - 3 == PAGE_SIZE + 10 + 5


def test_export_needs_the_same_right_as_the_list(world, login, client):
    assert client.get(reverse("registry:party_list"), {"format": "xlsx"}).status_code == 302
    response = login(world.users["public"]).get(
        reverse("registry:vehicle_list"), {"format": "xlsx"}
    )
    assert response.status_code == 403
