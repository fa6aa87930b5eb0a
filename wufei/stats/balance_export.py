"""The balance table as a government annex: .xlsx (附件 line, title, unit, two merged header
rows, a block per region with its total, warnings, notes; landscape, fit to width, header rows
repeated on every page), .docx (the same table, landscape) and plain text for the console.

The columns are defined once here (:func:`header`, :func:`values`); the page uses them too.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.core.export import XLSX_CONTENT_TYPE
from wufei.registry.choices import Fate
from wufei.stats.balance import ROUTES, BalanceTable, Block, Row

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ROUTE_LABELS = {
    Fate.UTILISED: gettext_lazy("资源化利用"),
    Fate.ENERGY: gettext_lazy("能量回收"),
    Fate.LANDFILLED: gettext_lazy("填埋"),
    Fate.TREATED: gettext_lazy("其他无害化"),
    Fate.STORED: gettext_lazy("贮存"),
}
ORDINALS = "一二三四五六七八九十"
ACTUAL_MARK = "*"


# --- the columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    label: str
    columns: tuple[str, ...] = ()  # sub-headers; none: one column spanning both header rows
    short: str = ""  # the label before each sub-header in one-line headings (the console)

    @property
    def width(self) -> int:
        return max(len(self.columns), 1)


def header(table: BalanceTable) -> list[Group]:
    first, ahead = table.year, table.ahead
    return [
        Group(_("序号")),
        Group(_("固体废物类别")),
        Group(
            _("产生量"),
            (_("%s年") % first, *(_("%s年（预测）") % y for y in ahead)),
            _("产生量"),
        ),
        Group(
            _("处置利用能力（%s年末）") % first,
            (*(str(ROUTE_LABELS[r]) for r in ROUTES), _("合计（不含贮存）")),
            _("能力"),
        ),
        Group(_("实际接收量（%s年）") % first),
        Group(_("负荷率")),
        Group(
            _("能力富余（＋）/缺口（－）"),
            tuple(_("%s年") % y for y in table.years),
            _("富余/缺口"),
        ),
        Group(_("预警")),
    ]


# The kind of every data column after 序号 and 类别 and before 预警: tonnes, or a load factor.
TONNES, LOAD = "t", "%"


def kinds() -> list[str]:
    return [TONNES] * 4 + [TONNES] * (len(ROUTES) + 1) + [TONNES, LOAD] + [TONNES] * 4


def values(row: Row, table: BalanceTable) -> list[Decimal | None]:
    """A stream's (or the total's) numbers, in the order of :func:`kinds`."""
    return [
        row.generated,
        *(row.demand.get(y) for y in table.ahead),
        *(row.capacity.get(r) for r in ROUTES),
        row.capacity_total.get(table.year),
        row.received,
        row.load,
        *(row.gap.get(y) for y in table.years),
    ]


def actual_columns(row: Row, table: BalanceTable) -> set[int]:
    """Indexes (in :func:`values`) of forecast years filled with counted figures."""
    return {1 + i for i, y in enumerate(table.ahead) if row.demand_source.get(y) == "actual"}


def warning_text(row: Row) -> str:
    return "；".join(w.message for w in row.warnings)


def fmt(value: Decimal | None, kind: str = TONNES) -> str:
    if value is None:
        return "—"
    if kind == LOAD:
        return f"{value * 100:.1f}%"
    return f"{value:,.2f}"


@dataclass(frozen=True)
class Line:
    """One printed row: a block heading, a stream, a category under it, or a block total."""

    kind: str  # block | stream | category | total
    serial: str
    label: str
    numbers: list[Decimal | None]
    actual: set[int]
    warnings: str


def lines(table: BalanceTable) -> Iterator[Line]:
    width = len(kinds())
    for index, block in enumerate(table.blocks):
        yield Line("block", "", _block_title(index, block, table), [], set(), "")
        for serial, row in enumerate(block.rows, start=1):
            numbers = values(row, table)
            yield Line(
                "stream",
                str(serial),
                row.label,
                numbers,
                actual_columns(row, table),
                warning_text(row),
            )
            for category in row.categories:
                numbers = [category.generated] + [None] * (width - 1)
                yield Line("category", "", _("其中：%s") % category.label, numbers, set(), "")
        yield Line("total", "", _("合计"), values(block.total, table), set(), "")


def printed(line: Line, index: int, value: Decimal | None, kind: str) -> str:
    """A number as printed in Word and on the console (a category row shows only its
    generation; a forecast year filled with counted figures is marked)."""
    if line.kind == "category" and value is None:
        return ""
    return fmt(value, kind) + (ACTUAL_MARK if index in line.actual else "")


def _block_title(index: int, block: Block, table: BalanceTable) -> str:
    ordinal = ORDINALS[index] if index < len(ORDINALS) else str(index + 1)
    name = block.region.name
    if block.region.pk == table.region.pk and len(table.blocks) > 1:
        name = _("%s（全市）") % name
    return f"{ordinal}、{name}"


def notes(table: BalanceTable, *, marked: bool) -> list[str]:
    out = list(table.notes)
    mark = _("标“*”者") if marked else _("斜体数字")
    out.append(_("预测产生量栏中%s为实际统计数（该年已过去，无预测）。") % mark)
    return [f"{n}. {text}" for n, text in enumerate(out, start=1)]


# --- xlsx -----------------------------------------------------------------------------------


def write_xlsx(table: BalanceTable, *, annex: str = "1") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    book = Workbook()
    sheet = book.active
    sheet.title = _("处置能力平衡表")
    groups = header(table)
    ncols = sum(g.width for g in groups)
    last = get_column_letter(ncols)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    warn_fill = PatternFill("solid", fgColor="FDE2E1")
    song = "宋体"

    sheet["A1"] = _("附件%s") % annex
    sheet["A1"].font = Font(name="黑体", size=12)
    sheet.merge_cells(f"A2:{last}2")
    sheet["A2"] = table.title
    sheet["A2"].font = Font(name="方正小标宋简体", size=18, bold=True)
    sheet["A2"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[2].height = 36
    unit_from = get_column_letter(ncols - 2)
    sheet.merge_cells(f"{unit_from}3:{last}3")
    sheet[f"{unit_from}3"] = _("单位：吨/年")
    sheet[f"{unit_from}3"].alignment = Alignment(horizontal="right")

    column = 1
    for group in groups:
        start = get_column_letter(column)
        if not group.columns:
            sheet.merge_cells(f"{start}4:{start}5")
            sheet[f"{start}4"] = group.label
        else:
            end = get_column_letter(column + group.width - 1)
            if group.width > 1:
                sheet.merge_cells(f"{start}4:{end}4")
            sheet[f"{start}4"] = group.label
            for offset, sub in enumerate(group.columns):
                sheet.cell(row=5, column=column + offset, value=sub)
        column += group.width
    for r in (4, 5):
        sheet.row_dimensions[r].height = 30
        for c in range(1, ncols + 1):
            cell = sheet.cell(row=r, column=c)
            cell.font = Font(name=song, bold=True, size=10)
            cell.alignment = center
            cell.fill = header_fill
            cell.border = border

    formats = {TONNES: "#,##0.00;[Red]-#,##0.00", LOAD: "0.0%"}
    row_number = 6
    for line in lines(table):
        if line.kind == "block":
            sheet.merge_cells(f"A{row_number}:{last}{row_number}")
            sheet.cell(row=row_number, column=1, value=line.label).font = Font(name=song, bold=True)
            for c in range(1, ncols + 1):
                sheet.cell(row=row_number, column=c).border = border
            row_number += 1
            continue
        bold = line.kind == "total"
        sheet.cell(row=row_number, column=1, value=line.serial)
        sheet.cell(row=row_number, column=2, value=line.label)
        for offset, (value, kind) in enumerate(zip(line.numbers, kinds(), strict=True)):
            cell = sheet.cell(
                row=row_number, column=3 + offset, value=None if value is None else float(value)
            )
            cell.number_format = formats[kind]
            cell.font = Font(name=song, size=10, bold=bold, italic=offset in line.actual)
        warn = sheet.cell(row=row_number, column=ncols, value=line.warnings or None)
        if line.warnings:
            warn.fill = warn_fill
        for c in range(1, ncols + 1):
            cell = sheet.cell(row=row_number, column=c)
            cell.border = border
            if c in (1, 2, ncols):
                cell.font = Font(name=song, size=10, bold=bold)
                cell.alignment = Alignment(
                    horizontal="center" if c == 1 else "left",
                    vertical="center",
                    wrap_text=True,
                    indent=2 if c == 2 and line.kind == "category" else 0,
                )
        row_number += 1

    row_number += 1
    sheet.cell(row=row_number, column=1, value=_("注：")).font = Font(name=song, bold=True)
    for text in notes(table, marked=False):
        row_number += 1
        sheet.merge_cells(f"A{row_number}:{last}{row_number}")
        cell = sheet.cell(row=row_number, column=1, value=text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.font = Font(name=song, size=10)
        sheet.row_dimensions[row_number].height = 15 * (1 + len(text) // 150)

    widths = [5, 22] + [11] * (ncols - 3) + [36]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "C6"
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "4:5"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- docx -----------------------------------------------------------------------------------


def write_docx(table: BalanceTable, *, annex: str = "1") -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(10)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))

    document.add_paragraph().add_run(_("附件%s") % annex).bold = True
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(table.title)
    run.bold = True
    run.font.size = Pt(16)
    unit = document.add_paragraph(_("单位：吨/年"))
    unit.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    groups = header(table)
    ncols = sum(g.width for g in groups)
    body = list(lines(table))
    grid = document.add_table(rows=2 + len(body), cols=ncols)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER

    def put(cell, text: str, *, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER) -> None:
        cell.text = ""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = align
        r = paragraph.add_run(text)
        r.bold = bold
        r.font.size = Pt(7.5)

    column = 0
    for group in groups:
        top = grid.cell(0, column)
        if not group.columns:
            top.merge(grid.cell(1, column))
        else:
            if group.width > 1:
                top = top.merge(grid.cell(0, column + group.width - 1))
            for offset, sub in enumerate(group.columns):
                put(grid.cell(1, column + offset), sub, bold=True)
        put(top, group.label, bold=True)
        column += group.width
    for header_row in grid.rows[:2]:
        properties = header_row._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        properties.append(repeat)

    for index, line in enumerate(body, start=2):
        cells = grid.rows[index].cells
        if line.kind == "block":
            merged = cells[0].merge(cells[-1])
            put(merged, line.label, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
            continue
        bold = line.kind == "total"
        put(cells[0], line.serial, bold=bold)
        put(cells[1], line.label, bold=bold, align=WD_ALIGN_PARAGRAPH.LEFT)
        for offset, (value, kind) in enumerate(zip(line.numbers, kinds(), strict=True)):
            text = printed(line, offset, value, kind)
            put(cells[2 + offset], text, bold=bold, align=WD_ALIGN_PARAGRAPH.RIGHT)
        put(cells[-1], line.warnings, align=WD_ALIGN_PARAGRAPH.LEFT)

    document.add_paragraph().add_run(_("注：")).bold = True
    for text in notes(table, marked=True):
        document.add_paragraph(text).paragraph_format.space_after = Pt(2)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- text -----------------------------------------------------------------------------------


def write_text(table: BalanceTable) -> str:
    from wufei.trace.management.commands.trace import table as text_table

    headings = []
    for group in header(table):
        if group.columns:
            headings += [f"{group.short}{sub}" for sub in group.columns]
        else:
            headings.append(group.label)
    rows = []
    for line in lines(table):
        if line.kind == "block":
            rows.append(["", line.label] + [""] * (len(headings) - 2))
            continue
        numbers = [
            printed(line, i, v, k)
            for i, (v, k) in enumerate(zip(line.numbers, kinds(), strict=True))
        ]
        rows.append([line.serial, line.label, *numbers, line.warnings])
    out = [table.title, _("单位：吨/年"), "", *text_table(headings, rows), "", _("注：")]
    out += notes(table, marked=True)
    return "\n".join(out) + "\n"


# --- downloads ------------------------------------------------------------------------------

FORMATS = {
    "xlsx": (write_xlsx, XLSX_CONTENT_TYPE),
    "docx": (write_docx, DOCX_CONTENT_TYPE),
}


def download(table: BalanceTable, fmt_name: str) -> HttpResponse:
    writer, content_type = FORMATS[fmt_name]
    response = HttpResponse(writer(table), content_type=content_type)
    name = f"{table.title}.{fmt_name}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"balance.{fmt_name}\"; filename*=UTF-8''{quote(name)}"
    )
    return response
