"""The mid-term evaluation report (中期评估报告) as a .docx in the government's layout.

The plan's part 四（三） asks for a mid-term and a final evaluation of the programme
(开展方案实施情况中期评估和总结评估). :func:`midterm_facts` gathers the figures from the
ledger, the statistics and the assessment scores as of a day; :func:`midterm_docx` writes
them as the document the office then edits (its "next steps" are a placeholder). The layout
follows GB/T 9704-2012 where a report needs it: A4, margins 37/35/28/26 mm, a title in
方正小标宋 (小标宋 fallbacks), headings in 黑体, body in 仿宋_GB2312, page numbers at the
foot. East Asian font names go into ``w:eastAsia`` (python-docx only sets the Latin name),
each with a common fallback the reader's Word substitutes when the first is missing.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from wufei.plan.choices import MilestoneStatus, NoticeStatus, ProjectStage, TaskStatus
from wufei.plan.models import Milestone, Notice, Project, Score, Task
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Region
from wufei.stats.choices import ValueStatus
from wufei.stats.models import Indicator, IndicatorTarget, IndicatorValue

TITLE_FONT = "方正小标宋简体"  # fallback in Word: 华文中宋 / 宋体
HEADING_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"  # fallback: 仿宋
LATIN_FONT = "Times New Roman"
NEXT_STEPS = gettext_lazy(
    "（此处由市“无废城市”建设试点工作推进小组办公室根据评估结果填写下一步工作安排："
    "对滞后任务的整改措施、方案调整建议、重大项目推进计划等。）"
)


@dataclass
class Facts:
    """Everything the report says, computed once (the page preview and the test read it)."""

    period_start: date
    period_end: date
    asof: date
    tasks_by_status: list[tuple[str, int]]
    milestones: dict[str, int]
    projects_by_stage: list[tuple[str, int, Decimal, Decimal]]  # label, n, investment, invested
    indicators: list[tuple[str, str, Decimal | None, Decimal | None, int | None]]
    scores: list[tuple[int | None, str, Decimal]]
    late: list[tuple[str, str, date]] = field(default_factory=list)  # title, unit, due
    open_notices: list[tuple[str, str, date, str]] = field(default_factory=list)


def _city() -> Region | None:
    return Region.objects.filter(level=RegionLevel.CITY).order_by("adcode").first()


def _indicators(asof: date) -> list[tuple[str, str, Decimal | None, Decimal | None, int | None]]:
    """Indicators the ledger links (to tasks or milestones): the city's target for the
    latest year up to ``asof``'s (else the milestones' target) and its latest value."""
    city = _city()
    linked = Indicator.objects.filter(
        Q(plan_tasks__isnull=False)
        | Q(pk__in=Milestone.objects.filter(indicator__isnull=False).values("indicator"))
    ).distinct()
    rows = []
    for ind in linked.order_by("sort_order", "code"):
        target = (
            IndicatorTarget.objects.filter(indicator=ind, region=city, year__lte=asof.year + 5)
            .order_by("-year")
            .values_list("value", flat=True)
            .first()
        )
        if target is None:
            target = (
                Milestone.objects.filter(indicator=ind, target__isnull=False)
                .order_by("-due_on")
                .values_list("target", flat=True)
                .first()
            )
        value = (
            IndicatorValue.objects.filter(
                indicator=ind, region=city, year__lte=asof.year, status=ValueStatus.OK
            )
            .order_by("-year")
            .values_list("value", "year")
            .first()
        )
        rows.append(
            (ind.name, ind.unit, target, value[0] if value else None, value[1] if value else None)
        )
    return rows


def midterm_facts(*, period_start: date, period_end: date, today: date) -> Facts:
    """The figures of the city ledger as of ``min(period_end, today)``."""
    asof = min(period_end, today)
    tasks = Counter(
        Task.objects.filter(parent__isnull=True, starts_on__lte=asof).values_list(
            "status", flat=True
        )
    )
    milestones = Milestone.objects.exclude(status=MilestoneStatus.CANCELLED).filter(
        due_on__lte=asof
    )
    done = milestones.filter(status=MilestoneStatus.DONE, done_on__lte=asof)
    on_time = done.filter(done_on__lte=F("due_on")).count()
    stages = {
        r["stage"]: r
        for r in Project.objects.values("stage").annotate(
            n=Count("pk"), investment=Sum("investment_wan"), invested=Sum("invested_wan")
        )
    }
    late = [
        (m.title, str(m.unit), m.due_on)
        for m in milestones.exclude(pk__in=done.values("pk"))
        .select_related("unit")
        .order_by("due_on", "id")
    ]
    notices = [
        (n.number, str(n.unit), n.deadline, n.get_status_display())
        for n in Notice.objects.filter(
            status__in=(NoticeStatus.OPEN, NoticeStatus.ESCALATED), issued_at__date__lte=asof
        )
        .select_related("unit")
        .order_by("deadline", "id")
    ]
    scores = [
        (s.rank, str(s.unit), s.total)
        for s in Score.objects.filter(period_start=period_start, period_end=period_end)
        .select_related("unit")
        .order_by("unit__kind", "rank", "unit__name")
    ]
    return Facts(
        period_start=period_start,
        period_end=period_end,
        asof=asof,
        tasks_by_status=[(str(label), tasks.get(value, 0)) for value, label in TaskStatus.choices],
        milestones={
            "due": milestones.count(),
            "done": done.count(),
            "on_time": on_time,
            "late_done": done.count() - on_time,
            "overdue": len(late),
        },
        projects_by_stage=[
            (
                str(label),
                stages[value]["n"],
                stages[value]["investment"] or Decimal(0),
                stages[value]["invested"] or Decimal(0),
            )
            for value, label in ProjectStage.choices
            if value in stages
        ],
        indicators=_indicators(asof),
        scores=scores,
        late=late,
        open_notices=notices,
    )


# --- the document ----------------------------------------------------------------------------


def _fonts(run, east_asian: str, size: float, *, bold: bool = False) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)


def _para(doc, text: str, font: str = BODY_FONT, size: float = 16, **kw):
    p = doc.add_paragraph()
    p.paragraph_format.line_spacing = Pt(28)  # 固定值28磅: 22 lines a page
    if kw.get("center"):
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif kw.get("indent", True):
        p.paragraph_format.first_line_indent = Pt(size * 2)
    _fonts(p.add_run(text), font, size, bold=kw.get("bold", False))
    return p


def _heading(doc, text: str, level: int):
    """一级标题黑体, 二级楷体 (here 黑体 at both levels, in the Heading styles so the
    navigation pane and a reader's table of contents find them)."""
    p = doc.add_heading(level=level)
    p.paragraph_format.first_line_indent = Pt(32)
    run = p.add_run(text)
    _fonts(run, HEADING_FONT, 16, bold=False)
    run.font.color.rgb = None
    return p


def _table(doc, header: list[str], rows: list[list[str]]):
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = ""
        _fonts(cell.paragraphs[0].add_run(text), HEADING_FONT, 12)
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = ""
            _fonts(cell.paragraphs[0].add_run(text), BODY_FONT, 12)
    return table


def _page_number(section) -> None:
    """“— n —” centred in the footer, the page number as a PAGE field."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run("— "), BODY_FONT, 14)
    run = p.add_run()
    _fonts(run, BODY_FONT, 14)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._element.append(el)
    _fonts(p.add_run(" —"), BODY_FONT, 14)


def _number(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def midterm_docx(facts: Facts, *, title: str | None = None) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number(section)
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    _para(
        doc,
        title or _("许昌市“无废城市”建设试点实施方案中期评估报告"),
        TITLE_FONT,
        22,
        center=True,
    )
    _para(
        doc,
        _("（评估期：%(start)s 至 %(end)s，数据截至 %(asof)s）")
        % {
            "start": facts.period_start.isoformat(),
            "end": facts.period_end.isoformat(),
            "asof": facts.asof.isoformat(),
        },
        BODY_FONT,
        16,
        center=True,
    )
    _para(
        doc,
        _(
            "根据《许昌市“无废城市”建设试点实施方案》“开展方案实施情况中期评估和总结评估”的要求，"
            "依据工作台账、统计指标和考核结果，对试点建设进展评估如下。"
        ),
    )

    m = facts.milestones
    _heading(doc, _("一、总体进展"), 1)
    total_tasks = sum(n for _label, n in facts.tasks_by_status)
    _para(
        doc,
        _(
            "已启动任务 %(tasks)s 项；到期节点 %(due)s 个，已完成 %(done)s 个"
            "（按期 %(on_time)s 个，逾期完成 %(late_done)s 个），逾期未完成 %(overdue)s 个。"
        )
        % {"tasks": total_tasks, **m},
    )
    _table(
        doc,
        [_("任务状态"), _("任务数")],
        [[label, str(n)] for label, n in facts.tasks_by_status],
    )
    invest = sum((r[2] for r in facts.projects_by_stage), Decimal(0))
    invested = sum((r[3] for r in facts.projects_by_stage), Decimal(0))
    _para(
        doc,
        _("重大项目 %(n)s 个，总投资 %(invest)s 万元，已完成投资 %(invested)s 万元。")
        % {
            "n": sum(r[1] for r in facts.projects_by_stage),
            "invest": _number(invest),
            "invested": _number(invested),
        },
    )
    _table(
        doc,
        [_("建设阶段"), _("项目数"), _("总投资（万元）"), _("已完成投资（万元）")],
        [[label, str(n), _number(a), _number(b)] for label, n, a, b in facts.projects_by_stage],
    )

    _heading(doc, _("二、指标完成情况"), 1)
    if facts.indicators:
        _table(
            doc,
            [_("指标"), _("单位"), _("目标值"), _("当前值"), _("数据年度")],
            [
                [name, unit, _number(target), _number(value), str(year or "—")]
                for name, unit, target, value, year in facts.indicators
            ],
        )
    else:
        _para(doc, _("工作台账尚未关联统计指标。"))

    _heading(doc, _("三、责任单位考核情况"), 1)
    if facts.scores:
        _table(
            doc,
            [_("排名"), _("被考核单位"), _("得分")],
            [[str(rank or "—"), unit, _number(total)] for rank, unit, total in facts.scores],
        )
    else:
        _para(doc, _("本评估期尚未计算考核得分。"))

    _heading(doc, _("四、存在的问题"), 1)
    if facts.late:
        _para(doc, _("（一）逾期未完成的节点 %(n)s 个：") % {"n": len(facts.late)})
        _table(
            doc,
            [_("节点"), _("责任单位"), _("完成时限")],
            [[t, u, due.isoformat()] for t, u, due in facts.late],
        )
    if facts.open_notices:
        _para(doc, _("（二）未办结的督办事项 %(n)s 件：") % {"n": len(facts.open_notices)})
        _table(
            doc,
            [_("督办编号"), _("被督办单位"), _("反馈时限"), _("状态")],
            [[n, u, d.isoformat(), s] for n, u, d, s in facts.open_notices],
        )
    if not facts.late and not facts.open_notices:
        _para(doc, _("评估期内无逾期节点和未办结督办事项。"))

    _heading(doc, _("五、下一步工作"), 1)
    _para(doc, str(NEXT_STEPS))

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
