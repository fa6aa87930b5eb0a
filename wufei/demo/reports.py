"""The demo city's residents' reports (plan tasks 21-22): a year of reports up to ``today`` — a
few a day at city scale — at points inside the city's towns, each with the steps of its
handling as the reporter follows them.

Most reports went the whole way (received → assigned to the bureau and the county's sanitation
company → handled → answered → rated, or closed unrated after the answer's limit); some were
rejected (duplicates, outside the platform's scope); the latest are still in progress; a few
stages ran over their limit and were escalated (督办), and a few open ones are overdue now (the
``reports-escalate`` job escalates them on its next run). The timings follow the stage limits
(``StageLimit``): most steps well inside them.

Rows are written directly (``bulk_create``), not through ``wufei.cases.reports`` — those
services stamp ``now`` and draw random codes; the demo needs a year of history from its seed.
The codes use the services' alphabet and length; the demo's reports are told apart by their
``client_key`` (``demo-`` and a digest), so ``reports_reset`` removes only them.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from wufei.accounts.models import Department
from wufei.cases.models import Report, ReportEvent, ReportKind, ReportStage, StageLimit
from wufei.demo import names
from wufei.demo.figures import COUNTIES, scaled
from wufei.demo.geography import Geography, Town
from wufei.demo.models import GeneratedParty
from wufei.registry.models import Site, WasteStream

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLIENT_PREFIX = "demo-"
REPORTS_PER_YEAR = 1_500  # at city scale: about four a day (invented)
DEFAULT_LIMITS = {"received": 24, "assigned": 72, "handled": 24, "answered": 168}
KIND_SHARES = {
    ReportKind.OVERFLOW: 0.30,
    ReportKind.DUMPING: 0.25,
    ReportKind.MISSED_PICKUP: 0.18,
    ReportKind.BURNING: 0.10,
    ReportKind.MIXED_TRANSPORT: 0.07,
    ReportKind.OTHER: 0.10,
}
STREAM_OF_KIND: dict[str, str] = {ReportKind.BURNING: "agricultural"}  # the rest: household
REJECT_SHARE = 0.05
SLOW_SHARE = 0.04  # a stage that ran over its limit and was escalated
RATED_SHARE = 0.75  # answered reports the reporter rated (the rest closed after the limit)
CONTACT_SHARE = 0.6

DESCRIPTIONS = {
    ReportKind.OVERFLOW: (
        "{place}分类投放点垃圾桶已满，垃圾堆在桶外，气味很大。",
        "{place}的厨余垃圾桶满溢，周边有污水流出。",
        "{place}投放点可回收物桶塞满了纸箱，已经放不下。",
    ),
    ReportKind.DUMPING: (
        "{place}路边有人乱倒建筑垃圾，堆了好几车。",
        "{place}空地上堆放大量生活垃圾，无人清理。",
        "{place}附近绿化带里被倾倒装修垃圾。",
    ),
    ReportKind.MISSED_PICKUP: (
        "{place}的垃圾两天没有清运了。",
        "{place}收运车今天没来，垃圾桶都满了。",
        "{place}垃圾清运不及时，晚上还堆在路边。",
    ),
    ReportKind.BURNING: (
        "{place}田间有人焚烧秸秆，浓烟很大。",
        "{place}有人露天焚烧垃圾，味道刺鼻。",
    ),
    ReportKind.MIXED_TRANSPORT: (
        "{place}看到收运车把分好类的垃圾混在一起倒进车里。",
        "{place}分类收集的垃圾被混装运走，分类白做了。",
    ),
    ReportKind.OTHER: (
        "{place}投放点标识牌损坏，看不清分类说明。",
        "{place}垃圾房周边卫生差，蚊蝇很多。",
        "{place}智能分类箱无法扫码开门。",
    ),
}
HANDLING = {
    ReportKind.OVERFLOW: "已安排加密清运，现场桶外垃圾已清理，投放点已冲洗。",
    ReportKind.DUMPING: "已清运乱倒垃圾并平整场地，设置禁倒标识，沿线加强巡查。",
    ReportKind.MISSED_PICKUP: "已补收补运，并调整该点位收运时间，督促收运单位按时清运。",
    ReportKind.BURNING: "已扑灭火点，对当事人进行宣传教育，乡镇加强巡查。",
    ReportKind.MIXED_TRANSPORT: "已约谈收运单位，责令分类收运，车辆加装分类标识。",
    ReportKind.OTHER: "已现场处理，相关设施已修复。",
}
ANSWERS = (
    "您反映的问题已处理完毕，感谢您对“无废城市”建设的支持。",
    "经核实，问题属实，已整改到位。欢迎继续监督。",
    "已按要求处置，后续将加强日常巡查。",
)
REJECT_REASONS = (
    "与此前举报为同一问题，已合并办理。",
    "经核实，所反映地点不在本市辖区内，已告知有关部门。",
    "反映内容不属于本平台受理范围，请拨打 12345 热线。",
)
RATING_COMMENTS = {
    5: ("处理很及时，点赞！", "非常满意。", ""),
    4: ("处理得不错。", ""),
    3: ("处理了，但速度一般。", ""),
    2: ("处理太慢了。",),
    1: ("问题没有彻底解决。",),
}


def _clock(today: date) -> datetime:
    """The demo's clock: now, when ``today`` is today; else the end of ``today``."""
    now = timezone.now()
    if timezone.localdate(now) == today:
        return now
    return datetime.combine(today, time(23, 59), tzinfo=SHANGHAI)


def _limits() -> dict[str, timedelta]:
    hours = dict(DEFAULT_LIMITS)
    hours.update(dict(StageLimit.objects.values_list("stage", "hours")))
    return {stage: timedelta(hours=h) for stage, h in hours.items()}


def _code(rng: random.Random, taken: set[str]) -> str:
    from wufei.cases.reports import CODE_ALPHABET, CODE_LENGTH

    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


class ReportGenerator:
    def __init__(self, *, seed: int, scale: str, today: date, now: datetime | None = None):
        self.seed = seed
        self.rng = random.Random(f"{seed}:reports")
        self.scale, self.today = scale, today
        self.now = now or _clock(today)
        self.start = today - timedelta(days=364)
        self.limits = _limits()
        self.geo = Geography()
        streams = {
            s.code: s for s in WasteStream.objects.filter(code__in=("household", "agricultural"))
        }
        self.streams = streams
        self.departments = {
            code: Department.objects.filter(streams=stream).order_by("code").first()
            for code, stream in streams.items()
        }
        self.sanitation: dict[str, tuple[int, str]] = {}
        for party_id, name, path in (
            GeneratedParty.objects.filter(sector="sanitation")
            .order_by("party_id")
            .values_list("party_id", "party__name", "party__region__path")
        ):
            parts = path.split("/")
            self.sanitation.setdefault(parts[1] if len(parts) > 1 else parts[0], (party_id, name))
        self.compounds: dict[int, list[tuple[str, float, float]]] = {}
        for region_id, name, lon, lat in (
            Site.objects.filter(kind="community", lon__isnull=False)
            .order_by("pk")
            .values_list("region_id", "name", "lon", "lat")
        ):
            self.compounds.setdefault(region_id, []).append((name, float(lon), float(lat)))
        self.taken = set(Report.objects.values_list("code", flat=True))
        self.reports: list[Report] = []
        self.events: list[list[ReportEvent]] = []

    def run(self) -> dict[str, int]:
        count = scaled(REPORTS_PER_YEAR, self.scale)
        towns = [t for c in COUNTIES for t in self.geo.towns(c.adcode)]
        weights = [
            (c.urban_population if t.urban else c.rural_population / 4)
            / max(1, len(self.geo.towns(c.adcode, "urban" if t.urban else "rural")))
            for c in COUNTIES
            for t in self.geo.towns(c.adcode)
        ]
        span = (self.today - self.start).days
        for index in range(count):
            # Each report from its own stream: the rows do not depend on the clock (a report
            # still to come today leaves the others as they are).
            self.rng = random.Random(f"{self.seed}:reports:{index}")
            # Slightly more reports later in the year: more residents know the page.
            day = self.start + timedelta(days=round(span * self.rng.random() ** 0.85))
            at = datetime.combine(
                day, time(self.rng.randint(7, 21), self.rng.randrange(60)), tzinfo=SHANGHAI
            )
            if at > self.now:
                continue
            kind = self.rng.choices(list(KIND_SHARES), weights=list(KIND_SHARES.values()))[0]
            town = self.rng.choices(towns, weights=weights)[0]
            if kind == ReportKind.BURNING and town.urban:
                rural = self.geo.towns(town.county.adcode, "rural")
                town = self.rng.choice(rural)
            self.one(kind, town, at)
        Report.objects.bulk_create(self.reports, batch_size=1000)
        rows = []
        for report, events in zip(self.reports, self.events, strict=True):
            for event in events:
                event.report = report
                rows.append(event)
        ReportEvent.objects.bulk_create(rows, batch_size=2000)
        return {"cases.Report": len(self.reports), "cases.ReportEvent": len(rows)}

    def place(self, town: Town) -> tuple[str, Decimal, Decimal]:
        compounds = self.compounds.get(town.region.pk)
        if town.urban and compounds and self.rng.random() < 0.7:
            name, lon, lat = self.rng.choice(compounds)
            point = self.geo.point(self.rng, town, near=(lon, lat), spread_km=0.15)
            return f"{town.name}{name}", point[0], point[1]
        x, y = self.geo.point(self.rng, town)
        if town.urban:
            road = self.rng.choice(names.ROADS[town.county.adcode])
            return f"{town.name}{road}", x, y
        village = names.village(self.rng)
        return f"{town.name}{village if village.endswith('村') else village + '村'}", x, y

    def one(self, kind: ReportKind, town: Town, at: datetime) -> None:
        rng = self.rng
        address, lon, lat = self.place(town)
        stream = self.streams.get(STREAM_OF_KIND.get(kind, "household")) or self.streams.get(
            "household"
        )
        department = self.departments.get(stream.code) if stream else None
        digest = hashlib.sha256(f"{address}{at.isoformat()}{rng.random()}".encode()).hexdigest()
        report = Report(
            code=_code(rng, self.taken),
            kind=kind,
            description=rng.choice(DESCRIPTIONS[kind]).format(place=address),
            lon=lon,
            lat=lat,
            address=address,
            region=town.region,
            stream=stream,
            department=department,
            contact_masked=(
                f"1{rng.choice('3578')}{rng.randrange(10)}****{rng.randrange(10**4):04d}"
                if rng.random() < CONTACT_SHARE
                else ""
            ),
            client_key=(CLIENT_PREFIX + digest)[:64],
            created_at=at,
        )
        events: list[ReportEvent] = []
        progress = (at.date() - self.start).days / 365

        def step(action: str, stage: str, when: datetime, note: str = "", public: bool = True):
            report.stage, report.stage_since = stage, when
            limit = self.limits.get(stage)
            final = stage in (ReportStage.CLOSED, ReportStage.REJECTED)
            report.due_at = None if final or limit is None else when + limit
            if final:
                report.closed_at = when
            events.append(
                ReportEvent(at=when, action=action, stage=stage, note=note, public=public)
            )

        def within(stage: str, slow: bool) -> timedelta:
            """How long the stage took: well inside its limit, or over it when ``slow``."""
            limit = self.limits[stage]
            share = rng.uniform(1.1, 1.8) if slow else rng.uniform(0.05, 0.8) ** 1.5
            return max(timedelta(minutes=20), limit * share)

        def escalate(stage: str, since: datetime, moved_on: datetime) -> None:
            """The overdue job's 督办 shortly after the limit ran out (if that has happened),
            before the stage ended at ``moved_on``."""
            due = since + self.limits[stage]
            late = timedelta(hours=rng.randint(0, 2), minutes=rng.randrange(60))
            late = min(late, (moved_on - due) / 2)
            if due + late > self.now:
                return  # overdue now: the job escalates it on its next run
            report.escalations += 1
            report.due_at = due + self.limits[stage]
            events.append(
                ReportEvent(
                    at=due + late,
                    action="escalate",
                    stage=stage,
                    note=f"“{ReportStage(stage).label}”环节超时 {late.seconds // 3600} 小时，"
                    f"第 {report.escalations} 次督办。",
                )
            )

        step(
            "receive",
            ReportStage.RECEIVED,
            at,
            f"已受理，责任部门：{department}。" if department else "",
        )
        if rng.random() < REJECT_SHARE:
            when = at + within(ReportStage.RECEIVED, False)
            if when <= self.now:
                report.answer = rng.choice(REJECT_REASONS)
                step("reject", ReportStage.REJECTED, when, report.answer)
            self._keep(report, events)
            return
        party = None
        if stream is not None and stream.code == "household":
            party = self.sanitation.get(town.county.adcode)
        chain = (
            (ReportStage.RECEIVED, "assign", ReportStage.ASSIGNED),
            (ReportStage.ASSIGNED, "handle", ReportStage.HANDLED),
            (ReportStage.HANDLED, "answer", ReportStage.ANSWERED),
        )
        when = at
        for stage, action, following in chain:
            slow = rng.random() < SLOW_SHARE
            nxt = when + within(stage, slow)
            if slow:
                escalate(stage, when, nxt)
            if nxt > self.now:
                self._keep(report, events)
                return
            when = nxt
            if action == "assign":
                report.assigned_party_id = party[0] if party else None
                to = str(department or "") + (f" · {party[1]}" if party else "")
                step(action, following, when, f"已派单：{to}。")
            elif action == "handle":
                step(action, following, when, HANDLING[kind])
            else:
                report.answer = rng.choice(ANSWERS)
                step(action, following, when, report.answer)
        if rng.random() < RATED_SHARE:
            rated = when + rng.uniform(0.02, 0.7) * self.limits[ReportStage.ANSWERED]
            if rated <= self.now:
                mean = 3.7 + 0.8 * progress
                stars = max(1, min(5, round(rng.gauss(mean, 0.8))))
                report.rating = stars
                report.rating_comment = rng.choice(RATING_COMMENTS[stars])
                note = f"{stars} 星" + (
                    f"：{report.rating_comment}" if report.rating_comment else ""
                )
                step("rate", ReportStage.CLOSED, rated, note)
        else:
            closed = when + self.limits[ReportStage.ANSWERED]
            if closed <= self.now:
                step("auto_close", ReportStage.CLOSED, closed)
        self._keep(report, events)

    def _keep(self, report: Report, events: list[ReportEvent]) -> None:
        events.sort(key=lambda e: e.at)
        self.reports.append(report)
        self.events.append(events)


def reports_generate(
    *, seed: int, scale: str, today: date, now: datetime | None = None
) -> dict[str, int]:
    """Generate the demo city's residents' reports of the year up to ``today`` (row counts)."""
    return ReportGenerator(seed=seed, scale=scale, today=today, now=now).run()


def reports_reset() -> dict[str, int]:
    """Remove the demo's reports (their events go with them); residents' own reports stay."""
    _, per_model = Report.objects.filter(client_key__startswith=CLIENT_PREFIX).delete()
    return {label: n for label, n in per_model.items() if n}
