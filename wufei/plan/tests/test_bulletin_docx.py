"""The bulletin .docx opens and carries the layout of seed 004: masthead, number, office and
date, contents, article titles, data tables, briefs, the 报/发 lines, A4 with GB/T 9704
margins and East Asian fonts."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from docx.oxml.ns import qn

from wufei.manifests.tests.world import user
from wufei.plan import bulletins as svc
from wufei.plan.bulletin_docx import RED, bulletin_docx

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def seed_docx():
    bulletin = svc.bulletin_compose(actor=None, now=NOW, data=svc.seed_input())
    return svc.seed_issue(), Document(BytesIO(bulletin_docx(bulletin)))


def mm(*lengths) -> tuple[float, ...]:
    """Lengths in millimetres to 0.1 mm (Word stores twentieths of a point)."""
    return tuple(round(length.mm, 1) for length in lengths)


def texts(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_seed_issue_reads_back_with_masthead_number_contents_titles_and_distribution(seed_docx):
    issue, doc = seed_docx
    lines = texts(doc)
    assert lines[0] == "许昌市“无废城市”建设试点"
    assert lines[1].replace("\u2002", "") == "工作简报"
    assert lines[2] == "(第56期)"
    assert lines[3] == f"{issue['office']}\t2020年9月15日"
    box = doc.tables[0].cell(0, 0).text
    assert box.startswith("本期要目")
    for article in issue["articles"]:
        if article["kind"] == "article":
            assert article["title"] in box and article["title"] in lines
    assert "◆ 简讯" in box
    assert "简 讯" in lines
    assert sum(line.startswith("★") for line in lines) == 4
    assert lines[-2:] == [f"报：{issue['send_to']}", f"发：{issue['copy_to']}"]


def test_layout_page_fonts_and_colours(seed_docx):
    _issue, doc = seed_docx
    section = doc.sections[0]
    assert mm(section.page_width, section.page_height) == (210, 297)
    margins = (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    assert mm(*margins) == (37, 35, 28, 26)
    masthead = doc.paragraphs[1].runs[0]
    assert masthead.font.color.rgb == RED and masthead.font.size.pt == 48
    assert masthead._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(p for p in doc.paragraphs if p.text.startswith("9月13日"))
    assert body.paragraph_format.first_line_indent.pt == 32  # two characters of 16 pt
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    office_line = doc.paragraphs[3]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert office_line.get(qn("w:color")) == "E60012"  # the red rule


def test_data_section_becomes_a_table_and_empty_sections_say_no_data():
    office = user(role="city")
    bulletin = svc.bulletin_compose(
        actor=office,
        now=NOW,
        data=svc.BulletinInput(
            issued_on=NOW.date(),
            articles=[
                svc.ArticleInput(kind="data", data_section="ledger"),
                svc.ArticleInput(kind="data", data_section="sorting", title="垃圾分类"),
            ],
        ),
    )
    doc = Document(BytesIO(bulletin_docx(bulletin)))
    lines = texts(doc)
    assert "垃圾分类" in lines and "暂无数据" in lines
    assert "重点任务推进情况" in lines
    assert len(doc.tables) == 1  # the contents box; neither section had figures
