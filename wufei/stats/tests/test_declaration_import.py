"""The Excel import of declarations: the template, both modes, and every bad row reported
with its row, column, code and Chinese message while nothing is written."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from wufei.core.errors import Invalid
from wufei.registry.models import Region
from wufei.stats import declarations as s
from wufei.stats.declaration_import import (
    ALL_OR_NOTHING,
    GOOD_ROWS_ONLY,
    import_declarations,
    template_workbook,
)
from wufei.stats.declaration_kinds import KINDS
from wufei.stats.models import Declaration, DeclarationLine, RollupDirty
from wufei.stats.tests.test_declarations import (
    CHANGGE,
    IND_CODE,
    WEIDU,
    YEAR,
    World,
    counts,
    declaration_world,
    industrial,
)

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
IND_HEADERS = ["统一社会信用代码", "年度", "废物代码", "申报项", "数值", "单位"]
BALANCED = [
    ("generated", 100),
    ("utilised", 70),
    ("utilised_prior", 5),
    ("stored", 10),
    ("disposed_landfill", 20),
    ("disposed_other", 10),
    ("disposed_prior", 5),
]


@pytest.fixture
def w() -> World:
    return declaration_world()


def xlsx(rows, headers=IND_HEADERS, name="申报.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.title = "填报"
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def industrial_rows(party, year=YEAR, code=IND_CODE, values=BALANCED, unit="t"):
    return [(party.credit_code, year, code, item, value, unit) for item, value in values]


def run(actor, upload, kind="industrial", **kwargs):
    return import_declarations(actor=actor, kind=KINDS[kind], upload=upload, **kwargs)


def issues(report) -> set[tuple]:
    return {(i.row, i.column, i.code) for i in report.issues}


# --- the template ----------------------------------------------------------------------------


def test_the_industrial_template_explains_items_units_and_codes(w):
    book = load_workbook(io.BytesIO(template_workbook(KINDS["industrial"])))
    assert book.sheetnames == ["填报", "说明", "废物代码"]
    assert [c.value for c in book["填报"][1]] == IND_HEADERS
    text = "\n".join(
        str(v) for row in book["说明"].iter_rows(values_only=True) for v in row if v is not None
    )
    for expected in (
        "generated",
        "其中：综合利用往年贮存量",
        "t、吨",
        "千克",
        "贮存净增量",
        "togowu",
    ):
        assert expected in text, expected
    codes = [r[0] for r in book["废物代码"].iter_rows(min_row=2, values_only=True)]
    assert IND_CODE in codes


def test_department_templates_ask_for_a_region_and_monthly_ones_for_a_month(w):
    book = load_workbook(io.BytesIO(template_workbook(KINDS["sludge"])))
    assert [c.value for c in book["填报"][1]] == [
        "区划代码",
        "年度",
        "月份",
        "申报项",
        "数值",
        "单位",
    ]
    regions = [r[0] for r in book["区划代码"].iter_rows(min_row=2, values_only=True)]
    assert {"411000", WEIDU, CHANGGE} <= set(regions)
    assert "废物代码" not in book.sheetnames


def test_a_filled_template_imports(w):
    book = load_workbook(io.BytesIO(template_workbook(KINDS["industrial"])))
    for row in industrial_rows(w.factory):
        book["填报"].append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    report = run(w.ent, SimpleUploadedFile("t.xlsx", buffer.getvalue()))
    assert report.ok and len(report.created) == 1


# --- good files ------------------------------------------------------------------------------


def test_all_good_rows_make_one_submitted_declaration_per_declarant_and_period(w):
    rows = [
        *industrial_rows(w.factory),
        *industrial_rows(w.factory, year=YEAR - 1),
        *industrial_rows(w.other, values=[(i, v * 1000) for i, v in BALANCED], unit="千克"),
    ]
    before = RollupDirty.objects.count()
    report = run(w.city, xlsx(rows), origin="申报.xlsx")
    assert report.ok, report.issues
    assert (report.rows, report.groups, len(report.created)) == (21, 3, 3)
    declarations = Declaration.objects.order_by("pk")
    assert [(d.party, d.period_start.year, d.status) for d in declarations] == [
        (w.factory, YEAR, "submitted"),
        (w.factory, YEAR - 1, "submitted"),
        (w.other, YEAR, "submitted"),
    ]
    assert declarations[0].origin == "申报.xlsx"
    other = declarations[2].lines.get(item="generated")
    assert (other.value, other.entered_value, other.entered_unit) == (
        Decimal(100),
        Decimal(100_000),
        "千克",
    )
    assert RollupDirty.objects.count() > before
    assert report.created[0].rows == [2, 3, 4, 5, 6, 7, 8]


def test_labels_numbers_as_typed_and_headers_in_any_order(w):
    headers = ["数值", "单位", "申报项", "年度", "区划代码", "月份"]
    rows = [
        (12.5, "吨", "污泥产生量", float(YEAR), int(WEIDU), 3),
        (3000, "kg", "sludge_utilised", str(YEAR), WEIDU, "3"),
        (40, "", "sludge_generated", YEAR - 1, WEIDU, None),
    ]
    report = run(w.city, xlsx(rows, headers=headers), kind="sludge")
    assert report.ok, report.issues
    annual, monthly = Declaration.objects.order_by("period_end")
    assert (monthly.period_start, monthly.period_end) == (date(YEAR, 3, 1), date(YEAR, 3, 31))
    assert {line.item: line.value for line in monthly.lines.all()} == {
        "sludge_generated": Decimal("12.5"),
        "sludge_utilised": Decimal(3),
    }
    assert (annual.period_start, annual.region.adcode) == (date(YEAR - 1, 1, 1), WEIDU)


def test_a_write_refused_after_the_checks_rolls_back_an_all_or_nothing_import(w):
    headers = ["区划代码", "年度", "月份", "申报项", "数值", "单位"]
    rows = [
        (WEIDU, YEAR, 3, "sludge_generated", 1, "t"),
        (WEIDU, YEAR, None, "sludge_generated", 9, "t"),
    ]
    before = counts()
    report = run(w.city, xlsx(rows, headers=headers), kind="sludge")
    assert not report.created and issues(report) == {(3, None, "already_declared")}
    assert counts() == before


def test_a_town_is_no_region_to_declare_for(w):
    town = Region.objects.filter(parent=w.weidu).first()
    assert town is not None
    headers = ["区划代码", "年度", "月份", "申报项", "数值", "单位"]
    report = run(
        w.city,
        xlsx([(town.adcode, YEAR, 3, "sludge_generated", 1, "t")], headers=headers),
        kind="sludge",
    )
    assert issues(report) == {(2, "region", "invalid_region")}


def test_overlapping_periods_in_one_file_are_already_declared(w):
    headers = ["区划代码", "年度", "月份", "申报项", "数值", "单位"]
    rows = [
        (WEIDU, YEAR, 3, "sludge_generated", 1, "t"),
        (WEIDU, YEAR, None, "sludge_generated", 9, "t"),
    ]
    report = run(w.city, xlsx(rows, headers=headers), kind="sludge", mode=GOOD_ROWS_ONLY)
    assert [c.rows for c in report.created] == [[2]]
    assert issues(report) == {(3, None, "already_declared")}


def test_imports_may_create_drafts(w):
    report = run(w.ent, xlsx(industrial_rows(w.factory)), as_draft=True)
    assert report.ok
    assert Declaration.objects.get().status == "draft"
    assert not RollupDirty.objects.exists()


# --- bad files and bad rows -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        ["统一社会信用代码", "年度", "申报项", "数值", "单位"],
        [*IND_HEADERS, "备注"],
        ["区划代码", "年度", "废物代码", "申报项", "数值", "单位"],
        [],
    ],
)
def test_wrong_headers_are_a_file_error_naming_expected_and_found(w, headers):
    before = counts()
    with pytest.raises(Invalid) as exc:
        run(w.ent, xlsx(industrial_rows(w.factory), headers=headers))
    error = exc.value.errors[0]
    assert (error.field, error.code) == ("file", "bad_headers")
    assert "统一社会信用代码、年度、废物代码、申报项、数值、单位" in error.message
    assert "实为" in error.message
    assert counts() == before


@pytest.mark.parametrize(
    "content, code",
    [(b"not a workbook", "bad_file"), (None, "empty_file")],
)
def test_unreadable_and_empty_files(w, content, code):
    upload = xlsx([]) if content is None else SimpleUploadedFile("x.xlsx", content)
    with pytest.raises(Invalid) as exc:
        run(w.ent, upload)
    assert exc.value.errors[0].code == code


def _bad(w, index: int, column: int, value) -> list[list[Any]]:
    rows = [list(r) for r in industrial_rows(w.factory)]
    rows[index][column] = value
    return rows


@pytest.mark.parametrize(
    "change, row, column, code",
    [
        (lambda w: _bad(w, 0, 4, -100), 2, "value", "negative_value"),
        (lambda w: _bad(w, 0, 4, "一百"), 2, "value", "invalid_number"),
        (lambda w: _bad(w, 1, 2, "999-999-S05"), 3, "waste_code", "unknown_waste_code"),
        (lambda w: _bad(w, 1, 3, "产量"), 3, "item", "unknown_item"),
        (lambda w: _bad(w, 2, 5, "m²"), 4, "unit", "unit_not_convertible"),
        (lambda w: _bad(w, 0, 1, YEAR + 1), 2, "year", "period_in_future"),
        (lambda w: _bad(w, 0, 0, "91411002MA00000000"), 2, "credit_code", "unknown_party"),
        (lambda w: _bad(w, 0, 0, w.other.credit_code), 2, "credit_code", "not_permitted"),
        (lambda w: _bad(w, 0, 4, 120), 2, None, "balance_mismatch"),
        (
            lambda w: [*industrial_rows(w.factory), industrial_rows(w.factory)[3]],
            9,
            "item",
            "duplicate_row",
        ),
    ],
)
def test_each_bad_row_is_reported_and_nothing_is_written(w, change, row, column, code):
    before = counts()
    report = run(w.ent, xlsx(change(w)))
    assert not report.ok and not report.created
    assert (row, column, code) in issues(report), report.issues
    assert all(CHINESE.search(i.message) for i in report.issues)
    assert counts() == before


def test_a_broken_balance_is_reported_on_every_row_of_its_waste_code(w):
    report = run(w.ent, xlsx(_bad(w, 0, 4, 120)))
    assert {i.row for i in report.issues if i.code == "balance_mismatch"} == set(range(2, 9))


def test_unknown_and_foreign_regions(w):
    rows = [("419999", YEAR, None, "sludge_generated", 1, "t")]
    headers = ["区划代码", "年度", "月份", "申报项", "数值", "单位"]
    report = run(w.housing, xlsx(rows, headers=headers), kind="sludge")
    assert (2, "region", "unknown_region") in issues(report)
    report = run(w.county_weidu, xlsx([(CHANGGE, *rows[0][1:])], headers=headers), kind="sludge")
    assert (2, "region", "not_permitted") in issues(report)
    report = run(w.ent, xlsx([(WEIDU, *rows[0][1:])], headers=headers), kind="sludge")
    assert (2, "region", "not_permitted") in issues(report)
    assert not Declaration.objects.exists()


def test_an_earlier_declaration_of_the_period_is_already_declared(w):
    s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    before = counts()
    report = run(w.ent, xlsx(industrial_rows(w.factory)))
    assert {i.code for i in report.issues} == {"already_declared"}
    assert {i.row for i in report.issues} == set(range(2, 9))
    assert counts() == before


# --- the modes ------------------------------------------------------------------------------


def _two_groups(w) -> list[tuple]:
    good = industrial_rows(w.factory)
    bad = [list(r) for r in industrial_rows(w.factory, year=YEAR - 1)]
    bad[2][4] = -1
    return [*good, *bad]


def test_all_or_nothing_writes_nothing_when_one_group_is_bad(w):
    before = counts()
    report = run(w.ent, xlsx(_two_groups(w)), mode=ALL_OR_NOTHING)
    assert not report.created and issues(report) == {(11, "value", "negative_value")}
    assert report.rejected_rows == list(range(2, 16))
    assert counts() == before


def test_good_rows_only_writes_the_good_groups_and_lists_the_rejected_rows(w):
    report = run(w.ent, xlsx(_two_groups(w)), mode=GOOD_ROWS_ONLY)
    assert [c.declaration.period_start.year for c in report.created] == [YEAR]
    assert report.created[0].rows == list(range(2, 9))
    assert issues(report) == {(11, "value", "negative_value")}
    assert report.rejected_rows == list(range(9, 16))
    assert Declaration.objects.count() == 1
    assert DeclarationLine.objects.count() == 7


def test_an_unknown_mode_is_refused(w):
    with pytest.raises(Invalid) as exc:
        run(w.ent, xlsx(industrial_rows(w.factory)), mode="some")
    assert exc.value.errors[0].code == "invalid_mode"
