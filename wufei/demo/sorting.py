"""The demo city's household sorting (plan tasks 4 and 10): the 389 pilot compounds with their
15.67 万 households (sourced; ``figures.PILOT_*``), one code each, their smart-bin stations with
fixed put-out times, the streets' recyclables and redemption points (两网融合), the sorting
guides with their shifts, station checks and quarterly trainings, a year of drops with the
points they earn, the anti-gaming flags, and a few villages that sort coarsely.

What is generated, and how dense it is (the honest part):

* Every residential compound site of the generated city becomes a ``Community``; the pilot
  ones (``attrs["compounds"][i]["pilot"]``) sort since a day in 2019-2020 and all their
  households are registered (``households`` of the compound in the 社区居民委员会's attrs),
  with codes ``H{site_id:06d}{seq:04d}`` — the codes the smart bins of the IoT simulator send.
  The other compounds do not sort yet: they have a community row (for the registration rate's
  denominator) but no registered households, stations or drops.
* The demo has no village sites; a few villages per rural town are added as communities
  without a site (大类粗分 for a share, most covered by collection), with no households.
* Drops are a *sample*. A household that takes part in a month has one recorded drop in that
  month (``1 + EXTRA_DROP_SHARE`` on average); the other days are not generated (real households
  put waste out almost daily: tens of millions of rows a year at city scale). Monthly
  participation — the share of registered households with a drop in the month — is therefore
  realistic (rising from ``PARTICIPATION[0]`` to ``PARTICIPATION[1]`` through the year, as
  Xiaoshan's 51 % → 95 %), and so are the shares (accuracy, the kitchen share of kilograms),
  while daily and weekly participation, drop counts, kilograms and points are about 1/30 of a
  real pilot's. One drop per participating household and month is the least that keeps the
  monthly figure honest: about 1.4 million drops at city scale, 60 000 at small scale. The
  year is the twelve full months before today's month and today's month up to now; today's
  month has its drops on the days so far (so its month-to-date participation is a real
  pilot's, and its days are busier than the sample's earlier days).
* About a tenth of the drops are registered by the compound's guide, who checks them
  (accuracy rising from about 75 % to 90 %); smart-bin drops are unchecked (``correct`` None)
  and have no ``iot.Deposit`` behind them (the live simulator makes those).
* The anti-gaming checks get something to find: households putting out the same class several
  times minutes apart, weights no household produces, and a guide crediting the same handful of
  households day after day; and a few drops carry codes nobody registered (kept unmatched).

Rows are written in bulk: households, station checks and drops with raw ``executemany``
(Django's ``bulk_create`` takes minutes for a million rows; on SQLite the drop table's indexes
are built once after the load), the rest with ``bulk_create``. Then the
sorting app's own services derive what the nightly jobs would: points
(``wufei.sorting.points.credit_pending``), flags (``wufei.sorting.flags.scan``) and the
community-day rollup (``wufei.sorting.rollup.rebuild``). Everything is drawn from ``seed``.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from wufei.accounts.choices import Role
from wufei.accounts.models import User
from wufei.demo import names
from wufei.demo.figures import COUNTIES, scaled
from wufei.demo.geography import Geography
from wufei.demo.models import GeneratedParty
from wufei.registry.models import Device, Region, Site
from wufei.sorting.models import (
    Attendance,
    Community,
    CommunityDay,
    CommunityKind,
    CommunityScore,
    Drop,
    DropSource,
    EntryKind,
    Flag,
    Guide,
    Household,
    PointsEntry,
    Redemption,
    Shift,
    ShiftStatus,
    Station,
    StationCheck,
    StationKind,
    Training,
)
from wufei.sorting.points import insert_flat, insert_rows, set_balances

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC_OFFSET_S = 8 * 3600  # China has no daylight saving time

# --- magnitudes (all invented unless marked) ------------------------------------------------------
SORTING_SINCE = (date(2019, 7, 1), date(2020, 12, 31))  # the pilot's start (sourced: ~2019-2020)
LATE_REGISTERED = 0.03  # households registered during the year (moved in)
INACTIVE = 0.005  # households that moved away (code kept, no longer active)
CARD_SHARE = 0.6  # households that also hold a card
PHONE_SHARE = 0.4  # households that left a (masked) phone number
HAZARDOUS_POINT_SHARE = 0.35  # pilot compounds with a hazardous-waste point
COMPOUNDS_PER_GUIDE = 2
VOLUNTEER_SHARE = 0.25
VILLAGES_PER_RURAL_TOWN = 3  # at city scale
COARSE_SORTING_SHARE = 0.6
COLLECTION_COVERED_SHARE = 0.9
SCHEDULE = (("07:00", "09:00"), ("18:00", "21:00"))  # 定时定点, varied per station

# Drops: a sample (see the module docstring).
PARTICIPATION = (0.52, 0.90)  # monthly participation, first and last full month of the year
EXTRA_DROP_SHARE = 0.0  # participating household-months with a second recorded drop
PERSISTENCE = 0.9  # share of a household's monthly choice that follows its own propensity
GUIDE_SHARE = 0.10  # drops registered (and checked) by a guide
ACCURACY = (0.75, 0.90)  # among checked drops, first and last month
EVENING_SHARE = 0.55
# Shares of drops per class at the year's start and end (kitchen share of kg ~20 % → ~30 %).
CLASS_SHARES = {
    "kitchen": (0.24, 0.34),
    "recyclable": (0.16, 0.16),
    "hazardous": (0.03, 0.03),
    "other": (0.57, 0.47),
}
CLASS_KG = {"kitchen": 1.0, "recyclable": 1.2, "hazardous": 0.15, "other": 1.3}
CLASS_ORDER = ("kitchen", "recyclable", "hazardous", "other")

# Patterns for the anti-gaming checks, at city scale.
RAPID_REPEAT_HOUSEHOLDS = 40
IMPLAUSIBLE_WEIGHTS = 15
GAMING_GUIDES = 2
# Weights (kg) no household puts out at once, per class: above the flags' per-drop maximum.
IMPLAUSIBLE_KG = {"kitchen": (14.0, 26.0), "other": (19.0, 35.0), "recyclable": (32.0, 48.0)}
UNREGISTERED_DROPS = 120
REDEMPTIONS = 3000
# Points are earned on the sampled drops only (a household's year earns a few dozen), so the
# items are priced to match.
REDEMPTION_ITEMS = (
    ("环保垃圾袋", 10),
    ("抽纸", 15),
    ("香皂", 20),
    ("牙膏", 25),
    ("洗洁精", 30),
    ("洗衣液", 40),
)
TRAINING_TOPICS = (
    "生活垃圾分类标准与投放要求",
    "桶边督导与入户宣传技巧",
    "智能分类设备使用与积分管理",
    "有害垃圾与可回收物的收集和暂存",
)
CHECK_NOTES = {
    "mixed": "发现混投，已现场分拣并宣传。",
    "overflowing": "桶满溢，已通知清运。",
    "dirty": "桶体不洁，已督促保洁。",
    "signage": "标识缺损，已报修。",
}

DROP_COLUMNS = (
    "community_id",
    "station_id",
    "household_id",
    "household_code",
    "source",
    "deposit_id",
    "waste_class",
    "weight_kg",
    "correct",
    "guide_id",
    "photo",
    "dropped_at",
    "recorded_at",
)
HOUSEHOLD_COLUMNS = (
    "community_id",
    "code",
    "card_number",
    "unit",
    "phone_masked",
    "registered_on",
    "is_active",
    "points_balance",
)
CHECK_COLUMNS = (
    "station_id",
    "guide_id",
    "checked_at",
    "bins_clean",
    "overflowing",
    "mixed",
    "signage_ok",
    "score",
    "note",
    "photo",
)
BATCH = 50_000
BULK_CACHE_KIB = 200_000  # SQLite page cache while the drops and the ledger are written


def household_code(site_id: int, seq: int) -> str:
    """The printed code of a household in a compound registered as a site (contract scheme)."""
    return f"H{site_id:06d}{seq:04d}"


def card_number(site_id: int, seq: int) -> str:
    """``XC`` + 10 digits: a bijection of (site, seq), so card numbers never collide."""
    n = site_id * 10_000 + seq
    return f"XC{(n * 7_919_317 + 1_234_567) % 10**10:010d}"


def unit_label(seq: int, floors: int, units: int) -> str:
    """Building, entrance, floor and door of the ``seq``-th household: 3号楼2单元501."""
    per_unit = floors * 2
    building, rest = divmod(seq, per_unit * units)
    unit, rest = divmod(rest, per_unit)
    floor, door = divmod(rest, 2)
    return f"{building + 1}号楼{unit + 1}单元{floor + 1}{door + 1:02d}"


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _local(day: date, minute: int, second: int = 0) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60, second), tzinfo=SHANGHAI)


def _months(start: date, today: date) -> list[tuple[date, date]]:
    """Calendar months from ``start`` (a first day) up to ``today``: (first, last day)."""
    months = []
    first = start
    while first <= today:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        months.append((first, min(following - timedelta(days=1), today)))
        first = following
    return months


@dataclass
class _Compound:
    community: Community
    site: Site
    households: int
    smart_bins: list[Device]
    since: date
    stations: list[Station] = field(default_factory=list)
    hazardous: Station | None = None
    guide: Guide | None = None


class SortingGenerator:
    def __init__(self, *, seed: int, scale: str, today: date, now: datetime | None = None):
        self.seed, self.scale, self.today = seed, scale, today
        if now is None:
            now = timezone.now()
            if timezone.localdate(now) != today:
                now = _local(today, 23 * 60 + 59)
        self.now = now
        self.start = date(today.year - 1, today.month, 1)  # a year of full months, and today's
        self.counts: dict[str, int] = defaultdict(int)
        self.compounds: list[_Compound] = []
        self.streets: dict[int, Region] = {}
        self.recyclables: dict[int, Station] = {}
        self.redemption: dict[int, Station] = {}
        self.gaming: set[int] = set()  # households in the gaming patterns (no redemptions)

    # --- randomness ---------------------------------------------------------------------------
    def rng(self, section: str) -> random.Random:
        return random.Random(f"{self.seed}:sorting:{section}")

    def np_rng(self, section: str) -> np.random.Generator:
        digest = hashlib.sha256(f"{self.seed}:sorting:{section}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "big"))

    def n(self, city_count: int, minimum: int = 1) -> int:
        return scaled(city_count, self.scale, minimum)

    # --- the run ------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        self.communities()
        self.villages()
        self.households()
        self.stations()
        self.guides()
        self.shifts()
        self.checks()
        self.trainings()
        with _bulk_settings():
            self.drops()
            self.derive()
        return {label: n for label, n in self.counts.items() if n}

    # --- places -------------------------------------------------------------------------------
    def communities(self) -> None:
        """A community per compound site, from the committees' attrs (pilot flag, households)."""
        rng = self.rng("communities")
        parties = GeneratedParty.objects.filter(sector="community").order_by("party_id")
        attrs = {g.party_id: g.attrs for g in parties}
        sites = (
            Site.objects.filter(party_id__in=list(attrs), kind="community")
            .select_related("region")
            .order_by("pk")
        )
        bins: dict[int | None, list[Device]] = defaultdict(list)
        for device in Device.objects.filter(
            kind="smart_bin", site__in=sites, is_active=True
        ).order_by("pk"):
            bins[device.site_id].append(device)
        taken: set[tuple[int, str]] = set(Community.objects.values_list("region_id", "name"))
        rows = []
        for site in sites:
            compound = next(
                (c for c in attrs[site.party_id].get("compounds", []) if c["name"] == site.name),
                None,
            )
            if compound is None:
                continue
            pilot = bool(compound.get("pilot"))
            name = site.name
            for suffix in ("", "二区", "三区", "四区", "五区", "东区", "西区", "南区", "北区"):
                if (site.region_id, name + suffix) not in taken:
                    name += suffix
                    break
            else:
                name = f"{name}（{site.pk}）"
            taken.add((site.region_id, name))
            span = (SORTING_SINCE[1] - SORTING_SINCE[0]).days
            since = SORTING_SINCE[0] + timedelta(days=rng.randint(0, span))
            community = Community(
                kind=CommunityKind.COMPOUND,
                name=name,
                region=site.region,
                site=site,
                committee_id=site.party_id,
                households_total=int(compound["households"]),
                is_pilot=pilot,
                sorting_since=since if pilot else None,
                collection_covered=True,
                lon=site.lon,
                lat=site.lat,
            )
            rows.append(community)
            if pilot:
                self.compounds.append(
                    _Compound(community, site, int(compound["households"]), bins[site.pk], since)
                )
                self.streets[site.region_id] = site.region
        Community.objects.bulk_create(rows, batch_size=2000)
        self.counts["sorting.Community"] += len(rows)

    def villages(self) -> None:
        """The demo has no village sites: a few villages per rural town, without a site, sorting
        coarsely (大类粗分) for a share and mostly covered by collection; no households."""
        rng = self.rng("villages")
        geography = Geography()
        rows = []
        taken: set[tuple[int, str]] = set(Community.objects.values_list("region_id", "name"))
        for county in COUNTIES:
            towns = [t for t in geography.towns(county.adcode) if not t.urban]
            count = self.n(VILLAGES_PER_RURAL_TOWN * len(towns), 0) if towns else 0
            for i in range(count):
                town = towns[i % len(towns)]
                name = names.village(rng)
                name = name if name.endswith("村") else name + "村"
                while (town.region.pk, name) in taken:
                    name = names.village(rng) + "村"
                taken.add((town.region.pk, name))
                lon, lat = geography.point(rng, town)
                rows.append(
                    Community(
                        kind=CommunityKind.VILLAGE,
                        name=name,
                        region=town.region,
                        households_total=max(80, round(rng.lognormvariate(math.log(320), 0.4))),
                        coarse_sorting=rng.random() < COARSE_SORTING_SHARE,
                        collection_covered=rng.random() < COLLECTION_COVERED_SHARE,
                        lon=lon,
                        lat=lat,
                    )
                )
        Community.objects.bulk_create(rows, batch_size=2000)
        self.counts["sorting.Community"] += len(rows)

    # --- households -----------------------------------------------------------------------------
    def households(self) -> None:
        """Every household of every pilot compound, registered with its code; a share with a
        card number and a masked phone; the last few registered during the year."""
        rng = self.rng("households")
        year_days = (self.today - self.start).days
        rows = []
        for compound in self.compounds:
            site_id, n = compound.site.pk, compound.households
            since = compound.since
            floors, units = rng.choice((6, 6, 11, 18, 26, 33)), rng.randint(2, 4)
            late = round(n * LATE_REGISTERED)
            for seq in range(n):
                if seq < n - late:
                    registered = since + timedelta(days=min(rng.randint(0, 90), 400))
                else:
                    registered = self.start + timedelta(days=rng.randint(0, year_days))
                phone = ""
                if rng.random() < PHONE_SHARE:
                    phone = (
                        f"1{rng.choice('3578')}{rng.randrange(10)}****{rng.randrange(10**4):04d}"
                    )
                rows.append(
                    (
                        compound.community.pk,
                        household_code(site_id, seq),
                        card_number(site_id, seq) if rng.random() < CARD_SHARE else None,
                        unit_label(seq, floors, units),
                        phone,
                        registered.isoformat(),
                        rng.random() >= INACTIVE,
                        0,
                    )
                )
        _insert(Household, HOUSEHOLD_COLUMNS, rows)
        self.counts["sorting.Household"] += len(rows)

    # --- stations -------------------------------------------------------------------------------
    def stations(self) -> None:
        """Per pilot compound one sorting station per smart bin (fixed times, varied a little),
        a hazardous-waste point in some; per street a recyclables point run by a renewable
        resources collector of the county (两网融合) and a redemption point."""
        rng = self.rng("stations")
        collectors: dict[str, list[int]] = defaultdict(list)
        for party_id, path in (
            GeneratedParty.objects.filter(sector="renewable_collect")
            .order_by("party_id")
            .values_list("party_id", "party__region__path")
        ):
            collectors[_county(path)].append(party_id)
        every_collector = [p for ids in collectors.values() for p in ids]
        rows = []
        for compound in self.compounds:
            community = compound.community
            for i, device in enumerate(compound.smart_bins or [None]):
                schedule = [
                    [_hhmm(_minutes(a) + 30 * rng.choice((-1, 0, 0, 0, 1))), _hhmm(_minutes(b))]
                    for a, b in SCHEDULE
                ]
                if rng.random() < 0.3:
                    schedule[1][1] = "20:30" if rng.random() < 0.5 else "21:30"
                station = Station(
                    kind=StationKind.SORTING,
                    name=f"{community.name}{i + 1}号分类投放点",
                    community=community,
                    region=community.region,
                    device=device,
                    schedule=schedule,
                    lon=_jitter(rng, compound.site.lon),
                    lat=_jitter(rng, compound.site.lat),
                )
                compound.stations.append(station)
                rows.append(station)
            if rng.random() < HAZARDOUS_POINT_SHARE:
                compound.hazardous = Station(
                    kind=StationKind.HAZARDOUS,
                    name=f"{community.name}有害垃圾暂存点",
                    community=community,
                    region=community.region,
                    schedule=[],
                    lon=_jitter(rng, compound.site.lon),
                    lat=_jitter(rng, compound.site.lat),
                )
                rows.append(compound.hazardous)
        first_in_street: dict[int, _Compound] = {}
        for compound in self.compounds:
            first_in_street.setdefault(compound.community.region_id, compound)
        for region_id, compound in sorted(first_in_street.items()):
            street = self.streets[region_id]
            pool = collectors.get(_county(street.path)) or every_collector
            operator = pool[rng.randrange(len(pool))] if pool else None
            self.recyclables[region_id] = Station(
                kind=StationKind.RECYCLABLES,
                name=f"{street.name}可回收物回收点",
                region=street,
                operator_id=operator,
                schedule=[["08:00", "18:00"]],
                lon=_jitter(rng, compound.site.lon, 0.004),
                lat=_jitter(rng, compound.site.lat, 0.004),
            )
            self.redemption[region_id] = Station(
                kind=StationKind.REDEMPTION,
                name=f"{street.name}积分兑换点",
                region=street,
                operator_id=operator,
                schedule=[["09:00", "20:00"]],
                lon=_jitter(rng, compound.site.lon, 0.004),
                lat=_jitter(rng, compound.site.lat, 0.004),
            )
            rows += [self.recyclables[region_id], self.redemption[region_id]]
        Station.objects.bulk_create(rows, batch_size=2000)
        self.counts["sorting.Station"] += len(rows)

    # --- guides ---------------------------------------------------------------------------------
    def guides(self) -> None:
        """About one guide per two pilot compounds of a street, on duty at their stations."""
        rng = self.rng("guides")
        by_street: dict[int, list[_Compound]] = defaultdict(list)
        for compound in self.compounds:
            by_street[compound.community.region_id].append(compound)
        guides, teams = [], []
        for region_id in sorted(by_street):
            compounds = by_street[region_id]
            for i in range(0, len(compounds), COMPOUNDS_PER_GUIDE):
                team = compounds[i : i + COMPOUNDS_PER_GUIDE]
                first = min(c.since for c in team)
                guide = Guide(
                    name=names.person(rng),
                    phone_masked=_phone(rng),
                    region=self.streets[region_id],
                    is_volunteer=rng.random() < VOLUNTEER_SHARE,
                    joined_on=first - timedelta(days=rng.randint(0, 30)),
                )
                guides.append(guide)
                teams.append(team)
        Guide.objects.bulk_create(guides, batch_size=2000)
        through = []
        for guide, team in zip(guides, teams, strict=True):
            for compound in team:
                compound.guide = guide
                for station in [*compound.stations, compound.hazardous]:
                    if station is not None:
                        through.append(Guide.stations.through(guide=guide, station=station))
        Guide.stations.through.objects.bulk_create(through, batch_size=5000)
        self.counts["sorting.Guide"] += len(guides)
        self.counts["sorting.Guide_stations"] += len(through)
        link_guide_login()

    def shifts(self) -> None:
        """Each guide's shifts for the last four weeks, today and the next week: one station per
        put-out time, turn about; past shifts on duty (a few absent), future ones planned."""
        rng = self.rng("shifts")
        rows = []
        teams: dict[int, list[Station]] = defaultdict(list)
        guides: dict[int, Guide] = {}
        for compound in self.compounds:
            if compound.guide is not None:
                teams[compound.guide.pk] += compound.stations
                guides[compound.guide.pk] = compound.guide
        for guide_id in sorted(teams):
            stations = teams[guide_id]
            for offset in range(-28, 8):
                day = self.today + timedelta(days=offset)
                for slot in range(len(SCHEDULE)):
                    station = stations[(offset * 2 + slot) % len(stations)]
                    starts, ends = (_minutes(t) for t in station.schedule[slot])
                    begins = _local(day, starts)
                    status, checked_in = ShiftStatus.PLANNED, None
                    absent, early = rng.random() < 0.04, rng.randint(0, 12)  # whatever the clock
                    if begins <= self.now:
                        status = ShiftStatus.ABSENT if absent else ShiftStatus.ON_DUTY
                        if not absent:
                            checked_in = begins - timedelta(minutes=early)
                    rows.append(
                        Shift(
                            guide_id=guide_id,
                            station=station,
                            day=day,
                            starts=time(starts // 60, starts % 60),
                            ends=time(ends // 60, ends % 60),
                            status=status,
                            checked_in_at=checked_in,
                        )
                    )
        Shift.objects.bulk_create(rows, batch_size=5000)
        self.counts["sorting.Shift"] += len(rows)

    def checks(self) -> None:
        """A weekly check of every sorting station by its guide over the year; the scores rise
        as mixing falls."""
        rng = self.rng("checks")
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        weeks = (self.today - self.start).days // 7 + 1
        for compound in self.compounds:
            for station in compound.stations:
                for week in range(weeks):
                    day = self.start + timedelta(days=week * 7 + rng.randint(0, 6))
                    slot = rng.randrange(len(SCHEDULE))
                    at = _local(day, _minutes(station.schedule[slot][0]) + rng.randint(10, 90))
                    progress = week / max(1, weeks - 1)
                    mixed = rng.random() < 0.25 - 0.17 * progress
                    overflowing = rng.random() < 0.05
                    clean = rng.random() > 0.12 - 0.06 * progress
                    signage = rng.random() > 0.05
                    score = 96 - 15 * mixed - 8 * overflowing - 6 * (not clean) - 5 * (not signage)
                    score = max(40, min(100, round(score - 12 * (1 - progress) + rng.gauss(0, 3))))
                    notes = [
                        CHECK_NOTES[key]
                        for key, found in (
                            ("mixed", mixed),
                            ("overflowing", overflowing),
                            ("dirty", not clean),
                            ("signage", not signage),
                        )
                        if found
                    ]
                    if at > self.now:
                        continue  # drawn all the same: the rows do not depend on the clock
                    rows.append(
                        (
                            station.pk,
                            compound.guide.pk if compound.guide else None,
                            adapt(at),
                            clean,
                            overflowing,
                            mixed,
                            signage,
                            score,
                            "".join(notes),
                            "",
                        )
                    )
        _insert(StationCheck, CHECK_COLUMNS, rows)
        self.counts["sorting.StationCheck"] += len(rows)

    def trainings(self) -> None:
        """A training per county and quarter (宣传引导员专项培训), attended by its guides."""
        rng = self.rng("trainings")
        guides_by_county: dict[str, list[Guide]] = defaultdict(list)
        for guide in {c.guide.pk: c.guide for c in self.compounds if c.guide}.values():
            guides_by_county[_county(self.streets[guide.region_id].path)].append(guide)
        counties = {r.adcode: r for r in Region.objects.filter(adcode__in=list(guides_by_county))}
        sessions, attendance = [], []
        for adcode in sorted(guides_by_county):
            county = counties[adcode]
            for quarter in range(4):
                held = self.start + timedelta(days=quarter * 91 + rng.randint(10, 60))
                if held > self.today:
                    continue
                training = Training(
                    title=f"垃圾分类宣传引导员专项培训：{TRAINING_TOPICS[quarter % 4]}",
                    held_on=held,
                    place=f"{county.name}城市管理局会议室",
                    trainer=f"{rng.choice(names.SURNAMES)}老师（市城市管理局）",
                    region=county,
                    hours=Decimal(rng.choice((2, 2, 3, 4))),
                )
                sessions.append(training)
                for guide in guides_by_county[adcode]:
                    present = rng.random() < 0.92
                    attendance.append(
                        Attendance(
                            training=training,
                            guide=guide,
                            present=present,
                            passed=(rng.random() < 0.95) if present else None,
                        )
                    )
        Training.objects.bulk_create(sessions)
        Attendance.objects.bulk_create(attendance, batch_size=5000)
        self.counts["sorting.Training"] += len(sessions)
        self.counts["sorting.Attendance"] += len(attendance)

    # --- drops ----------------------------------------------------------------------------------
    def drops(self) -> None:
        """The year's sample of drops (see the module docstring), the gaming patterns and the
        unregistered codes, written in time order."""
        compounds = [c for c in self.compounds if c.stations]
        index = {c.community.pk: i for i, c in enumerate(compounds)}
        households = list(
            Household.objects.filter(community_id__in=list(index), is_active=True).values_list(
                "id", "community_id", "code", "registered_on"
            )
        )
        households.sort(key=lambda h: h[0])
        columns = _DropColumns()
        if households:
            self._sample(compounds, index, households, columns)
        self._patterns(compounds, index, households, columns)
        self._unregistered(compounds, columns)
        written = columns.write(self.now)
        self.counts["sorting.Drop"] += written

    def _sample(self, compounds, index, households, columns: _DropColumns) -> None:
        g = self.np_rng("drops")
        hh_id = np.fromiter((h[0] for h in households), dtype=np.int64, count=len(households))
        hh_comp = np.fromiter(
            (index[h[1]] for h in households), dtype=np.int64, count=len(households)
        )
        hh_code = np.array([h[2] for h in households], dtype=object)
        hh_reg = np.fromiter(
            (h[3].toordinal() for h in households), dtype=np.int64, count=len(households)
        )
        propensity = g.random(len(households))
        quality = np.clip(g.normal(0, 0.06, len(compounds)), -0.15, 0.12)
        st_count = np.array([len(c.stations) for c in compounds], dtype=np.int64)
        st_offset = np.concatenate(([0], np.cumsum(st_count)[:-1]))
        stations = [s for c in compounds for s in c.stations]
        st_id = np.array([s.pk for s in stations], dtype=np.int64)
        slots = np.array(
            [[_minutes(t) for slot in s.schedule for t in slot] for s in stations], dtype=np.int64
        )  # morning start, end, evening start, end
        comp_id = np.array([c.community.pk for c in compounds], dtype=np.int64)
        comp_guide = np.array([c.guide.pk if c.guide else 0 for c in compounds], dtype=np.int64)
        months = _months(self.start, self.today)
        full = max(1, len(months) - 2)  # the ramp spans the full months
        parts = []
        for m, (first, last) in enumerate(months):
            # Today's month (up to now) has its full share of households: month-to-date
            # participation as a real pilot's, bar the drops later today (left out on writing).
            progress = min(m / full, 1.0)
            target = PARTICIPATION[0] + (PARTICIPATION[1] - PARTICIPATION[0]) * progress
            p = np.clip(target + quality[hh_comp], 0.05, 0.98)
            eligible = hh_reg <= last.toordinal()
            follows = g.random(len(households)) < PERSISTENCE
            draw = np.where(follows, propensity, g.random(len(households)))
            taking = np.nonzero(eligible & (draw < p))[0]
            k = 1 + (g.random(len(taking)) < EXTRA_DROP_SHARE)
            who = np.repeat(taking, k)
            low = np.maximum(hh_reg[who], first.toordinal())
            day = low + np.floor(g.random(len(who)) * (last.toordinal() - low + 1)).astype(np.int64)
            parts.append((who, day, np.full(len(who), progress)))
        who = np.concatenate([p[0] for p in parts])
        day = np.concatenate([p[1] for p in parts])
        year_share = np.concatenate([p[2] for p in parts])
        n = len(who)
        comp = hh_comp[who]
        station = st_offset[comp] + g.integers(0, 1 << 30, n) % st_count[comp]
        evening = g.random(n) < EVENING_SHARE
        start = np.where(evening, slots[station, 2], slots[station, 0])
        end = np.where(evening, slots[station, 3], slots[station, 1])
        seconds = (start + g.random(n) * (end - start)) * 60
        # Class: cumulative shares moving from the year's start to its end.
        roll = g.random(n)
        waste = np.full(n, len(CLASS_ORDER) - 1, dtype=np.int64)
        upper = np.zeros(n)
        for c, name in enumerate(CLASS_ORDER[:-1]):
            a, b = CLASS_SHARES[name]
            upper = upper + a + (b - a) * year_share
            waste = np.where((roll < upper) & (waste == len(CLASS_ORDER) - 1), c, waste)
        mean_kg = np.array([CLASS_KG[name] for name in CLASS_ORDER])[waste]
        weight = np.clip(np.round(mean_kg * g.lognormal(0, 0.45, n), 2), 0.05, 6.0)
        by_guide = (g.random(n) < GUIDE_SHARE) & (comp_guide[comp] > 0)
        accuracy = np.clip(
            ACCURACY[0] + (ACCURACY[1] - ACCURACY[0]) * year_share + 0.5 * quality[comp], 0.5, 0.98
        )
        correct = g.random(n) < accuracy
        columns.add(
            community=comp_id[comp],
            station=st_id[station],
            household=hh_id[who],
            code=hh_code[who],
            by_guide=by_guide,
            guide=comp_guide[comp],
            waste=waste,
            weight=weight,
            correct=correct,
            at=_epoch(day, seconds.astype(np.int64)),
        )

    def _patterns(self, compounds, index, households, columns: _DropColumns) -> None:
        """Rapid repeats, implausible weights and a guide crediting the same households."""
        rng = self.rng("patterns")
        if not households or not compounds:
            return
        recent = self.today - timedelta(days=60)
        by_comp: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for pk, community_id, code, registered in households:
            if registered <= recent:
                by_comp[index[community_id]].append((pk, code))
        rows: list[tuple] = []  # (comp, station, household, code, guide, class, kg, ok, at)

        def household(r: random.Random) -> tuple[int, int, str]:
            comp = r.randrange(len(compounds))
            while not by_comp[comp]:
                comp = r.randrange(len(compounds))
            pk, code = r.choice(by_comp[comp])
            return comp, pk, code

        def moment(r: random.Random, station: Station, day: date) -> datetime:
            slot = station.schedule[r.randrange(len(station.schedule))]
            return _local(day, r.randint(_minutes(slot[0]), _minutes(slot[1]) - 20))

        for _ in range(self.n(RAPID_REPEAT_HOUSEHOLDS)):
            comp, pk, code = household(rng)
            self.gaming.add(pk)
            station = rng.choice(compounds[comp].stations)
            at = moment(rng, station, recent + timedelta(days=rng.randint(0, 59)))
            waste = rng.choice(("recyclable", "kitchen", "other"))
            for _ in range(rng.randint(3, 5)):
                rows.append((comp, station, pk, code, None, waste, rng.uniform(0.3, 1.2), None, at))
                at += timedelta(seconds=rng.randint(40, 150))
        for _ in range(self.n(IMPLAUSIBLE_WEIGHTS)):
            comp, pk, code = household(rng)
            self.gaming.add(pk)
            station = rng.choice(compounds[comp].stations)
            at = moment(rng, station, recent + timedelta(days=rng.randint(0, 59)))
            waste = rng.choice(tuple(IMPLAUSIBLE_KG))
            kg = rng.uniform(*IMPLAUSIBLE_KG[waste])
            rows.append((comp, station, pk, code, None, waste, kg, None, at))
        guided = [c for c in range(len(compounds)) if compounds[c].guide and by_comp[c]]
        for comp in rng.sample(guided, min(len(guided), self.n(GAMING_GUIDES))):
            # A guide crediting the same few households several times a day for three weeks
            # (each class once a visit, so these are not also rapid repeats).
            compound = compounds[comp]
            favourites = rng.sample(by_comp[comp], min(4, len(by_comp[comp])))
            self.gaming.update(pk for pk, _code in favourites)
            last = self.today - timedelta(days=rng.randint(3, 20))
            for offset in range(21):
                day = last - timedelta(days=offset)
                for pk, code in favourites:
                    station = rng.choice(compound.stations)
                    for slot, waste in ((0, "kitchen"), (1, "recyclable"), (1, "other")):
                        begin, end = (_minutes(t) for t in station.schedule[slot])
                        at = _local(day, rng.randint(begin, end - 1))
                        kg = CLASS_KG[waste] * rng.uniform(0.6, 1.6)
                        rows.append((comp, station, pk, code, compound.guide, waste, kg, True, at))
        columns.add_rows(compounds, rows)

    def _unregistered(self, compounds, columns: _DropColumns) -> None:
        """Codes nobody registered (misprinted cards, a neighbour's old card): kept unmatched."""
        rng = self.rng("unregistered")
        if not compounds:
            return
        rows = []
        for _ in range(self.n(UNREGISTERED_DROPS)):
            comp = rng.randrange(len(compounds))
            compound = compounds[comp]
            code = household_code(compound.site.pk, compound.households + rng.randint(0, 30))
            station = rng.choice(compound.stations)
            day = self.start + timedelta(days=rng.randint(0, (self.today - self.start).days))
            slot = station.schedule[rng.randrange(len(station.schedule))]
            at = _local(day, rng.randint(_minutes(slot[0]), _minutes(slot[1]) - 1))
            waste = rng.choice(CLASS_ORDER)
            kg = CLASS_KG[waste] * rng.lognormvariate(0, 0.4)
            rows.append((comp, station, None, code, None, waste, kg, None, at))
        columns.add_rows(compounds, rows)

    # --- derived: points, redemptions, flags, rollups -------------------------------------------
    def derive(self) -> None:
        from wufei.sorting.flags import scan
        from wufei.sorting.points import credit_pending
        from wufei.sorting.rollup import rebuild

        # The ledger is empty and everything runs in the caller's transaction: its indexes are
        # built once after the three million lines (the partial unique index on drop and rule
        # comes back too, so a drop credited twice would fail loudly here).
        scan(since=None)
        rebuild(start=self.start, end=self.today)
        with _indexes_set_aside(PointsEntry):
            credit_pending(now=self.now, households_per_transaction=None)
        self.redemptions()
        self.counts["sorting.PointsEntry"] = PointsEntry.objects.count()
        self.counts["sorting.Flag"] = Flag.objects.count()
        self.counts["sorting.CommunityDay"] = CommunityDay.objects.count()

    def redemptions(self) -> None:
        """Households spend points at their street's redemption point in the last month, never
        more than the drops before the month had earned them (credits are stamped when they were
        made, so that is counted by the drops' times)."""
        rng = self.rng("redemptions")
        cutoff = _local(self.today - timedelta(days=30), 0)
        households = sorted(
            set(
                Household.objects.filter(is_active=True, points_balance__gt=0).values_list(
                    "pk", flat=True
                )
            )
            - self.gaming
        )
        if not households:
            return
        sample = rng.sample(households, min(len(households), 3 * self.n(REDEMPTIONS)))
        earned = dict(
            PointsEntry.objects.filter(household_id__in=sample, drop__dropped_at__lt=cutoff)
            .values_list("household_id")
            .annotate(total=Sum("delta"))
            .values_list("household_id", "total")
        )
        cheapest = min(points for _item, points in REDEMPTION_ITEMS)
        candidates = sorted(pk for pk, total in earned.items() if total >= cheapest)
        if not candidates:
            return
        chosen = sorted(rng.sample(candidates, min(len(candidates), self.n(REDEMPTIONS))))
        homes = dict(
            Household.objects.filter(pk__in=chosen).values_list("pk", "community__region_id")
        )
        balances = dict(Household.objects.filter(pk__in=chosen).values_list("pk", "points_balance"))
        span = int((self.now - cutoff).total_seconds())
        redemptions, amounts = [], []
        for pk in chosen:
            station = self.redemption.get(homes[pk])
            affordable = [
                (item, points)
                for item, points in REDEMPTION_ITEMS
                if points <= min(earned[pk], balances[pk])
            ]
            if station is None or not affordable:
                continue
            item, points = rng.choice(affordable)
            at = cutoff + timedelta(seconds=rng.randint(0, span))
            redemptions.append(
                Redemption(
                    household_id=pk, station=station, item=item, points=points, redeemed_at=at
                )
            )
            amounts.append(points)
        Redemption.objects.bulk_create(redemptions, batch_size=2000)
        entries = []
        for redemption, points in zip(redemptions, amounts, strict=True):
            pk = redemption.household_id
            balances[pk] -= points
            entries.append(
                PointsEntry(
                    household_id=pk,
                    kind=EntryKind.REDEEM,
                    delta=-points,
                    balance_after=balances[pk],
                    at=redemption.redeemed_at,
                    redemption=redemption,
                    note=redemption.item,
                )
            )
        PointsEntry.objects.bulk_create(entries, batch_size=2000)
        # One prepared UPDATE per household (bulk_update's CASE over 2000 ids is slower).
        set_balances({pk: balances[pk] for pk in sorted({e.household_id for e in entries})})
        self.counts["sorting.Redemption"] += len(redemptions)


class _DropColumns:
    """The drops, column by column (numpy arrays), until they are written in time order."""

    def __init__(self):
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **columns) -> None:
        self.parts.append(columns)

    def add_rows(self, compounds: list[_Compound], rows: list[tuple]) -> None:
        if not rows:
            return
        waste = {name: i for i, name in enumerate(CLASS_ORDER)}
        self.add(
            community=np.array([compounds[r[0]].community.pk for r in rows], dtype=np.int64),
            station=np.array([r[1].pk for r in rows], dtype=np.int64),
            household=np.array([r[2] or 0 for r in rows], dtype=np.int64),
            code=np.array([r[3] for r in rows], dtype=object),
            by_guide=np.array([r[4] is not None for r in rows], dtype=bool),
            guide=np.array([r[4].pk if r[4] is not None else 0 for r in rows], dtype=np.int64),
            waste=np.array([waste[r[5]] for r in rows], dtype=np.int64),
            weight=np.round(np.array([r[6] for r in rows], dtype=float), 2),
            correct=np.array([bool(r[7]) for r in rows], dtype=bool),
            at=np.array([int(r[8].timestamp()) for r in rows], dtype=np.int64),
        )

    def write(self, now: datetime) -> int:
        if not self.parts:
            return 0
        cols = {key: np.concatenate([p[key] for p in self.parts]) for key in self.parts[0]}
        keep = cols["at"] <= int(now.timestamp())
        order = np.argsort(cols["at"][keep], kind="stable")
        cols = {key: value[keep][order] for key, value in cols.items()}
        n = len(cols["at"])
        at = _timestamps(cols["at"])
        by_guide = cols["by_guide"]
        source = np.where(by_guide, DropSource.GUIDE.value, DropSource.SMART_BIN.value).tolist()
        waste = np.array(CLASS_ORDER, dtype=object)[cols["waste"]].tolist()
        household = cols["household"].tolist()
        guide = cols["guide"].tolist()
        correct = cols["correct"].tolist()
        by_guide_list = by_guide.tolist()
        columns = [
            cols["community"].tolist(),
            cols["station"].tolist(),
            [h or None for h in household],
            cols["code"].tolist(),
            source,
            [None] * n,
            waste,
            cols["weight"].tolist(),
            [ok if g else None for ok, g in zip(correct, by_guide_list, strict=True)],
            [gd if g else None for gd, g in zip(guide, by_guide_list, strict=True)],
            [""] * n,
            at,
            at,
        ]
        _insert_columns(Drop, DROP_COLUMNS, columns, rebuild_indexes=n > 100_000)
        return n


def _epoch(day_ordinal: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """UTC epoch seconds of a local (Asia/Shanghai) day ordinal and second of the day."""
    return (day_ordinal - date(1970, 1, 1).toordinal()) * 86_400 + seconds - UTC_OFFSET_S


def _timestamps(epoch: np.ndarray) -> list:
    """Database values for UTC epoch seconds, as Django would write them."""
    text = np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s")
    if connection.vendor == "sqlite":
        return [t.replace("T", " ") for t in text.tolist()]  # (np.char.replace: 3x slower)
    return [f"{t}+00:00" for t in text.tolist()]


@contextmanager
def _bulk_settings():
    """On SQLite, a page cache of ``BULK_CACHE_KIB`` for the block, the previous size
    afterwards: the drops, the ledger and their indexes are written in one transaction, and
    with the default 2 MB cache most index and foreign-key lookups of the load would go to the
    file. (``cache_size`` may change within a transaction; ``synchronous`` and ``temp_store``
    may not.) Elsewhere a no-op."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache_size}")


@contextmanager
def _indexes_set_aside(model, *, when: bool = True):
    """On SQLite, drop the secondary indexes of ``model``'s table for the block and create
    them again afterwards, inside the transaction: loading or emptying a million rows is
    several times faster than keeping seven indexes up to date row by row. (The unique
    constraints' automatic indexes stay: they cannot be dropped.) Elsewhere a no-op."""
    if not when or connection.vendor != "sqlite":
        yield
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL ORDER BY name",
            [model._meta.db_table],
        )
        indexes = list(cursor.fetchall())
        for name, _create in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
    yield
    with connection.cursor() as cursor:
        for _name, create in indexes:
            cursor.execute(create)


def _insert(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) in batches (``insert_rows``)."""
    for start in range(0, len(rows), BATCH):
        insert_rows(model._meta.db_table, columns, rows[start : start + BATCH])


def _insert_columns(
    model, columns: tuple[str, ...], values: list[list], *, rebuild_indexes: bool = False
) -> None:
    """Insert rows given column by column (lists of database values in ``columns`` order),
    interleaved batch by batch into one flat list for ``insert_flat`` (no tuple per row);
    ``rebuild_indexes``: with the indexes set aside meanwhile (``_indexes_set_aside``)."""
    width, n = len(columns), len(values[0]) if values else 0
    with _indexes_set_aside(model, when=rebuild_indexes):
        for start in range(0, n, BATCH):
            size = min(BATCH, n - start)
            flat: list = [None] * (size * width)
            for j, column in enumerate(values):
                flat[j::width] = column[start : start + size]
            insert_flat(model._meta.db_table, columns, flat)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10)}****{rng.randrange(10**4):04d}"


def _county(path: str) -> str:
    parts = path.split("/")
    return parts[1] if len(parts) > 1 else parts[0]


def _jitter(rng: random.Random, value: Decimal | None, degrees: float = 0.0008):
    if value is None:
        return None
    return (value + Decimal(str(round(rng.uniform(-degrees, degrees), 6)))).quantize(
        Decimal("0.000001")
    )


# --- the demo guide's login ---------------------------------------------------------------------


def link_guide_login() -> Guide | None:
    """Bind the demo login ``guide`` (a GUIDE account of a street) to a guide of that street
    without an account, so the guide's pages show a roster, shifts and stations. Idempotent;
    None when the login or a guide of its street is missing (call again after
    ``demo_logins_ensure``)."""
    user = User.objects.filter(username="guide", role=Role.GUIDE).first()
    if user is None or user.region_id is None:
        return None
    existing = Guide.objects.filter(user=user).first()
    if existing is not None:
        return existing
    guide = Guide.objects.filter(region_id=user.region_id, user__isnull=True).order_by("pk").first()
    if guide is None:
        return None
    guide.user = user
    guide.save(update_fields=["user"])
    return guide


# --- entry points -------------------------------------------------------------------------------


def sorting_generate(
    *, seed: int, scale: str, today: date, now: datetime | None = None
) -> dict[str, int]:
    """Generate the demo city's household sorting (see the module docstring); row counts per
    model. Call after the city (its compounds, committees and smart bins) exists."""
    return SortingGenerator(seed=seed, scale=scale, today=today, now=now).run()


def sorting_reset() -> dict[str, int]:
    """Delete every sorting row except the reference data (points rules, the lookup dictionary,
    the assessment schemes), dependants first. Drops and points entries are append-only at the
    model level, so the rows go with raw deletes (no per-row signals; nothing else points at
    them)."""
    removed: dict[str, int] = {}
    for model in (
        CommunityScore,
        CommunityDay,
        Flag,
        PointsEntry,
        Redemption,
        Drop,
        Attendance,
        Training,
        StationCheck,
        Shift,
        Guide.stations.through,
        Guide,
        Station,
        Household,
        Community,
    ):
        queryset = model._base_manager.all()
        # The ledger and the drops are parents of foreign keys, so SQLite deletes them row by
        # row: without their own secondary indexes meanwhile (the children's stay).
        with _indexes_set_aside(model, when=model in (PointsEntry, Drop)):
            count = queryset._raw_delete(queryset.db)
        if count:
            removed[model._meta.label] = count
    return removed
