"""The demo city's work bulletins (工作简报).

- Issue 56 of 2020-09-15 is seed 004 itself, verbatim (wufei/plan/data/bulletin-056.json,
  attribution: 许昌市“无废城市”建设试点工作推进小组办公室, 工作简报第56期), published.
- One issue a month for the twelve months before ``today``: invented but plausible articles
  and briefs (each ends with a demo mark, so nobody takes them for Xuchang's news) and the
  data sections that have figures for the month, filled from the demo city's own records
  (run after the statistics are derived, so the indicator values exist). All are published
  except the newest, left as the office's draft. Numbers continue from 56 at one a month.

Everything goes through ``wufei.plan.bulletins.bulletin_compose`` as the system (``actor``
None); the reset removes bulletins without an editor (``created_by`` null), which only the
system composes.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from wufei.plan.bulletins import (
    SECTIONS,
    ArticleInput,
    BulletinInput,
    bulletin_compose,
    bulletin_publish,
    city,
    month_bounds,
    section_data,
    seed_input,
)
from wufei.plan.choices import ArticleKind
from wufei.plan.models import Article, Bulletin

DEMO_MARK = "（演示内容，非许昌市实际工作动态。）"
SEED_NUMBER, SEED_MONTH = 56, (2020, 9)
MONTHS = 12

# Invented articles: a title and paragraphs; {m} is the month ("10月"), {y} the year.
ARTICLES = (
    (
        "全市“无废城市”建设工作推进会召开",
        "{m}中旬，我市召开“无废城市”建设工作推进会，通报{m}全市固体废物电子联单运行、"
        "督办事项办理和重点项目建设情况，部署下一阶段重点工作。",
        "会议要求，各县（市、区）和市直有关单位要对照工作台账逐项核查，对逾期节点限期销号，"
        "对进度滞后的重大项目实行周调度，确保年度目标任务按期完成。",
    ),
    (
        "危险废物规范化环境管理评估工作有序推进",
        "{m}，市生态环境局组织对重点产废单位和经营单位开展危险废物规范化环境管理评估，"
        "重点检查贮存场所建设、管理台账、电子联单执行和应急预案备案情况。",
        "对检查发现的问题，已逐一下达整改通知并明确整改时限，整改完成后组织复查销号。",
    ),
    (
        "建筑垃圾资源化利用“许昌模式”持续深化",
        "{y}年以来，我市持续推进建筑垃圾产生、运输、处置全过程监管，运输车辆全部纳入平台"
        "定位监管，消纳场和资源化利用企业过磅数据实时接入。",
        "下一步，将进一步拓展再生骨料、再生砖等产品在市政工程中的应用，提高资源化利用水平。",
    ),
    (
        "医疗废物收集转运实现乡镇全覆盖",
        "{m}，各县（市、区）卫生健康部门联合生态环境部门对基层医疗机构医疗废物“小箱进大箱”"
        "收集转运情况开展抽查，乡镇卫生院和村卫生室收集转运记录完整可查。",
    ),
    (
        "农业废弃物回收利用工作取得新进展",
        "{m}，市农业农村局组织各县（市、区）开展废旧农膜和农药包装废弃物回收专项行动，"
        "在乡镇设置回收网点，回收物统一交由有资质的单位利用处置。",
    ),
    (
        "生活垃圾分类示范片区建设稳步推进",
        "{m}，中心城区新增生活垃圾分类示范小区，厨余垃圾单独收运量稳步提升，"
        "督导员上岗率和居民参与率持续提高。",
    ),
)
BRIEFS = (
    ("市无废办开展重点任务月度调度。", "{m}上旬，市无废办对各牵头单位重点任务进展进行调度。"),
    ("“无废城市”宣传进社区活动举办。", "{m}，各区在社区广场开展“无废城市”主题宣传活动。"),
    ("平台新增企业用户培训完成。", "{m}，市生态环境局组织新接入企业开展电子联单操作培训。"),
    ("固体废物大督查阶段性工作完成。", "{m}，各督查组完成对重点区域的现场检查并反馈问题。"),
    ("“无废细胞”创建评估启动。", "{m}，市无废办启动“无废”机关、学校、园区等细胞创建评估。"),
)


def _months_before(today: date, count: int) -> list[tuple[int, int]]:
    """The ``count`` calendar months before today's month, oldest first."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        months.append((year, month))
    return months[::-1]


def _number(year: int, month: int) -> int:
    return SEED_NUMBER + (year - SEED_MONTH[0]) * 12 + month - SEED_MONTH[1]


def _text(template: str, year: int, month: int) -> str:
    return template.format(m=f"{month}月", y=year)


def _issue(rng: random.Random, year: int, month: int, today: date, now: datetime):
    start, end = month_bounds(year, month)
    issued_on = min(end + timedelta(days=rng.randint(5, 12)), today)
    articles = [
        ArticleInput(
            title=title,
            body="\n".join([*(_text(p, year, month) for p in paragraphs), DEMO_MARK]),
        )
        for title, *paragraphs in rng.sample(ARTICLES, 2)
    ]
    region = city()
    for section in SECTIONS:
        if not section_data(section, start=start, end=end, region=region, now=now)["empty"]:
            articles.append(ArticleInput(kind=ArticleKind.DATA, data_section=section))
    articles += [
        ArticleInput(kind=ArticleKind.BRIEF, title=title, body=_text(body, year, month) + DEMO_MARK)
        for title, body in rng.sample(BRIEFS, rng.randint(2, 3))
    ]
    return BulletinInput(
        number=_number(year, month),
        issued_on=issued_on,
        period_start=start,
        period_end=end,
        articles=articles,
    )


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9)))


def bulletins_generate(*, seed: int, today: date) -> dict[str, int]:
    """Seed 004 and a year of monthly issues; deterministic from ``seed``."""
    rng = random.Random(f"bulletins-{seed}")
    seed_issue = seed_input()
    published = bulletin_compose(actor=None, now=_at(seed_issue.issued_on), data=seed_issue)
    bulletin_publish(actor=None, bulletin=published, now=_at(seed_issue.issued_on))
    months = _months_before(today, MONTHS)
    for i, (year, month) in enumerate(months):
        now = _at(today)
        data = _issue(rng, year, month, today, now)
        bulletin = bulletin_compose(actor=None, now=now, data=data)
        if i < len(months) - 1:
            bulletin_publish(actor=None, bulletin=bulletin, now=_at(data.issued_on))
    return {
        "plan.Bulletin": Bulletin.objects.filter(created_by__isnull=True).count(),
        "plan.Article": Article.objects.filter(bulletin__created_by__isnull=True).count(),
    }
