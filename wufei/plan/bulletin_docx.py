"""A bulletin as .docx in the official layout of seed 004 (工作简报第56期).

The layout follows the habits of Chinese official documents (GB/T 9704-2012 for the page):
A4 with margins of 37 mm top, 35 mm bottom, 28 mm left and 26 mm right; a large red masthead
in 方正小标宋简体, the issue number "(第N期)" centred under it, the issuing office on the left and
the date on the right of one line, a thick red rule; the contents (本期要目) in a box; articles
with bold centred titles and a 仿宋 body at 三号 (16 pt) whose paragraphs indent two characters;
the briefs under "简 讯", each starting with ★; and at the foot, between rules, the 报/发
distribution lines.

Word and LibreOffice pick fonts per script: every run names its East Asian font
(``w:eastAsia``) beside the Latin one, and the font table gives each Chinese font a common
alternative (``w:altName``), so a machine without the founders' fonts falls back to a
similar face instead of a Latin one.
"""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from wufei.plan.bulletins import BRIEFS_HEADING, STAR, contents
from wufei.plan.choices import ArticleKind
from wufei.plan.models import Article, Bulletin

RED = RGBColor(0xE6, 0x00, 0x12)
BLACK = RGBColor(0, 0, 0)
LATIN = "Times New Roman"
# Chinese fonts of official documents, and what to use where they are not installed.
XIAOBIAOSONG = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
ALTERNATIVES = {XIAOBIAOSONG: "宋体", FANGSONG: "仿宋", HEITI: "SimHei", KAITI: "楷体"}

BODY_PT = 16  # 三号
LINE_PT = 28  # fixed line pitch of official documents (22 lines a page)
TEXT_WIDTH = Mm(210 - 28 - 26)


def _font(run, east_asian: str, size: float, *, bold=False, color: RGBColor = BLACK) -> None:
    run.font.name = LATIN
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def _paragraph(
    doc,
    text: str = "",
    *,
    font: str = FANGSONG,
    size: float = BODY_PT,
    bold=False,
    color: RGBColor = BLACK,
    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = False,
    before: float = 0,
    after: float = 0,
    exact: float | None = LINE_PT,
) -> Paragraph:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.alignment = align
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if exact is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if text:
        _font(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _rule(paragraph: Paragraph, edge: str, *, color: str, eighths: int) -> None:
    """A rule along one edge of a paragraph (``eighths`` of a point thick)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{edge}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(eighths))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), color)
    borders.append(line)


def _alt_names(doc) -> None:
    """Name a common alternative for each Chinese font in the font table (the template's
    font table is a plain part: its XML is edited as bytes)."""
    part = next(
        rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable")
    )
    root = etree.fromstring(part.blob)
    for name, alternative in ALTERNATIVES.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alternative)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "86")  # GB2312
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(footer.add_run("— "), LATIN, 14)
    run = footer.add_run()
    _font(run, LATIN, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
    _font(footer.add_run(" —"), LATIN, 14)


def _head(doc, bulletin: Bulletin) -> None:
    """Masthead, issue number, office and date, and the red rule."""
    city, _sep, title = bulletin.masthead.rpartition(" ")
    if city:
        _paragraph(
            doc,
            city,
            font=XIAOBIAOSONG,
            size=26,
            color=RED,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            exact=None,
        )
    _paragraph(
        doc,
        "\u2002".join(title) if len(title) <= 4 else title,
        font=XIAOBIAOSONG,
        size=48,
        bold=True,
        color=RED,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        exact=None,
        after=6,
    )
    _paragraph(
        doc,
        f"(第{bulletin.number}期)",
        font=KAITI,
        size=BODY_PT,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        after=12,
    )
    line = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT, after=2)
    line.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
    _font(line.add_run(bulletin.office), FANGSONG, 14)
    day = bulletin.issued_on
    _font(line.add_run(f"\t{day.year}年{day.month}月{day.day}日"), FANGSONG, 14)
    _rule(line, "bottom", color="E60012", eighths=24)


def _contents(doc, entries: Sequence[str]) -> None:
    """本期要目 in a box: a one-cell table with a border."""
    _paragraph(doc, exact=None, after=4)
    table = doc.add_table(rows=1, cols=1)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "8")
        line.set(qn("w:color"), "000000")
        borders.append(line)
    table._tbl.tblPr.append(borders)
    cell = table.rows[0].cells[0]
    head = cell.paragraphs[0]
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    head.paragraph_format.space_before = Pt(4)
    _font(head.add_run("本期要目"), HEITI, BODY_PT, bold=True)
    for entry in entries:
        p = cell.add_paragraph()
        p.paragraph_format.left_indent = Pt(BODY_PT)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        p.paragraph_format.line_spacing = Pt(LINE_PT)
        _font(p.add_run(f"◆ {entry}"), KAITI, BODY_PT)
    cell.add_paragraph().paragraph_format.space_after = Pt(0)


def _title(doc, text: str) -> None:
    _paragraph(
        doc,
        text,
        font=XIAOBIAOSONG,
        size=20,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=18,
        after=10,
        exact=None,
    )


def _body(doc, text: str) -> None:
    for line in text.splitlines():
        if line.strip():
            _paragraph(doc, line.strip(), indent=True)


def _data(doc, article: Article) -> None:
    data = article.data or {}
    _body(doc, data.get("summary", ""))
    if article.body:
        _body(doc, article.body)
    rows = data.get("rows") or []
    if not rows:
        return
    columns = data.get("columns") or []
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, header in zip(table.rows[0].cells, columns, strict=True):
        _font(cell.paragraphs[0].add_run(header), HEITI, 12, bold=True)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for row in rows:
        cells = table.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, row, strict=True)):
            cell.paragraphs[0].alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if i == 0 else WD_ALIGN_PARAGRAPH.CENTER
            )
            _font(cell.paragraphs[0].add_run(str(value)), FANGSONG, 12)
    source = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.RIGHT, exact=None, before=2)
    period = data.get("period") or ["", ""]
    _font(source.add_run(f"数据来源：无废城市平台（{period[0]}至{period[1]}）"), KAITI, 10.5)


def _briefs(doc, briefs: Sequence[Article]) -> None:
    _title(doc, BRIEFS_HEADING[0] + " " + BRIEFS_HEADING[1:])
    for brief in briefs:
        p = _paragraph(doc, indent=True)
        _font(p.add_run(STAR + brief.title), FANGSONG, BODY_PT, bold=True)
        _font(p.add_run(brief.body.replace("\n", "")), FANGSONG, BODY_PT)


def _foot(doc, bulletin: Bulletin) -> None:
    """The distribution lines between rules, at the end of the issue."""
    _paragraph(doc, exact=None, after=12)
    lines = [("报", bulletin.send_to), ("发", bulletin.copy_to)]
    lines = [(label, text) for label, text in lines if text]
    for i, (label, text) in enumerate(lines):
        p = _paragraph(doc, align=WD_ALIGN_PARAGRAPH.LEFT)
        fmt = p.paragraph_format
        fmt.left_indent, fmt.first_line_indent = Pt(14 * 2), Pt(-14 * 2)
        _font(p.add_run(f"{label}：{text}"), FANGSONG, 14)
        if i == 0:
            _rule(p, "top", color="000000", eighths=12)
        _rule(p, "bottom", color="000000", eighths=12 if i == len(lines) - 1 else 6)


def bulletin_docx(bulletin: Bulletin, articles: Sequence[Article] | None = None) -> bytes:
    """The bulletin as a .docx file (bytes); ``articles`` in order, or the bulletin's own."""
    articles = list(bulletin.articles.order_by("order") if articles is None else articles)
    doc = Document()
    _alt_names(doc)
    _page(doc)
    doc.core_properties.title = f"{bulletin.masthead}（第{bulletin.number}期）"
    doc.core_properties.author = bulletin.office
    _head(doc, bulletin)
    entries = contents(bulletin, articles)
    if entries:
        _contents(doc, entries)
    for article in articles:
        if article.kind == ArticleKind.BRIEF:
            continue
        _title(doc, article.title)
        if article.kind == ArticleKind.DATA:
            _data(doc, article)
        else:
            _body(doc, article.body)
    briefs = [a for a in articles if a.kind == ArticleKind.BRIEF]
    if briefs:
        _briefs(doc, briefs)
    _foot(doc, bulletin)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def filename(bulletin: Bulletin) -> str:
    return f"工作简报第{bulletin.number}期.docx"
