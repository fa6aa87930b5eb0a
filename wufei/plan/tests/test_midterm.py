"""The mid-term evaluation report: facts of a hand-built ledger, and the .docx read back
with python-docx — headings, tables with those numbers, A4, fonts and the page number."""

import io
from datetime import date
from decimal import Decimal

import pytest
from docx import Document
from docx.oxml.ns import qn

from wufei.plan import assessment, midterm
from wufei.plan.choices import ProjectStage
from wufei.plan.tests import assessment_world
from wufei.plan.tests.assessment_world import DONE, at
from wufei.registry.models import Region
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue

pytestmark = pytest.mark.django_db
land = assessment_world.land
PERIOD = {"period_start": date(2019, 5, 1), "period_end": date(2020, 6, 30)}


@pytest.fixture
def case(land):
    land.milestone(due_on=date(2020, 3, 31), status=DONE, done_on=date(2020, 3, 1))
    land.milestone(due_on=date(2020, 4, 30), status=DONE, done_on=date(2020, 5, 10))
    land.milestone(title="建成一般工业固废信息平台", due_on=date(2020, 5, 31), unit=land.urban)
    land.milestone(due_on=date(2020, 12, 31))  # not yet due
    land.project(
        planned_completion_on=date(2020, 12, 31),
        stage=ProjectStage.CONSTRUCTION,
        investment_wan=Decimal("12000"),
        invested_wan=Decimal("4500.5"),
    )
    land.project(
        planned_completion_on=date(2021, 12, 31),
        stage=ProjectStage.CONSTRUCTION,
        investment_wan=Decimal("3000"),
    )
    land.notice(number="DB-2020-007", deadline=date(2020, 6, 20), unit=land.urban)
    land.notice(
        number="DB-2020-001",
        deadline=date(2020, 5, 1),
        status="answered",
        answered_at=at(date(2020, 4, 28)),
    )
    city = Region.objects.get(adcode="411000")
    rate = Indicator.objects.create(
        code="t-rate",
        catalogue="custom",
        level1="测试",
        name="一般工业固废综合利用率",
        unit="%",
        direction="up",
        confidence="platform",
    )
    land.task.indicators.add(rate)
    IndicatorTarget.objects.create(indicator=rate, year=2020, region=city, value=Decimal(85))
    IndicatorValue.objects.create(
        indicator=rate, year=2019, region=city, value=Decimal("79.3"), status="ok"
    )
    assessment.assess(**PERIOD, today=date(2020, 7, 10))
    return land


def test_facts_of_a_hand_built_ledger(case):
    facts = midterm.midterm_facts(**PERIOD, today=date(2020, 7, 10))
    assert facts.milestones == {"due": 3, "done": 2, "on_time": 1, "late_done": 1, "overdue": 1}
    assert facts.projects_by_stage == [("在建", 2, Decimal("15000"), Decimal("4500.5"))]
    assert facts.indicators == [("一般工业固废综合利用率", "%", Decimal(85), Decimal("79.3"), 2019)]
    assert [n for n, *_ in facts.open_notices] == ["DB-2020-007"]
    assert [t for t, *_ in facts.late] == ["建成一般工业固废信息平台"]
    assert len(facts.scores) == 3


def test_the_docx_reads_back_with_headings_and_tables(case):
    facts = midterm.midterm_facts(**PERIOD, today=date(2020, 7, 10))
    doc = Document(io.BytesIO(midterm.midterm_docx(facts)))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        "一、总体进展",
        "二、指标完成情况",
        "三、责任单位考核情况",
        "四、存在的问题",
        "五、下一步工作",
    ]
    assert doc.paragraphs[0].text == "许昌市“无废城市”建设试点实施方案中期评估报告"
    cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    assert ["在建", "2", "15000", "4500.5"] in cells
    assert ["一般工业固废综合利用率", "%", "85", "79.3", "2019"] in cells
    assert ["建成一般工业固废信息平台", "市城管局", "2020-05-31"] in cells
    assert ["DB-2020-007", "市城管局", "2020-06-20", "待反馈"] in cells
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "逾期未完成 1 个" in text and "已完成投资 4500.5 万元" in text
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    title_fonts = doc.paragraphs[0].runs[0]._element.rPr.rFonts
    assert title_fonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    footer = section.footer.paragraphs[0]._element.xml
    assert "PAGE" in footer and "fldChar" in footer
