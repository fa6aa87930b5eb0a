"""The indicator report of a (year, region): one table of every active indicator with its
target, its value, whether the target is met, its confidence, department and formula; as an
Excel workbook (the same writer as every list export) or a Word document (python-docx, the
format officials file)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from wufei.core.export import Column, write_xlsx
from wufei.registry.choices import Confidence
from wufei.registry.models import Region
from wufei.stats.choices import Mandatory
from wufei.stats.indicator_selectors import Row, catalogue_label, indicator_rows
from wufei.stats.models import Indicator

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EMPTY = "—"


def number(value: Decimal | None) -> str:
    if value is None:
        return EMPTY
    return f"{value.quantize(Decimal('0.01')):,f}"


def mandatory_mark(indicator: Indicator) -> str:
    if indicator.mandatory == Mandatory.REQUIRED:
        return "★" + _("必选")
    return str(indicator.get_mandatory_display())


def achieved_text(row: Row) -> str:
    if row.achieved is None:
        return EMPTY
    return _("达标") if row.achieved else _("未达标")


def value_text(row: Row) -> str:
    if row.amount is not None:
        return number(row.amount)
    return row.status_text


def formula_text(indicator: Indicator) -> str:
    return indicator.formula or indicator.definition or EMPTY


COLUMNS: Sequence[Column] = (
    Column(gettext_lazy("一级指标"), lambda r: r.indicator.level1, width=18),
    Column(gettext_lazy("二级指标"), lambda r: r.indicator.level2, width=20),
    Column(gettext_lazy("指标"), lambda r: r.indicator.name, width=30),
    Column(gettext_lazy("单位"), lambda r: r.indicator.unit, width=10),
    Column(gettext_lazy("必选"), lambda r: mandatory_mark(r.indicator), width=10),
    Column(gettext_lazy("目标值"), lambda r: number(r.target_value), width=12),
    Column(gettext_lazy("现状值"), value_text, width=12),
    Column(gettext_lazy("达标"), achieved_text, width=8),
    Column(gettext_lazy("可信度"), lambda r: r.indicator.get_confidence_display(), width=16),
    Column(
        gettext_lazy("数据来源部门"),
        lambda r: str(r.indicator.department) if r.indicator.department else EMPTY,
        width=16,
    ),
    Column(gettext_lazy("计算公式"), lambda r: formula_text(r.indicator), width=48),
)


def report_rows(
    *, year: int, region: Region, values: QuerySet, targets: QuerySet, catalogue: str = ""
) -> list[Row]:
    """The report's rows: every active indicator (of ``catalogue``, or all) in catalogue order,
    with the value and target of (year, region) from the given (scoped) querysets."""
    indicators = Indicator.objects.filter(is_active=True).select_related("department")
    if catalogue:
        indicators = indicators.filter(catalogue=catalogue)
    return indicator_rows(
        indicators=indicators.order_by("sort_order", "code"),
        region=region,
        year=year,
        values=values,
        targets=targets,
    )


def title(year: int, region: Region) -> str:
    return _("%(region)s“无废城市”建设指标报告（%(year)s年）") % {
        "region": region.name,
        "year": year,
    }


def _conditions(year: int, region: Region, catalogue: str) -> list[tuple[str, str]]:
    conditions = [(_("年度"), str(year)), (_("区划"), region.name)]
    if catalogue:
        conditions.append((_("指标体系"), catalogue_label(catalogue)))
    return conditions


def to_xlsx(rows: list[Row], *, year: int, region: Region, catalogue: str = "") -> bytes:
    content, _count = write_xlsx(
        title=title(year, region),
        columns=COLUMNS,
        rows=rows,
        filters=_conditions(year, region, catalogue),
    )
    return content


CONFIDENCE_MEANINGS = {
    Confidence.VERIFIED: gettext_lazy("名称与计算方法见于官方文本或统计口径"),
    Confidence.SECONDARY: gettext_lazy("公式由定义推出、见于二手来源，或指标归属为推断"),
    Confidence.RECALLED: gettext_lazy("指标是否列入或其中文名称未经核实"),
    Confidence.PLATFORM: gettext_lazy("计算口径由平台确定"),
}


def notes() -> list[str]:
    """What the report's marks mean (printed under the table)."""
    meanings = "；".join(
        f"{label}：{CONFIDENCE_MEANINGS[Confidence(value)]}" for value, label in Confidence.choices
    )
    return [
        _("★ 表示指标体系原文标注的必选指标；“未核实”表示原表未见，必选或可选未能确认。"),
        _("可信度——%(meanings)s。") % {"meanings": meanings},
        _(
            "现状值由平台按计算公式从电子联单与统计申报汇总计算；“缺少数据”表示公式所需的"
            "统计量没有记录，“不可计算”表示平台尚无该指标所需的数据项。"
        ),
        _("达标：越高越好的指标现状值不低于目标值，越低越好的指标不高于目标值。"),
    ]


def to_docx(
    rows: list[Row],
    *,
    year: int,
    region: Region,
    catalogue: str = "",
    generated_at: datetime | None = None,
) -> bytes:
    generated_at = timezone.localtime(generated_at or timezone.now())
    document = Document()
    _chinese_font(document)
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))
    document.add_heading(title(year, region), level=1)
    conditions = "；".join(f"{k}：{v}" for k, v in _conditions(year, region, catalogue))
    document.add_paragraph(
        _("%(conditions)s　　生成时间：%(time)s")
        % {"conditions": conditions, "time": generated_at.strftime("%Y-%m-%d %H:%M")}
    )
    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, column in zip(table.rows[0].cells, COLUMNS, strict=True):
        cell.text = str(column.header)
        for run in cell.paragraphs[0].runs:
            run.font.bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, column in zip(cells, COLUMNS, strict=True):
            value = column.get(row)
            cell.text = "" if value is None else str(value)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)
    document.add_heading(_("说明"), level=2)
    for note in notes():
        document.add_paragraph(note, style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _chinese_font(document, name: str = "宋体") -> None:
    """Body text in a Chinese font (Word picks the East Asian font from ``w:eastAsia``)."""
    style = document.styles["Normal"]
    style.font.name = name
    style.font.size = Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), name)


def to_text(rows: list[Row], *, year: int, region: Region) -> str:
    """A plain table for the terminal (``wufei indicators --format table``)."""
    shown = COLUMNS[2:9]
    lines = [title(year, region), "\t".join(str(c.header) for c in shown)]
    for row in rows:
        lines.append("\t".join(str(c.get(row) or "") for c in shown))
    return "\n".join(lines) + "\n"
