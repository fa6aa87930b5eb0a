"""The demo city's public participation (plan tasks 21 and 22): the year's events with their
bookings — 企业开放日 at the city's recycling and utilisation companies, visits to the “无废城市”
education base at 许昌科技馆 and 许昌规划馆 (the plan names both), lectures in the pilot
streets, the theme days and the 无废城市创意大赛 — and a few upcoming ones open for booking; and
the satisfaction survey (a few hundred answers a quarter at city scale, per county), its
scores improving over the year.

Rows are written directly (the services refuse events that start in the past and stamp
``now``). The demo's events are the ones no person created (no ``create`` entry in the change
log); its bookings and answers carry a ``client_key`` starting ``demo-``. ``outreach_reset``
removes those (with every booking of a demo event).
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from wufei.core.models import ChangeLog
from wufei.demo import names
from wufei.demo.figures import COUNTIES, scaled
from wufei.demo.models import GeneratedParty
from wufei.outreach.models import Booking, BookingStatus, Event, EventKind, SurveyResponse
from wufei.registry.models import Party, Region

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLIENT_PREFIX = "demo-"

# Events per year at city scale (invented) and the upcoming ones open for booking.
OPEN_DAYS = 24
BASE_VISITS = 24
LECTURES = 12
UPCOMING_WEEKS = 6
EDUCATION_BASES = (
    ("许昌科技馆“无废城市”主题展区", "许昌市科技馆（许昌市东城区）"),
    ("许昌规划馆“无废城市”主题展区", "许昌市城乡规划展览馆"),
)
THEME_DAYS = (
    ((6, 5), "世界环境日“无废城市”主题宣传活动", "许昌市中心广场"),
    ((6, 14), "文化和自然遗产日“变废为宝”展示活动", "许昌市博物馆广场"),
    ((9, 20), "“无废城市”宣传周启动仪式", "许昌市政府广场"),
)
CONTEST = ((10, 15), "许昌市“无废城市”创意大赛颁奖活动", "许昌市青少年宫")
LECTURE_TOPICS = (
    "垃圾分类进社区：厨余垃圾怎么分",
    "旧物新生：可回收物的去处",
    "“光盘行动”与绿色生活",
    "有害垃圾的安全投放",
)
# Survey answers per quarter at city scale, split by county population (invented).
SURVEY_PER_QUARTER = 400
SURVEY_MEAN = (3.3, 4.1)  # mean score at the year's start and end (invented)
SURVEY_DIMENSIONS = ("awareness", "participation", "satisfaction", "gain", "confidence")
DIMENSION_OFFSET = {
    "awareness": 0.1,
    "participation": -0.15,
    "satisfaction": 0.05,
    "gain": -0.1,
    "confidence": 0.15,
}
COMMENTS = (
    "希望多设几个可回收物回收点。",
    "小区分类投放点越来越干净了。",
    "建议延长晚上的投放时间。",
    "积分兑换很实用，希望品种多一些。",
    "希望加强对乱倒垃圾的查处。",
    "督导员很耐心，点赞。",
)
RECYCLER_WORDS = ("再生", "资源", "环保能源", "综合利用", "生活垃圾", "生物质", "回收")


def _key(*parts: object) -> str:
    return (CLIENT_PREFIX + hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest())[:64]


def _clock(today: date) -> datetime:
    """The demo's clock: now, when ``today`` is today; else the end of ``today``."""
    now = timezone.now()
    return now if timezone.localdate(now) == today else _at(today, 23, 59)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


class OutreachGenerator:
    def __init__(self, *, seed: int, scale: str, today: date, now: datetime | None = None):
        self.seed, self.scale, self.today = seed, scale, today
        self.now = now or _clock(today)
        self.start = today - timedelta(days=364)
        self.regions = {
            r.adcode: r
            for r in Region.objects.filter(adcode__in=["411000", *(c.adcode for c in COUNTIES)])
        }
        self.events: list[tuple[Event, float]] = []  # event, share of places booked
        self.codes: set[str] = set(Booking.objects.values_list("code", flat=True))

    def rng(self, section: str) -> random.Random:
        return random.Random(f"{self.seed}:outreach:{section}")

    def n(self, city_count: int, minimum: int = 1) -> int:
        return scaled(city_count, self.scale, minimum)

    def run(self) -> dict[str, int]:
        self.open_days()
        self.base_visits()
        self.lectures()
        self.theme_days()
        Event.objects.bulk_create([e for e, _share in self.events], batch_size=500)
        bookings = self.bookings()
        answers = self.survey()
        return {
            "outreach.Event": len(self.events),
            "outreach.Booking": bookings,
            "outreach.SurveyResponse": answers,
        }

    # --- events ---------------------------------------------------------------------------------
    def _days(self, rng: random.Random, count: int) -> list[date]:
        """``count`` days spread over the year and the coming weeks (weekends preferred)."""
        span = (self.today - self.start).days + UPCOMING_WEEKS * 7
        days = []
        for i in range(count):
            day = self.start + timedelta(days=int(span * (i + rng.random()) / count))
            day += timedelta(days=(5 - day.weekday()) % 7 if rng.random() < 0.6 else 0)
            days.append(day)
        return days

    def _event(self, rng, *, kind, title, description, host, region, place, day, hour, capacity):
        starts = _at(day, hour, rng.choice((0, 30)))
        event = Event(
            kind=kind,
            title=title,
            description=description,
            host=host,
            region=region,
            place=place,
            starts_at=starts,
            ends_at=starts + timedelta(hours=rng.choice((1.5, 2, 2.5, 3))),
            capacity=capacity,
            booking_closes_at=starts - timedelta(hours=rng.choice((12, 24, 48))),
            is_published=True,
        )
        past = event.starts_at <= self.now
        share = rng.uniform(0.55, 0.95) if past else rng.uniform(0.1, 0.6)
        self.events.append((event, share))

    def _recyclers(self) -> list[Party]:
        parties = Party.objects.filter(
            pk__in=GeneratedParty.objects.filter(
                sector__in=("plant", "metal", "renewable_collect")
            ).values("party_id")
        ).filter(is_receiver=True) | Party.objects.filter(
            pk__in=GeneratedParty.objects.filter(sector="renewable_collect").values("party_id"),
            is_collector=True,
        )
        found = [
            p
            for p in parties.select_related("region").order_by("pk")
            if any(word in p.name for word in RECYCLER_WORDS) and "危" not in p.name
        ]
        return found

    def open_days(self) -> None:
        rng = self.rng("open_days")
        hosts = self._recyclers()
        if not hosts:
            return
        # The named plants of the plan first, then others in turn.
        hosts.sort(
            key=lambda p: (not p.name.startswith(("许昌旺能", "许昌金科", "许昌欧绿保")), p.pk)
        )
        for i, day in enumerate(self._days(rng, self.n(OPEN_DAYS, 4))):
            host = hosts[i % min(len(hosts), 12)] if i % 3 else hosts[i % min(len(hosts), 3)]
            self._event(
                rng,
                kind=EventKind.OPEN_DAY,
                title=f"{host.name}企业开放日",
                description="走进资源循环利用企业，参观生产线，了解废弃物“变废为宝”的全过程。"
                "适合中小学生和家长参加。",
                host=host,
                region=self._county_of(host),
                place=host.address or host.name,
                day=day,
                hour=rng.choice((9, 14)),
                capacity=rng.choice((30, 40, 50)),
            )

    def base_visits(self) -> None:
        rng = self.rng("bases")
        city = self.regions.get("411000") or self.regions.get("411002")
        for i, day in enumerate(self._days(rng, self.n(BASE_VISITS, 4))):
            title, place = EDUCATION_BASES[i % len(EDUCATION_BASES)]
            self._event(
                rng,
                kind=EventKind.EDUCATION_BASE,
                title=f"{title}参观",
                description="“无废城市”教育基地讲解参观：生活垃圾分类、资源循环利用、无废生活方式。",
                host=None,
                region=city,
                place=place,
                day=day,
                hour=rng.choice((9, 10, 14, 15)),
                capacity=rng.choice((40, 60, 80)),
            )

    def lectures(self) -> None:
        rng = self.rng("lectures")
        towns = list(
            Region.objects.filter(
                pk__in=GeneratedParty.objects.filter(sector="community").values("party__region_id")
            ).order_by("adcode")
        )
        if not towns:
            return
        for i, day in enumerate(self._days(rng, self.n(LECTURES, 2))):
            town = towns[rng.randrange(len(towns))]
            topic = LECTURE_TOPICS[i % len(LECTURE_TOPICS)]
            self._event(
                rng,
                kind=EventKind.TRAINING,
                title=f"垃圾分类公众讲座：{topic}",
                description="由城市管理部门和垃圾分类宣传引导员主讲，现场答疑，发放分类指南。",
                host=None,
                region=town,
                place=f"{town.name}{rng.choice(names.BRANDS)}社区党群服务中心",
                day=day,
                hour=rng.choice((9, 15, 19)),
                capacity=rng.choice((50, 80, 100)),
            )

    def theme_days(self) -> None:
        rng = self.rng("theme")
        city = self.regions.get("411000") or self.regions.get("411002")
        for (month, dom), title, place in (*THEME_DAYS, CONTEST):
            for year in (self.start.year, self.start.year + 1):
                day = date(year, month, dom)
                if not self.start <= day <= self.today + timedelta(weeks=UPCOMING_WEEKS):
                    continue
                kind = EventKind.CONTEST if (month, dom) == CONTEST[0] else EventKind.CAMPAIGN
                self._event(
                    rng,
                    kind=kind,
                    title=f"{year}年{title}",
                    description="市无废办联合各部门举办，现场有垃圾分类互动游戏、旧物改造展示和"
                    "“无废”知识问答。",
                    host=None,
                    region=city,
                    place=place,
                    day=day,
                    hour=9,
                    capacity=rng.choice((200, 300)),
                )

    def _county_of(self, party: Party) -> Region:
        parts = party.region.path.split("/")
        county = self.regions.get(parts[1]) if len(parts) > 1 else None
        return county or party.region

    def bookings(self) -> int:
        from wufei.outreach.services import CODE_ALPHABET, CODE_LENGTH

        rows: list[Booking] = []
        for index, (event, share) in enumerate(self.events):
            rng = self.rng(f"bookings:{index}")
            target = int(event.capacity * share)
            booked = 0
            opened = event.starts_at - timedelta(days=21)
            while booked < target:
                people = min(rng.choice((1, 1, 2, 2, 3, 4, 5)), target - booked)
                created = opened + (event.booking_closes_at - opened) * rng.random()
                if created > self.now:
                    created = self.now - timedelta(minutes=rng.randint(1, 600))
                past = event.starts_at <= self.now
                status = BookingStatus.BOOKED
                if rng.random() < 0.05:
                    status = BookingStatus.CANCELLED
                elif past and rng.random() < 0.88:
                    status = BookingStatus.ATTENDED
                code = ""
                while not code or code in self.codes:
                    code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
                self.codes.add(code)
                rows.append(
                    Booking(
                        event=event,
                        code=code,
                        name=names.person(rng),
                        phone_masked=f"1{rng.choice('3578')}{rng.randrange(10)}****"
                        f"{rng.randrange(10**4):04d}",
                        people=people,
                        status=status,
                        client_key=_key(self.seed, "booking", len(rows)),
                        created_at=created,
                    )
                )
                if status != BookingStatus.CANCELLED:
                    booked += people  # a cancelled booking freed its places
            event.booked = booked
        Booking.objects.bulk_create(rows, batch_size=2000)
        Event.objects.bulk_update([e for e, _share in self.events], ["booked"], batch_size=500)
        return len(rows)

    # --- the survey -----------------------------------------------------------------------------
    def survey(self) -> int:
        rng = self.rng("survey")
        total = sum(c.population for c in COUNTIES)
        rows: list[SurveyResponse] = []
        quarters = []
        first = date(self.start.year, 3 * ((self.start.month - 1) // 3) + 1, 1)
        while first <= self.today:
            following = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
            quarters.append(
                (max(first, self.start), min(following - timedelta(days=1), self.today))
            )
            first = following
        for q, (begin, end) in enumerate(quarters):
            progress = q / max(1, len(quarters) - 1)
            days = (end - begin).days
            for county in COUNTIES:
                region = self.regions.get(county.adcode)
                if region is None:
                    continue
                count = self.n(round(SURVEY_PER_QUARTER * county.population / total), 8)
                count = max(1, round(count * min(1.0, (days + 1) / 91)))
                lift = rng.uniform(-0.15, 0.15)
                for _ in range(count):
                    when = _at(begin + timedelta(days=rng.randint(0, days)), rng.randint(8, 22))
                    when += timedelta(minutes=rng.randrange(60))
                    mean = SURVEY_MEAN[0] + (SURVEY_MEAN[1] - SURVEY_MEAN[0]) * progress + lift
                    scores = {
                        d: max(1, min(5, round(rng.gauss(mean + DIMENSION_OFFSET[d], 0.85))))
                        for d in SURVEY_DIMENSIONS
                    }
                    comment = rng.choice(COMMENTS) if rng.random() < 0.15 else ""
                    if when > self.now:
                        continue  # drawn all the same: the other answers do not depend on it
                    rows.append(
                        SurveyResponse(
                            region=region,
                            comment=comment,
                            client_key=_key(self.seed, "survey", len(rows)),
                            submitted_at=when,
                            **scores,
                        )
                    )
        SurveyResponse.objects.bulk_create(rows, batch_size=2000)
        return len(rows)


def outreach_generate(
    *, seed: int, scale: str, today: date, now: datetime | None = None
) -> dict[str, int]:
    """Generate the demo city's events, bookings and survey answers (row counts)."""
    return OutreachGenerator(seed=seed, scale=scale, today=today, now=now).run()


def outreach_reset() -> dict[str, int]:
    """Remove the demo's events (those no person created) with all their bookings, and the
    demo's bookings and survey answers; what residents and officials made stays."""
    created = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Event), action="create"
    ).values_list("object_id", flat=True)
    demo_events = Event.objects.exclude(pk__in=[int(pk) for pk in created if pk.isdigit()])
    removed: dict[str, int] = {}
    for queryset in (
        Booking.objects.filter(event__in=demo_events),
        demo_events,
        SurveyResponse.objects.filter(client_key__startswith=CLIENT_PREFIX),
    ):
        for label, n in queryset.delete()[1].items():
            if n:
                removed[label] = removed.get(label, 0) + n
    return removed
