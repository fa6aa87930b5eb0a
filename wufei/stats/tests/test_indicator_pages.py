"""The indicator pages, the report as .xlsx and .docx, and ``wufei indicators``."""

import io

import pytest
from django.core.management import call_command
from docx import Document
from openpyxl import load_workbook

from wufei.stats.indicators import recompute_values
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue
from wufei.stats.tests.indicator_data import CITY, WEIDU, YEAR, official, region, weidu_2021

pytestmark = pytest.mark.django_db

REPORT_HEADERS = [
    "一级指标",
    "二级指标",
    "指标",
    "单位",
    "必选",
    "目标值",
    "现状值",
    "达标",
    "可信度",
    "数据来源部门",
    "计算公式",
]


@pytest.fixture
def computed():
    weidu_2021()
    recompute_values(YEAR)
    straw = Indicator.objects.get(code="common-straw")
    IndicatorTarget.objects.create(indicator=straw, year=YEAR, region=region(WEIDU), value=90)
    return straw


def test_the_catalogue_shows_every_indicator_with_its_marks(client):
    response = client.get("/stats/indicators/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="marks"') == Indicator.objects.count()
    assert 'title="必选指标">★</span>' in html  # 2019-20 建筑垃圾综合利用率
    assert 'data-confidence="recalled"' in html and 'data-confidence="platform"' in html
    assert "/stats/indicators/new/" not in html  # anonymous visitors see no editing


def test_the_catalogue_filters_and_exports(client):
    response = client.get("/stats/indicators/", {"catalogue": "2021", "q": "秸秆"})
    assert response.content.decode().count('data-testid="marks"') == 1
    export = client.get("/stats/indicators/", {"q": "秸秆", "format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(export.content)).active
    names = [row[4] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert names == ["秸秆综合利用率"] * 3  # 2019, 2021 and the common catalogue


def test_the_detail_page_shows_values_per_county_against_targets(client, computed):
    client.force_login(official("city"))
    response = client.get(f"/stats/indicators/{computed.pk}/", {"year": YEAR})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-region="411002"' in html and 'data-region="411082"' in html
    assert "achieved-yes" in html  # 魏都区: 92 against 90
    assert 'data-confidence="verified"' in html


def test_a_county_official_sees_the_own_county_only(client, computed):
    client.force_login(official("county"))
    html = client.get(f"/stats/indicators/{computed.pk}/", {"year": YEAR}).content.decode()
    assert 'data-region="411002"' in html
    assert 'data-region="411082"' not in html and 'data-region="411000"' not in html
    changge = IndicatorValue.objects.get(indicator=computed, year=YEAR, region__adcode="411082")
    assert client.get(f"/stats/indicators/values/{changge.pk}/").status_code == 404


def test_the_lineage_page_names_each_input_with_its_records(client, computed):
    client.force_login(official("city"))
    value = IndicatorValue.objects.get(indicator=computed, year=YEAR, region__adcode=WEIDU)
    html = client.get(f"/stats/indicators/values/{value.pk}/").content.decode()
    assert 'data-ref="straw_utilised"' in html and 'data-ref="straw_collectable"' in html
    assert "/stats/declarations/?kind=agriculture&amp;year=2021&amp;region=411002" in html
    assert "2021-01-01 — 2021-12-31" in html
    assert 'data-confidence="verified"' in html


def test_custom_indicators_from_the_page(client):
    client.force_login(official("city"))
    data = {
        "name": "自定义建筑垃圾指标",
        "level1": "固体废物资源化利用",
        "unit": "%",
        "formula": "construction_utilised / constructions * 100",
        "direction": "up",
    }
    response = client.post("/stats/indicators/new/", data)
    assert response.status_code == 200
    assert "没有名为 constructions 的统计量。" in response.content.decode()
    response = client.post(
        "/stats/indicators/new/", {**data, "formula": "construction_utilised × 100"}
    )
    created = Indicator.objects.get(catalogue="custom")
    assert response.status_code == 302 and response.url == f"/stats/indicators/{created.pk}/"
    assert client.get(f"/stats/indicators/{created.pk}/edit/").status_code == 200
    straw = Indicator.objects.get(code="common-straw")
    assert client.get(f"/stats/indicators/{straw.pk}/edit/").status_code == 403
    client.post(f"/stats/indicators/{straw.pk}/active/", {"active": "0"})
    assert not Indicator.objects.get(pk=straw.pk).is_active


def test_county_officials_may_not_create_indicators(client):
    client.force_login(official("county"))
    assert client.get("/stats/indicators/new/").status_code == 403


def test_the_targets_page_sets_a_target(client):
    client.force_login(official("county"))
    straw = Indicator.objects.get(code="common-straw")
    weidu = region(WEIDU)
    data = {"indicator": straw.pk, "year": YEAR, "region": weidu.pk, "value": "91", "note": ""}
    response = client.post("/stats/indicators/targets/", data)
    assert response.status_code == 302
    assert IndicatorTarget.objects.get().value == 91
    city = region(CITY)
    refused = client.post("/stats/indicators/targets/", {**data, "region": city.pk})
    assert refused.status_code == 200  # the city is not among the county official's choices
    assert IndicatorTarget.objects.count() == 1


def test_the_report_page_and_its_documents(client, computed):
    client.force_login(official("city"))
    query = {"year": YEAR, "region": WEIDU}
    html = client.get("/stats/indicators/report/", query).content.decode()
    assert "魏都区“无废城市”建设指标报告（2021年）" in html
    assert html.count('data-testid="marks"') == Indicator.objects.filter(is_active=True).count()
    workbook = client.get("/stats/indicators/report/", {**query, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[2]) == REPORT_HEADERS
    straws = [r for r in rows[3:] if r[2] == "秸秆综合利用率"]  # 2019, 2021, common
    assert [r[5:9] for r in straws] == [
        ("—", "92.00", "—", "已核实（官方来源）"),
        ("—", "92.00", "—", "二手来源"),
        ("90.00", "92.00", "达标", "已核实（官方来源）"),  # the common one has the target
    ]
    document = client.get("/stats/indicators/report/", {**query, "format": "docx"})
    assert document["Content-Type"].endswith("wordprocessingml.document")
    docx = Document(io.BytesIO(document.content))
    assert docx.paragraphs[0].text == "魏都区“无废城市”建设指标报告（2021年）"
    table = docx.tables[0]
    assert [c.text for c in table.rows[0].cells] == REPORT_HEADERS
    assert len(table.rows) == 1 + Indicator.objects.filter(is_active=True).count()
    assert any("可信度" in p.text for p in docx.paragraphs)


def test_recompute_from_the_report_page(client):
    client.force_login(official("city"))
    response = client.post("/stats/indicators/recompute/", {"year": YEAR})
    assert response.status_code == 302
    assert IndicatorValue.objects.filter(year=YEAR).exists()
    client.force_login(official("department"))
    assert client.post("/stats/indicators/recompute/", {"year": YEAR}).status_code == 403


def test_the_command_recomputes_and_writes_the_report(tmp_path, capsys):
    weidu_2021()
    call_command("indicators", "--year", str(YEAR), "--region", WEIDU, "--catalogue", "common")
    out = capsys.readouterr().out
    assert out.startswith("魏都区“无废城市”建设指标报告（2021年）\n")
    assert "秸秆综合利用率\t%\t可选\t—\t92.00\t—\t已核实（官方来源）" in out
    target = tmp_path / "report.docx"
    call_command("indicators", "--year", str(YEAR), "--format", "docx", "--output", str(target))
    assert Document(str(target)).paragraphs[0].text == "许昌市“无废城市”建设指标报告（2021年）"
