"""The balance table's exports: the .xlsx annex and the .docx open and hold the numbers; the
``wufei balance`` command writes them and prints the table."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.management import call_command
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from wufei.stats.balance_export import write_docx, write_xlsx
from wufei.stats.tests.test_balance import (
    CHANGGE,
    WEIDU,
    balance_world,
    table_of,
    user,
)


@pytest.fixture
def world(db):
    return balance_world()


def row_of(sheet, label: str) -> list:
    for row in sheet.iter_rows(values_only=True):
        if row[1] == label:
            return list(row)
    raise AssertionError(f"no row {label}")


def test_xlsx_annex(world):
    table = table_of(user(role="city"), world.weidu)
    book = openpyxl.load_workbook(io.BytesIO(write_xlsx(table, annex="3")))
    sheet = book.active
    assert sheet["A1"].value == "附件3"
    assert sheet["A2"].value == "魏都区固体废物处置能力平衡表（2020年）"
    assert "单位：吨/年" in [c.value for c in sheet[3]]
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert "A4:A5" in merged and "C4:F4" in merged  # 序号; 产生量 over its four years
    assert sheet["C5"].value == "2020年" and sheet["D5"].value == "2021年（预测）"
    assert sheet["A6"].value == "一、魏都区"

    household = row_of(sheet, "生活垃圾")
    assert household[2] == 1200 and household[3] == 1320
    assert household[7] == 1100  # 能量回收
    assert household[10] == 500  # 贮存
    assert household[11] == 1100  # 合计（不含贮存）
    assert household[12] == 1080
    assert household[13] == pytest.approx(1080 / 1100)
    assert household[14] == -100
    assert "缺口" in household[-1] and "负荷率" in household[-1]
    assert row_of(sheet, "其中：HW08 废矿物油与含矿物油废物")[2] == 600
    assert row_of(sheet, "合计")[2] == 3360

    notes = [r[0] for r in sheet.iter_rows(values_only=True) if r[0] and str(r[0])[:2] == "3."]
    assert "365天×90%" in notes[0]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$4:$5"


def test_xlsx_city_has_a_block_per_region(world):
    table = table_of(user(role="city"), world.city)
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(table))).active
    blocks = [r[0] for r in sheet.iter_rows(values_only=True) if r[0] and "、" in str(r[0])[:2]]
    assert blocks[0] == "一、许昌市（全市）"
    assert len(blocks) == len(table.blocks) and any("长葛市" in b for b in blocks)
    totals = [r[2] for r in sheet.iter_rows(values_only=True) if r[1] == "合计"]
    assert totals[0] == 6260


def test_docx_is_landscape_and_holds_the_numbers(world):
    table = table_of(user(role="city"), world.weidu)
    document = Document(io.BytesIO(write_docx(table)))
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert (section.page_width or 0) > (section.page_height or 0)
    texts = [p.text for p in document.paragraphs]
    assert "附件1" in texts and "魏都区固体废物处置能力平衡表（2020年）" in texts
    grid = document.tables[0]
    properties = grid.rows[0]._tr.trPr
    assert properties is not None and properties.find(qn("w:tblHeader")) is not None
    household = next(r for r in grid.rows if r.cells[1].text == "生活垃圾")
    cells = [c.text for c in household.cells]
    assert cells[2] == "1,200.00" and cells[11] == "1,100.00" and cells[13] == "98.2%"
    assert cells[14] == "-100.00"
    hazardous = next(r for r in grid.rows if r.cells[1].text == "危险废物")
    assert hazardous.cells[3].text == "0.00*"  # 2021 is past: a counted figure, marked
    assert any("标“*”者为实际统计数" in t for t in texts)


def test_balance_command_writes_files_and_text(world, tmp_path, capsys):
    target = tmp_path / "annex.xlsx"
    call_command(
        "balance", "--year", "2020", "--region", WEIDU, "--output", str(target), "--format", "xlsx"
    )
    assert row_of(openpyxl.load_workbook(target).active, "生活垃圾")[2] == 1200
    docx_path = tmp_path / "annex.docx"
    call_command(
        "balance",
        "--year",
        "2020",
        "--region",
        CHANGGE,
        "--format",
        "docx",
        "--output",
        str(docx_path),
    )
    assert "长葛市固体废物处置能力平衡表（2020年）" in [
        p.text for p in Document(docx_path).paragraphs
    ]
    capsys.readouterr()
    call_command("balance", "--year", "2020", "--region", WEIDU)
    out = capsys.readouterr().out
    assert out.startswith("魏都区固体废物处置能力平衡表（2020年）")
    assert "生活垃圾" in out and "1,200.00" in out and "98.2%" in out
