"""The declarations API over HTTP: create with lines, replace, submit, review, the kinds and
the Excel import; every refusal as ``{code, field, message, errors[]}`` with nothing
written, and each actor seeing only its own scope."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from wufei.stats.models import Declaration, RollupDirty
from wufei.stats.tests.test_declaration_import import industrial_rows, xlsx
from wufei.stats.tests.test_declarations import (
    CHANGGE,
    IND_CODE,
    WEIDU,
    YEAR,
    World,
    counts,
    declaration_world,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/declarations/"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def w() -> World:
    return declaration_world()


def as_(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def refused(response, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.data
    body = response.data
    assert (body["code"], body["field"]) == (code, field), body
    assert CHINESE.search(body["message"]), body
    assert {"code": code, "field": field} in [
        {"code": e["code"], "field": e["field"]} for e in body["errors"]
    ], body


def lines(generated="100", **overrides) -> list[dict]:
    values = {
        "generated": generated,
        "utilised": "70",
        "utilised_prior": "5",
        "stored": "10",
        "disposed_landfill": "20",
        "disposed_other": "10",
        "disposed_prior": "5",
    }
    values.update(overrides)
    return [
        {"item": item, "value": value, "unit": "t", "waste_code": IND_CODE}
        for item, value in values.items()
    ]


def body(**overrides) -> dict:
    data = {"kind": "industrial", "year": YEAR, "lines": lines()}
    data.update(overrides)
    return data


def create(user, **overrides):
    return as_(user).post(URL, body(**overrides), format="json")


# --- the lifecycle ---------------------------------------------------------------------------


def test_create_replace_submit_accept_over_http(w):
    response = create(
        w.ent, lines=[{"item": "产生量", "value": 1500, "unit": "kg", "waste_code": IND_CODE}]
    )
    assert response.status_code == 201, response.data
    d = response.data
    assert (d["status"], d["party"]["credit_code"], d["region"], d["period"]) == (
        "draft",
        w.factory.credit_code,
        WEIDU,
        f"{YEAR}年",
    )
    line = d["lines"][0]
    assert (
        line["item"],
        line["value"],
        line["unit"],
        line["entered_value"],
        line["entered_unit"],
    ) == (
        "generated",
        "1.5000",
        "t",
        "1500.0000",
        "kg",
    )
    assert d["actions"] == {"edit": True, "review": False}
    pk = d["id"]
    response = as_(w.ent).put(f"{URL}{pk}/", {"lines": lines(), "note": "完整"}, format="json")
    assert response.status_code == 200, response.data
    assert (len(response.data["lines"]), response.data["note"]) == (7, "完整")
    response = as_(w.ent).post(f"{URL}{pk}/submit/")
    assert response.status_code == 200 and response.data["status"] == "submitted"
    assert RollupDirty.objects.filter(region=w.weidu).exists()
    refused(as_(w.ent).post(f"{URL}{pk}/accept/"), 403, "not_permitted", None)
    response = as_(w.ecology).post(f"{URL}{pk}/accept/", {"note": "无误"}, format="json")
    assert (response.status_code, response.data["status"]) == (200, "accepted")
    assert response.data["reviewed_by"] == w.ecology.username
    refused(as_(w.ecology).post(f"{URL}{pk}/return/", {}, format="json"), 400, "required", "note")
    response = as_(w.city).post(f"{URL}{pk}/return/", {"note": "数据有误"}, format="json")
    assert (response.status_code, response.data["status"]) == (200, "returned")


def test_create_and_submit_at_once_for_a_department(w):
    response = create(
        w.agriculture,
        kind="agriculture",
        lines=[
            {"item": "straw_collectable", "value": "1,200"},
            {"item": "villages_total", "value": 40},
        ],
        submit=True,
    )
    assert response.status_code == 201, response.data
    assert (response.data["status"], response.data["region"], response.data["department"]) == (
        "submitted",
        "411000",
        "agriculture",
    )
    assert {line["item"]: Decimal(line["value"]) for line in response.data["lines"]} == {
        "straw_collectable": Decimal(1200),
        "villages_total": Decimal(40),
    }


def test_city_officials_name_the_party_or_region_by_code(w):
    response = create(w.city, party=w.other.credit_code)
    assert (response.status_code, response.data["region"]) == (201, CHANGGE)
    response = create(
        w.city, kind="statistics", region=WEIDU, lines=[{"item": "gdp", "value": "3"}]
    )
    assert (response.status_code, response.data["region"]) == (201, WEIDU)


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, code, field",
    [
        ({"lines": lines(generated="-3")}, "negative_value", "lines.0.value"),
        ({"lines": lines(generated="x")}, "invalid_number", "lines.0.value"),
        (
            {"lines": [{"item": "产量", "value": "1", "waste_code": IND_CODE}]},
            "unknown_item",
            "lines.0.item",
        ),
        (
            {"lines": [{"item": "generated", "value": "1", "waste_code": "900-041-49"}]},
            "unknown_waste_code",
            "lines.0.waste_code",
        ),
        (
            {"lines": [{"item": "generated", "value": "1", "unit": "元", "waste_code": IND_CODE}]},
            "unit_not_convertible",
            "lines.0.unit",
        ),
        ({"lines": lines(generated="150"), "submit": True}, "balance_mismatch", "lines"),
        ({"year": YEAR + 2}, "period_in_future", "year"),
        ({"month": 4}, "period_not_allowed", "month"),
        ({"kind": "nonsense"}, "unknown_kind", "kind"),
        ({"party": "91411002MA00000000"}, "unknown_party", "party"),
        ({"lines": [{"value": "1"}]}, "required", "lines.0.item"),
        ({"year": "last"}, "invalid", "year"),
    ],
)
def test_bad_requests_are_400_with_code_and_field_and_write_nothing(w, overrides, code, field):
    before = counts()
    refused(create(w.ent, **overrides), 400, code, field)
    assert counts() == before


def test_a_missing_body_names_its_fields(w):
    response = as_(w.ent).post(URL, {}, format="json")
    assert response.status_code == 400
    assert {e["field"] for e in response.data["errors"]} >= {"kind", "year", "lines"}


def test_already_declared_and_transitions(w):
    first = create(w.ent, submit=True).data["id"]
    before = counts()
    refused(create(w.ent, submit=True), 400, "already_declared", None)
    assert counts() == before
    refused(
        as_(w.ent).put(f"{URL}{first}/", {"lines": lines()}, format="json"),
        409,
        "invalid_transition",
        None,
    )
    refused(as_(w.ent).post(f"{URL}{first}/submit/"), 409, "invalid_transition", None)


@pytest.mark.parametrize(
    "who, overrides, status",
    [
        ("ent", {"party": "OTHER"}, 403),
        ("ent", {"kind": "agriculture", "lines": []}, 403),
        ("county_weidu", {"party": "OTHER"}, 403),
        ("agriculture", {"kind": "housing", "lines": []}, 403),
        ("public", {}, 403),
        (None, {}, 401),
    ],
)
def test_out_of_scope_writes(w, who, overrides, status):
    if overrides.get("party") == "OTHER":
        overrides = {**overrides, "party": w.other.credit_code}
    before = counts()
    response = create(getattr(w, who) if who else None, **overrides)
    assert response.status_code == status, response.data
    assert response.data["code"] in ("not_permitted", "not_authenticated")
    assert counts() == before


# --- reads -----------------------------------------------------------------------------------


def test_lists_are_scoped_and_filtered(w):
    mine = create(w.ent, submit=True).data["id"]
    theirs = create(w.ent_other, party="", submit=True).data["id"]
    stats = create(w.city, kind="statistics", lines=[{"item": "gdp", "value": "1"}]).data["id"]

    def ids(user, **query):
        response = as_(user).get(URL, query)
        assert response.status_code == 200, response.data
        return {row["id"] for row in response.data["results"]}

    assert ids(w.ent) == {mine}
    assert ids(w.ent_other) == {theirs}
    assert ids(w.county_weidu) == {mine}
    assert ids(w.ecology) == {mine, theirs}
    assert ids(w.agriculture) == set()
    assert ids(w.city) == {mine, theirs, stats}
    assert ids(w.city, kind="statistics") == {stats}
    assert ids(w.city, status="submitted") == {mine, theirs}
    assert ids(w.city, region=CHANGGE) == {theirs}
    assert ids(w.city, year=YEAR) == {mine, theirs, stats}
    assert ids(w.city, year=YEAR - 1) == set()
    assert as_(w.ent).get(f"{URL}{theirs}/").status_code == 404
    assert as_(None).get(URL).status_code == 401


def test_kinds_are_listed_with_items_units_and_periods(w):
    response = as_(w.ent).get("/api/v1/declaration-kinds/")
    assert response.status_code == 200
    kinds = {k["code"]: k for k in response.data}
    assert set(kinds) >= {"industrial", "hazardous", "agriculture", "history", "statistics"}
    sludge = as_(w.ent).get("/api/v1/declaration-kinds/sludge/").data
    assert sludge["periods"] == ["monthly", "annual"]
    generated = sludge["items"][0]
    assert (generated["full_code"], generated["unit"], generated["quantity"]) == (
        "sludge.sludge_generated",
        "t",
        "generated",
    )
    assert "千克" in generated["units"]
    refused(as_(w.ent).get("/api/v1/declaration-kinds/nothing/"), 404, "not_found", None)


# --- import ----------------------------------------------------------------------------------

IMPORT = "/api/v1/declaration-imports/"


def test_import_over_http(w):
    response = as_(w.ent).post(
        IMPORT, {"kind": "industrial", "file": xlsx(industrial_rows(w.factory))}, format="multipart"
    )
    assert response.status_code == 201, response.data
    assert response.data["ok"] and len(response.data["created"]) == 1
    assert Declaration.objects.get().status == "submitted"


def test_a_bad_import_is_400_with_the_rows_and_the_report(w):
    rows = [list(r) for r in industrial_rows(w.factory)]
    rows[2][4] = -7
    before = counts()
    response = as_(w.ent).post(
        IMPORT, {"kind": "industrial", "file": xlsx(rows)}, format="multipart"
    )
    refused(response, 400, "negative_value", "rows.4.value")
    assert response.data["report"]["issues"][0]["row"] == 4
    assert response.data["report"]["created"] == []
    assert counts() == before
    response = as_(w.ent).post(
        IMPORT,
        {"kind": "industrial", "file": xlsx(rows), "mode": "good_rows_only"},
        format="multipart",
    )
    assert response.status_code == 200 and response.data["rejected_rows"] == list(range(2, 9))


def test_import_file_errors(w):
    response = as_(w.ent).post(
        IMPORT,
        {"kind": "industrial", "file": xlsx(industrial_rows(w.factory), headers=["a", "b"])},
        format="multipart",
    )
    refused(response, 400, "bad_headers", "file")
    refused(
        as_(w.ent).post(IMPORT, {"kind": "industrial"}, format="multipart"), 400, "required", "file"
    )
    response = as_(w.ent).post(IMPORT, {"kind": "x", "file": xlsx([])}, format="multipart")
    refused(response, 400, "unknown_kind", "kind")
    response = as_(w.public).post(
        IMPORT, {"kind": "industrial", "file": xlsx([])}, format="multipart"
    )
    assert response.status_code == 403


def test_the_list_costs_the_same_for_one_row_or_many(w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def cost(user, url) -> int:
        client = as_(user)
        client.force_login(user)
        client.get(url)  # warm the per-process caches (content types, streams)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    create(w.ent, submit=True)
    pages = (URL, "/stats/declarations/")
    one = {(u.pk, url): cost(u, url) for u in (w.ent, w.ecology) for url in pages}
    for year in range(YEAR - 5, YEAR):
        create(w.ent, year=year, submit=True)
    many = {(u.pk, url): cost(u, url) for u in (w.ent, w.ecology) for url in pages}
    assert many == one
