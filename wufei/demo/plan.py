"""The demo city's task ledger: the plan's 25 tasks with milestones, invented major projects,
county ledgers, a year of monthly reports, supervision run day by day, and work meetings.

Deterministic from the seed. The pilot period (2019-05 … 2020-12) is complete: its
milestones are done with accepted reports, and the 第八次工作推进会 of 2020-09-14 (seed 004)
is there with its decisions turned into milestones. After the pilot the demo continues each
task (常态化推进) until mid next year, so the last twelve months up to ``today`` have open and
done milestones, reports (most on time, some late, some returned, a few missing) and the
notices and escalations that ``supervise()`` raises when it is run twice a week over that year.
Units' answers and the office's reviews of notices are simulated with the same transitions
the services make (answered → closed, or returned and answered again), without users.
Projects are invented (``is_invented``), named after the kinds of facility the plan asks for.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from wufei.plan.choices import (
    LedgerKind,
    MeetingKind,
    MilestoneStatus,
    NoticeStatus,
    ProjectStage,
    ReportStatus,
    UnitKind,
)
from wufei.plan.ledger_services import add_months, month_start, tasks_refresh
from wufei.plan.loading import city_ledger, load_plan
from wufei.plan.models import (
    Decision,
    Ledger,
    Meeting,
    Milestone,
    Notice,
    NoticeEvent,
    ProgressReport,
    Project,
    ReportAttachment,
    Task,
    Unit,
)
from wufei.plan.supervision import ANSWER_WORKING_DAYS, add_working_days, supervise
from wufei.registry.models import Region

PILOT_START, PILOT_END = date(2019, 5, 1), date(2020, 12, 31)
EIGHTH_MEETING = date(2020, 9, 14)

# Milestone titles per task for the pilot (2019-2020) and the continuing years: short, in the
# plan's words where it has them.
PILOT_STEPS = (
    "制定任务实施方案和工作台账",
    "完成年度重点工作并报送总结",
    "通过试点中期评估",
    "完成试点期目标任务",
)
CONTINUING_STEPS = (
    "制定年度工作要点",
    "完成上半年重点工作",
    "开展专项检查并整改",
    "完成前三季度目标任务",
    "完成年度目标任务并报送总结",
    "报送下年度工作计划",
)
REPORT_TEXTS = (
    "按计划推进，本月召开专题会议 1 次，印发工作通知，完成阶段性任务。",
    "已完成现场调研和台账梳理，下一步将加快推进。",
    "牵头单位组织协调会议，责任单位按分工落实，进度符合预期。",
    "受天气和资金影响进度略有滞后，已制定赶工措施。",
    "已完成部分工作量，相关材料正在整理报送。",
)
RETURN_NOTES = ("请补充具体数据和佐证材料。", "进展描述过于笼统，请细化。")
ANSWERS = (
    "已召开专题会议研究部署，明确责任人和完成时限，正在加快推进。",
    "已完成整改，相关佐证材料已上传。",
    "因前期手续办理滞后，已协调相关部门加快审批，预计月底前完成。",
)
# Invented major projects: (name pattern, task number, unit short name, investment range 万元)
PROJECT_KINDS = (
    ("{county}静脉产业园", "15", "市发展改革委", (30000, 120000)),
    ("{county}餐厨垃圾处理厂扩建工程", "5", "市城市管理局", (8000, 26000)),
    ("{county}建筑垃圾资源化利用项目", "6", "市城市管理局", (6000, 30000)),
    ("{county}生活垃圾焚烧发电项目", "4", "市城市管理局", (40000, 90000)),
    ("{county}生活垃圾分类转运中心", "4", "市城市管理局", (1500, 6000)),
    ("{county}城镇污水处理厂污泥处置项目", "7", "市住房城乡建设局", (3000, 12000)),
    ("{county}小微企业危险废物集中收集贮存中心", "13", "市生态环境局", (1200, 5000)),
    ("{county}医疗废物集中处置中心改扩建", "14", "市卫生健康委", (2500, 9000)),
    ("{county}畜禽粪污资源化利用整县推进项目", "10", "市农业农村局", (5000, 15000)),
    ("{county}农作物秸秆综合利用项目", "11", "市农业农村局", (2000, 8000)),
    ("{county}再生资源回收分拣中心", "16", "市商务局", (1500, 7000)),
)
COUNTY_LOCAL_TASKS = (
    ("4", "推进城乡生活垃圾分类示范片区建设"),
    ("10", "推进畜禽粪污和农村生活垃圾资源化利用"),
    ("23", "开展工业固体废物堆存场所和非正规垃圾填埋场排查整治"),
)
EIGHTH_DECISIONS = (
    (
        "15",
        "市发展改革委",
        "全力推进“无废城市”建设试点工作，加强精细化管理，努力打造特色、引进产业。",
    ),
    ("23", "市生态环境局", "强化督导考核，建立督导台账，严格兑现奖惩，推进各项目标任务落地落实。"),
    ("20", "市生态环境局", "加强部门间协调配合，各司其职，齐抓共管，形成合力。"),
)


SUPERVISION_DAYS = (0, 3)  # the demo office's supervision runs: Mondays and Thursdays


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class _Plan:
    """One run of the generator: the seed's random stream and what it has made so far."""

    def __init__(self, seed: int, today: date):
        self.rng = random.Random(f"plan-{seed}")
        self.today = today
        self.year_start = today - timedelta(days=365)
        self.continue_until = date(today.year + 1, 6, 30)
        self.units = {u.short_name: u for u in Unit.objects.all()}
        self.ledger = city_ledger()
        self.tasks = {t.number: t for t in self.ledger.tasks.filter(parent__isnull=True)}
        self.counts: dict[str, int] = defaultdict(int)

    # --- ledger ---------------------------------------------------------------------------

    def continue_tasks(self) -> None:
        """After the pilot the tasks go on (常态化推进) past ``today``."""
        end = max(self.continue_until, PILOT_END)
        Task.objects.filter(pk__in=[t.pk for t in self.tasks.values()]).update(ends_on=end)
        for task in self.tasks.values():
            task.ends_on = end

    def milestones(self) -> list[Milestone]:
        rows: list[Milestone] = []
        for task in self.tasks.values():
            units = [task.lead_unit, *task.units.all()]
            for i, title in enumerate(self.rng.sample(PILOT_STEPS, self.rng.randint(2, 3))):
                due = (
                    date(2019, 12, 31)
                    if i == 0
                    else self.rng.choice((date(2020, 6, 30), date(2020, 9, 30), date(2020, 12, 31)))
                )
                rows.append(self._milestone(task, title, self.rng.choice(units), due))
            steps = self.rng.sample(CONTINUING_STEPS, self.rng.randint(2, 4))
            for title in steps:
                due = self.year_start + timedelta(days=self.rng.randint(30, 540))
                rows.append(self._milestone(task, title, self.rng.choice(units), due))
        return rows

    def _milestone(self, task: Task, title: str, unit: Unit, due: date) -> Milestone:
        due = min(max(due, task.starts_on), task.ends_on)
        return Milestone(
            task=task, title=title, unit=unit, due_on=due, weight=self.rng.randint(1, 3)
        )

    def county_ledgers(self) -> list[Milestone]:
        rows: list[Milestone] = []
        for unit in Unit.objects.filter(kind=UnitKind.COUNTY).select_related("region"):
            ledger, _created = Ledger.objects.get_or_create(
                kind=LedgerKind.COUNTY,
                region=unit.region,
                unit=unit,
                defaults={"title": f"{unit.region.name}“无废城市”建设工作台账"},
            )
            self.counts["plan.Ledger"] += 1
            for n, (city_number, title) in enumerate(COUNTY_LOCAL_TASKS, start=1):
                parent = self.tasks[city_number]
                task = Task.objects.create(
                    ledger=ledger,
                    area=parent.area,
                    parent=parent,
                    number=str(n),
                    title=f"{unit.region.name}{title}",
                    text=parent.text.split("\n\n")[0],
                    source=f"{unit.region.name}“无废城市”建设试点实施方案",
                    lead_unit=unit,
                    starts_on=PILOT_START,
                    ends_on=parent.ends_on,
                )
                task.counties.add(unit.region)
                self.counts["plan.Task"] += 1
                for title in self.rng.sample(CONTINUING_STEPS, 2):
                    due = self.year_start + timedelta(days=self.rng.randint(30, 480))
                    rows.append(self._milestone(task, title, unit, due))
        return rows

    def projects(self) -> None:
        counties = list(Region.objects.filter(level="county").order_by("adcode"))
        rows = []
        for kind, (pattern, number, unit, (low, high)) in enumerate(PROJECT_KINDS):
            for county in counties:
                if len(rows) >= 63 or (kind > 3 and self.rng.random() < 0.3):
                    continue
                rows.append(self._project(pattern, number, unit, low, high, county))
        for county in counties:  # top up to the plan's 63 with recycling projects
            while len([r for r in rows if r.county_id == county.pk]) < 11 and len(rows) < 63:
                rows.append(
                    self._project(
                        "{county}再生资源回收站点提升项目（" + str(len(rows)) + "）",
                        "16",
                        "市商务局",
                        300,
                        1500,
                        county,
                    )
                )
        Project.objects.bulk_create(rows)
        self.counts["plan.Project"] = len(rows)

    def _project(self, pattern, number, unit, low, high, county) -> Project:
        total = Decimal(self.rng.randint(low, high))
        span = max(60, (self.today - PILOT_START).days - 60)
        starts = PILOT_START + timedelta(days=self.rng.randint(0, span))
        planned = starts + timedelta(days=self.rng.randint(300, 1000))
        completed = planned + timedelta(days=self.rng.randint(-60, 120))
        if completed <= self.today and self.rng.random() < 0.85:
            stage, pct, done = ProjectStage.OPERATING, 100, completed
        elif starts > self.today - timedelta(days=90):
            stage, pct, done = (
                self.rng.choice((ProjectStage.PLANNING, ProjectStage.APPROVAL)),
                0,
                None,
            )
        else:
            pct = min(95, max(10, int(100 * (self.today - starts).days / (planned - starts).days)))
            stage, done = (
                ProjectStage.CONSTRUCTION if pct < 90 else ProjectStage.COMMISSIONING,
                None,
            )
        return Project(
            task=self.tasks[number],
            name=pattern.format(county=county.name)[:120],
            unit=self.units[unit],
            county=county,
            investment_wan=total,
            invested_wan=(total * pct / 100).quantize(Decimal("0.01")),
            stage=stage,
            starts_on=starts,
            planned_completion_on=planned,
            completed_on=done,
            progress_pct=pct,
            is_invented=True,
        )

    # --- the year's simulation ------------------------------------------------------------

    def plan_outcomes(self, milestones: list[Milestone]) -> dict[int, date | None]:
        """When each milestone will be done (None: still open at ``today``)."""
        out: dict[int, date | None] = {}
        for m in milestones:
            roll = self.rng.random()
            if m.due_on <= PILOT_END:
                out[m.pk] = m.due_on - timedelta(days=self.rng.randint(0, 25))
            elif roll < 0.72:
                out[m.pk] = m.due_on - timedelta(days=self.rng.randint(0, 20))
            elif roll < 0.84:
                out[m.pk] = m.due_on + timedelta(days=self.rng.randint(5, 45))
            else:
                out[m.pk] = None
            if out[m.pk] is not None and out[m.pk] > self.today:  # type: ignore[operator]
                out[m.pk] = None
        return out

    def pilot_reports(self, milestones: list[Milestone], done: dict[int, date | None]) -> None:
        """The pilot is complete: each milestone done with an accepted report claiming it."""
        rows = []
        for m in milestones:
            day = done[m.pk]
            if m.due_on > PILOT_END or day is None:
                continue
            rows.append(self._report(m, month_start(day), day, ReportStatus.ACCEPTED, True))
        ProgressReport.objects.bulk_create(rows)
        Milestone.objects.bulk_update(
            [self._mark_done(m, done[m.pk]) for m in milestones if m.due_on <= PILOT_END],
            ["status", "done_on"],
        )
        self.counts["plan.ProgressReport"] += len(rows)

    @staticmethod
    def _mark_done(m: Milestone, day: date | None) -> Milestone:
        m.status, m.done_on = MilestoneStatus.DONE, day
        return m

    def _report(self, m, period, day, status, claims_done, note="") -> ProgressReport:
        submitted = _at(day, self.rng.randint(9, 17))
        reviewed = submitted + timedelta(days=self.rng.randint(1, 4))
        return ProgressReport(
            milestone=m,
            unit_id=m.unit_id,
            period=period,
            text=self.rng.choice(REPORT_TEXTS) if not claims_done else "节点任务已完成，申请销号。",
            figures=[{"label": "完成进度", "value": str(self.rng.randint(20, 100)), "unit": "%"}],
            claims_done=claims_done,
            status=status,
            submitted_at=submitted,
            reviewed_at=reviewed if status != ReportStatus.SUBMITTED else None,
            review_note=note,
        )

    def month_reports(self, period: date, open_ms: list[Milestone], done: dict) -> list:
        """Reports of ``period`` for milestones open in it: most filed on the 20th-28th and
        accepted, some late (first days of next month), some returned then refiled, a few
        missing; the done month's report claims the milestone done."""
        rows = []
        next_month = add_months(period, 1)
        for m in open_ms:
            day_done = done[m.pk]
            if day_done is not None and day_done < period:
                continue
            roll = self.rng.random()
            if roll < 0.06 and (day_done is None or day_done >= next_month):
                continue  # missing this month
            claims = day_done is not None and period <= day_done < next_month
            day = (
                day_done
                if claims
                else (
                    period.replace(day=self.rng.randint(20, 28))
                    if roll < 0.85
                    else next_month + timedelta(days=self.rng.randint(0, 7))
                )
            )
            if day > self.today:
                continue
            pending = day > self.today - timedelta(days=6)
            status = ReportStatus.SUBMITTED if pending and not claims else ReportStatus.ACCEPTED
            if 0.80 < roll < 0.88 and not claims:
                rows.append(
                    self._report(
                        m, period, day, ReportStatus.RETURNED, False, self.rng.choice(RETURN_NOTES)
                    )
                )
                day = min(self.today, day + timedelta(days=3))
            rows.append(self._report(m, period, day, status, claims))
        return rows

    def simulate(self, milestones: list[Milestone], done: dict[int, date | None]) -> None:
        """Day by day over the last year: milestones get done, reports arrive monthly, the
        office runs ``supervise()`` on Mondays and Thursdays (raising and escalating), units
        answer, the office closes or returns."""
        current = [m for m in milestones if m.due_on > PILOT_END]
        by_done_day: dict[date, list[int]] = defaultdict(list)
        for m in current:
            if done[m.pk] is not None and done[m.pk] < self.year_start:  # type: ignore[operator]
                by_done_day[self.year_start].append(m.pk)
            elif done[m.pk] is not None:
                by_done_day[done[m.pk]].append(m.pk)  # type: ignore[index]
        # the two months before the simulated year, so nothing looks stalled on its first day
        self._file(add_months(month_start(self.year_start), -2), current, done)
        self._file(add_months(month_start(self.year_start), -1), current, done)
        answers: dict[date, list[int]] = defaultdict(list)
        reviews: dict[date, list[int]] = defaultdict(list)
        day = self.year_start
        while day <= self.today:
            if day.day == 1 or day == self.year_start:
                self._file(add_months(month_start(day), -1), current, done)
            if by_done_day.get(day):
                Milestone.objects.filter(pk__in=by_done_day[day]).update(
                    status=MilestoneStatus.DONE, done_on=day
                )
            if day.weekday() in SUPERVISION_DAYS or day == self.today:
                self._supervise(day, answers)
            for pk in answers.pop(day, []):
                if self._answer(pk, day):
                    reviews[add_working_days(day, self.rng.randint(1, 3))].append(pk)
            for pk in reviews.pop(day, []):
                if self.rng.random() < 0.85:
                    self._close(pk, day)
                else:
                    self._return(pk, day)
                    answers[add_working_days(day, 2)].append(pk)
            day += timedelta(days=1)
        self._file(month_start(self.today), current, done)

    def _supervise(self, day: date, answers: dict[date, list[int]]) -> None:
        """The office's supervision run; units answer most new notices within the deadline."""
        supervise(today=day)
        for notice in Notice.objects.filter(issued_at__date=day, status=NoticeStatus.OPEN):
            if self.rng.random() < (0.6 if notice.level == 1 else 0.85):
                answers[add_working_days(day, self.rng.randint(1, ANSWER_WORKING_DAYS))].append(
                    notice.pk
                )

    def _file(self, period: date, milestones: list[Milestone], done: dict) -> None:
        if period < month_start(PILOT_END + timedelta(days=1)):
            return
        live = [m for m in milestones if m.task.starts_on <= period]
        filed = set(
            ProgressReport.objects.filter(period=period, milestone__in=live).values_list(
                "milestone_id", flat=True
            )
        )
        rows = self.month_reports(period, [m for m in live if m.pk not in filed], done)
        ProgressReport.objects.bulk_create(rows)
        self.counts["plan.ProgressReport"] += len(rows)

    def _answer(self, pk: int, day: date) -> bool:
        notice = Notice.objects.get(pk=pk)
        if notice.status != NoticeStatus.OPEN:
            return False
        at = _at(day, 15)
        notice.status, notice.answer, notice.answered_at = (
            NoticeStatus.ANSWERED,
            self.rng.choice(ANSWERS),
            at,
        )
        notice.save(update_fields=["status", "answer", "answered_at"])
        NoticeEvent.objects.create(notice=notice, at=at, action="answered", note=notice.answer)
        return True

    def _close(self, pk: int, day: date) -> None:
        at = _at(day, 11)
        Notice.objects.filter(pk=pk, status=NoticeStatus.ANSWERED).update(
            status=NoticeStatus.CLOSED, closed_at=at
        )
        NoticeEvent.objects.create(notice_id=pk, at=at, action="closed", note="同意办结。")

    def _return(self, pk: int, day: date) -> None:
        at = _at(day, 11)
        Notice.objects.filter(pk=pk, status=NoticeStatus.ANSWERED).update(
            status=NoticeStatus.OPEN, deadline=add_working_days(day, ANSWER_WORKING_DAYS)
        )
        NoticeEvent.objects.create(
            notice_id=pk, at=at, action="returned", note="反馈不充分，请补充整改措施。"
        )

    # --- meetings -------------------------------------------------------------------------

    def meetings(self) -> None:
        city = self.ledger.region
        dates = [
            date(2019, 6, 18),
            date(2019, 8, 20),
            date(2019, 10, 22),
            date(2019, 12, 17),
            date(2020, 3, 24),
            date(2020, 5, 19),
            date(2020, 7, 21),
            EIGHTH_MEETING,
            date(2020, 11, 17),
        ]
        numerals = "一二三四五六七八九"
        for i, held in enumerate(dates):
            meeting = Meeting.objects.create(
                kind=MeetingKind.PROGRESS,
                title=f"全市污染防治攻坚战暨“无废城市”建设试点第{numerals[i]}次工作推进会",
                held_on=held,
                place="市政府第一会议室",
                chaired_by="副市长",
                attendees="推进小组各成员单位、各县（市、区）政府",
                summary="听取各责任单位工作进展汇报，研究部署下一阶段重点工作。",
                region=city,
            )
            if held == EIGHTH_MEETING:
                meeting.chaired_by = "副市长楚雷（主持）；市委常委、常务副市长赵文峰出席并讲话"
                meeting.summary = (
                    "市生态环境局通报全市污染防治攻坚战暨“无废城市”建设试点工作进展情况，"
                    "魏都区、市水利局分别就“无废城市”建设试点工作、水污染防治工作作了典型发言。"
                )
                meeting.save(update_fields=["chaired_by", "summary"])
                for number, unit, text in EIGHTH_DECISIONS:
                    self._decision(meeting, number, unit, text, date(2020, 12, 31), done=True)
        for months_ago in (10, 6, 2):  # the continuing years' joint meetings
            held = add_months(self.today, -months_ago)
            meeting = Meeting.objects.create(
                kind=MeetingKind.JOINT,
                title=f"“无废城市”建设工作联席会议（{held:%Y年%m月}）",
                held_on=held,
                place="市生态环境局会议室",
                chaired_by="市无废办主任",
                attendees="联席会议成员单位",
                summary="通报节点完成和督办反馈情况，协调解决重点项目推进中的问题。",
                region=city,
            )
            number = self.rng.choice(list(self.tasks))
            self._decision(
                meeting,
                number,
                self.tasks[number].lead_unit.short_name,
                "加快推进逾期节点，一个月内报送整改情况。",
                held + timedelta(days=30),
                done=False,
            )
        self.counts["plan.Meeting"] = Meeting.objects.count()

    def _decision(self, meeting, number, unit, text, due, *, done) -> None:
        task = self.tasks[number]
        milestone = Milestone.objects.create(
            task=task,
            title=text[:160],
            unit=self.units[unit],
            due_on=min(due, task.ends_on),
            status=MilestoneStatus.DONE if done else MilestoneStatus.OPEN,
            done_on=due - timedelta(days=10) if done else None,
        )
        Decision.objects.create(
            meeting=meeting,
            text=text,
            unit=self.units[unit],
            due_on=due,
            task=task,
            milestone=milestone,
        )


@transaction.atomic
def plan_generate(*, seed: int, today: date) -> dict[str, int]:
    """Generate the demo ledger (see the module docstring); returns row counts per model."""
    load_plan()
    plan = _Plan(seed, today)
    plan.continue_tasks()
    rows = plan.milestones() + plan.county_ledgers()
    Milestone.objects.bulk_create(rows)
    milestones = list(Milestone.objects.select_related("task").order_by("pk"))
    done = plan.plan_outcomes(milestones)
    plan.pilot_reports(milestones, done)
    plan.projects()
    plan.meetings()
    plan.simulate(milestones, done)
    tasks_refresh(today=today)
    counts = dict(plan.counts)
    counts.update(
        {
            "plan.Milestone": Milestone.objects.count(),
            "plan.Notice": Notice.objects.count(),
            "plan.NoticeEvent": NoticeEvent.objects.count(),
            "plan.Decision": Decision.objects.count(),
        }
    )
    return counts


@transaction.atomic
def plan_reset() -> dict[str, int]:
    """Remove what ``plan_generate`` made; keep the plan itself (units, areas, the 25 tasks,
    restored to the plan's period by ``load_plan``)."""
    deleted: dict[str, int] = {}
    Notice.objects.filter(parent__isnull=False).update(parent=None)  # escalation chains
    for queryset in (
        NoticeEvent.objects.all(),
        Notice.objects.all(),
        Decision.objects.all(),
        Meeting.objects.all(),
        ReportAttachment.objects.all(),
        ProgressReport.objects.all(),
        Project.objects.filter(is_invented=True),
        Milestone.objects.all(),
        Task.objects.filter(parent__parent__isnull=False),
        Task.objects.filter(parent__isnull=False),
        Task.objects.exclude(ledger__kind=LedgerKind.CITY),
        Ledger.objects.exclude(kind=LedgerKind.CITY),
    ):
        _total, per_model = queryset.delete()
        for label, n in per_model.items():
            deleted[label] = deleted.get(label, 0) + n
    load_plan()
    return deleted
