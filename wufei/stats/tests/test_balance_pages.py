"""The balance and forecast pages and the balance API: parameters, what-if, downloads, and who
may see which region."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from wufei.registry.tests import factories
from wufei.stats import forecasts
from wufei.stats.tests.test_balance import CHANGGE, CITY, WEIDU, balance_world, user
from wufei.stats.tests.test_forecast import put_history, seasonal

PAGE = "/stats/balance/"
FORECAST = "/stats/balance/forecast/"
API = "/api/v1/balance/"
WEIDU_2020 = {"year": "2020", "region": WEIDU}


@pytest.fixture
def world(db):
    return balance_world()


@pytest.fixture
def city_client(client, world):
    client.force_login(user(role="city"))
    return client


def test_page_shows_the_table_and_warnings(city_client):
    page = city_client.get(PAGE, WEIDU_2020)
    assert page.status_code == 200
    html = page.content.decode()
    assert "魏都区固体废物处置能力平衡表（2020年）" in html
    assert "1,200.00" in html and "98.2%" in html
    assert 'data-testid="balance-warnings"' in html
    assert "本区域无一般工业固体废物处置利用能力" in html
    assert "balance-chart-data" in html and "vendor/echarts/echarts.min.js" in html


def test_page_what_if_from_get_parameters(city_client, world):
    query = {
        **WEIDU_2020,
        "growth_household": "10",
        "add1_stream": "household",
        "add1_method": "G-INC",
        "add1_tonnes": "1000",
        "add1_region": WEIDU,
        "add1_from": "2022",
        "close": str(world.hazardous.pk),
        "close_from": "2021",
    }
    table = city_client.get(PAGE, query).context["table"]
    rows = {r.code: r for r in table.blocks[0].rows}
    assert rows["household"].demand[2022] == 1452
    assert rows["household"].capacity_total[2022] == 2100
    assert rows["hazardous"].capacity_total[2021] == 0
    assert len(table.scenario.describe()) == 3


def test_page_form_errors(city_client):
    page = city_client.get(PAGE, {**WEIDU_2020, "add1_stream": "household"})
    assert page.status_code == 200 and page.context["table"] is None
    assert "请填写完整的新增设施信息。" in page.content.decode()


def test_page_downloads(city_client):
    answer = city_client.get(PAGE, {**WEIDU_2020, "format": "xlsx"})
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    assert sheet["A2"].value == "魏都区固体废物处置能力平衡表（2020年）"
    answer = city_client.get(PAGE, {**WEIDU_2020, "format": "docx"})
    assert "wordprocessingml" in answer["Content-Type"]
    assert "filename*=UTF-8''" in answer["Content-Disposition"]


def test_county_official_sees_the_county_only(client, world):
    client.force_login(user(role="county", region=world.weidu))
    page = client.get(PAGE)
    assert page.status_code == 200
    assert page.context["table"].region.adcode == WEIDU  # the default is their county
    assert [c[0] for c in page.context["form"].fields["region"].widget.choices] == [WEIDU]
    assert client.get(PAGE, {"year": "2020", "region": CITY}).status_code == 403
    assert client.get(PAGE, {"year": "2020", "region": CHANGGE}).status_code == 403
    assert client.get(FORECAST, {"region": CHANGGE}).status_code == 403
    assert client.get(API, {"year": "2020", "region": CITY}).json()["code"] == "not_permitted"


def test_enterprises_and_visitors_are_refused(client, world):
    assert client.get(PAGE).status_code == 302  # to the log-in page
    client.force_login(user(role="enterprise", party=factories.PartyFactory()))
    assert client.get(PAGE).status_code == 403
    assert client.get(API).status_code == 403


def test_api_answers_the_table(city_client):
    body = city_client.get(API, {**WEIDU_2020, "growth_household": "10"}).json()
    assert body["title"] == "魏都区固体废物处置能力平衡表（2020年）"
    assert body["years"] == [2020, 2021, 2022, 2023]
    [block] = body["blocks"]
    household = next(r for r in block["rows"] if r["code"] == "household")
    assert household["generated"] == "1200.000"
    assert household["demand"]["2022"] == "1452.000"
    assert household["capacity"]["energy"] == "1100.000"
    assert household["load"] == "0.9818"
    assert [w["code"] for w in household["warnings"]] == ["capacity_short", "overloaded"]
    assert block["total"]["generated"] == "3360.000"
    assert body["scenario"] == ["生活垃圾 产生量年增长率 10%"]


def test_api_rejects_bad_parameters(city_client):
    body = city_client.get(API, {**WEIDU_2020, "add1_stream": "household"}).json()
    assert body["code"] == "incomplete"
    assert {e["field"] for e in body["errors"]} >= {"add1_method", "add1_tonnes"}
    body = city_client.get(
        API,
        {
            **WEIDU_2020,
            "add1_stream": "household",
            "add1_method": "G-INC",
            "add1_tonnes": "5",
            "add1_region": CHANGGE,
            "add1_from": "2021",
        },
    ).json()
    assert body["code"] == "outside_region"
    assert city_client.get(API, {"year": "1800", "region": WEIDU}).status_code == 400


def test_forecast_page(city_client, world):
    put_history(world.weidu, "kitchen", date(2022, 1, 1), seasonal(36, level=300))
    forecasts.refit([world.weidu], as_of=date(2025, 1, 15))
    page = city_client.get(FORECAST, {"region": WEIDU, "stream": "kitchen"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "魏都区餐厨废弃物产生量预测" in html
    fit = page.context["fit"]
    assert fit.method == forecasts.HOLT_WINTERS and fit.backtest_months == 9  # 36 // 4
    assert f"{fit.backtest_mape}%" in html
    chart = page.context["chart"]
    assert len(chart["forecast"]) == 36 and len(chart["history"]) == 36
    assert chart["months"][:2] == ["2022-01", "2022-02"] and len(chart["months"]) == 72
    assert "forecast-data" in html
