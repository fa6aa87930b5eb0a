"""Collects the generated registry rows in memory, checks each one, then writes them in bulk.

Each row is checked as the registry's services would check it: field validation (credit code
check characters, plate format, decimals, choices), the model's own ``clean`` (a site's
coordinates inside its county polygon, a fixed device at a site, a vehicle's terminal
owned by the same party, a permit's facility owned by its holder), the permit's coverage
rule (every listed code or category inside the permit's stream), and uniqueness against
the rows already generated and already in the database. Foreign-key existence checks are
left out (one query a row): every parent is a row this builder just wrote. The database
then enforces its own constraints when the batches are inserted.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import models

from wufei.demo import names
from wufei.demo.figures import OPERATING_DAYS, VEHICLES
from wufei.demo.geography import Geography, Town
from wufei.demo.models import GeneratedParty, Generation
from wufei.registry.models import (
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Site,
    TreatmentMethod,
    Vehicle,
    WasteCategory,
    WasteCode,
    WasteStream,
)
from wufei.registry.services import check_permit_coverage
from wufei.registry.validators import make_credit_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 1000
ORDER: tuple[type[models.Model], ...] = (
    Party,
    Site,
    Facility,
    FacilityCapacity,
    Device,
    Vehicle,
    Permit,
)
TONNE = Decimal("0.001")


@dataclass(frozen=True)
class Cap:
    """A capacity: stream code, method code, and t/d or t/yr (the other is derived)."""

    stream: str
    method: str
    per_day: Decimal | int | None = None
    per_year: Decimal | int | None = None
    source: str = ""

    def tonnes(self) -> tuple[Decimal, Decimal]:
        if self.per_day is not None:
            per_day = Decimal(self.per_day)
            return per_day.quantize(TONNE), (per_day * OPERATING_DAYS).quantize(TONNE)
        per_year = Decimal(self.per_year)
        return (per_year / OPERATING_DAYS).quantize(TONNE), per_year.quantize(TONNE)


@dataclass(frozen=True)
class PermitSpec:
    kind: str
    stream: str
    codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    annual_tonnes: int | None = None


# Number formats (invented, except the discharge permit: credit code + sequence + "P").
PERMIT_NUMBERS = {
    "hw_operation": "豫环许可危废字{n:03d}号",
    "hw_collection": "许环危收字〔{year}〕{n:02d}号",
    "mw_operation": "许环医废字〔{year}〕{n:02d}号",
    "dg_transport": "豫交运管许可许字411000{n:06d}号",
    "msw_service": "许城管垃收字〔{year}〕{n:03d}号",
    "kitchen_waste": "许城管餐厨字〔{year}〕{n:02d}号",
    "cw_transport": "许城管建运字〔{year}〕{n:03d}号",
    "cw_disposal": "许城管建处字〔{year}〕{n:02d}号",
    "renewable_record": "许商再生备字〔{year}〕{n:04d}号",
    "battery_collection": "豫环铅蓄收字〔{year}〕{n:03d}号",
}
PERMIT_ISSUERS = {
    "hw_operation": "河南省生态环境厅",
    "hw_collection": "许昌市生态环境局",
    "mw_operation": "许昌市生态环境局",
    "dg_transport": "许昌市交通运输局",
    "discharge": "许昌市生态环境局",
    "msw_service": "许昌市城市管理局",
    "kitchen_waste": "许昌市城市管理局",
    "cw_transport": "许昌市城市管理局",
    "cw_disposal": "许昌市城市管理局",
    "renewable_record": "许昌市商务局",
    "battery_collection": "河南省生态环境厅",
}
# Permits come as renewal chains, as licences do: the first issued between FIRST_ISSUE and
# PILOT_START (so every licence is in force during the 2019-2020 pilot the demo tells), each
# renewal starting the day after its predecessor ends, until a term reaches HORIZON. A few
# chains lapse (not renewed) after 2021 and a few current licences are suspended, so the
# registry holds expired, expiring, suspended and future (renewal already granted) licences.
PERMIT_TERM_YEARS = {"dg_transport": 4, "cw_transport": 2}
DEFAULT_TERM_YEARS = 5
FIRST_ISSUE = date(2015, 1, 1)
PILOT_START = date(2019, 1, 1)
LAPSE_AFTER = date(2021, 1, 1)
HORIZON = date(2030, 12, 31)
LAPSE_SHARE = 0.04
SUSPENDED_SHARE = 0.01
DEVICE_MODELS = {
    "weighbridge": ("SCS-80 电子汽车衡", "SCS-100 电子汽车衡", "SCS-120 电子汽车衡"),
    "gps": ("JT/T 808 北斗/GPS 车载终端",),
    "bin_sensor": ("US-20 超声波满溢传感器",),
    "smart_bin": ("四分类智能回收箱", "可回收物智能回收箱"),
}
DEVICE_PREFIX = {"weighbridge": "WB", "bin_sensor": "BS", "smart_bin": "SB"}


def day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Catalogue:
    """The loaded code lists, looked up by code."""

    def __init__(self):
        self.streams = {s.code: s for s in WasteStream.objects.all()}
        self.methods = {m.code: m for m in TreatmentMethod.objects.all()}
        self.categories: dict[str, list[WasteCategory]] = {}
        for category in WasteCategory.objects.select_related("stream"):
            self.categories.setdefault(category.code, []).append(category)
        self.codes: dict[str, list[WasteCode]] = {}
        for code in WasteCode.objects.select_related("category", "category__stream"):
            self.codes.setdefault(code.code, []).append(code)

    @staticmethod
    def _valid(rows, key: str, start: date, end: date):
        """The newest version of ``key`` in force during ``start``..``end`` (the registry's
        rule for a permit's codes, ``services.resolve_waste_codes``)."""
        valid = [r for r in rows.get(key, ()) if r.is_valid_during(start, end)]
        if not valid:
            raise LookupError(f"{key} is not in the loaded catalogue during {start}..{end}")
        return max(valid, key=lambda r: r.valid_from or date.min)

    def in_force_from(self, key: str) -> date:
        """The first day any version of code or category ``key`` is in force."""
        rows = [*self.codes.get(key, ()), *self.categories.get(key, ())]
        return min((r.valid_from or date.min for r in rows), default=date.min)

    def code(self, code: str, start: date, end: date) -> WasteCode:
        return self._valid(self.codes, code, start, end)

    def category(self, code: str, start: date, end: date) -> WasteCategory:
        return self._valid(self.categories, code, start, end)


class Builder:
    """Rows of one generation, in memory until :meth:`write`."""

    def __init__(self, generation: Generation, geography: Geography):
        self.generation = generation
        self.geography = geography
        self.catalogue = Catalogue()
        self.rows: dict[type[models.Model], list[models.Model]] = {m: [] for m in ORDER}
        self.links: list[GeneratedParty] = []
        self.permit_codes: list[tuple[Permit, list[WasteCode]]] = []
        self.permit_categories: list[tuple[Permit, list[WasteCategory]]] = []
        self.credit_codes = set(Party.objects.values_list("credit_code", flat=True))
        self.plates = set(Vehicle.objects.values_list("plate", flat=True))
        self.serials = set(Device.objects.values_list("serial", flat=True))
        self.permit_numbers = set(Permit.objects.values_list("kind", "number", "valid_from"))
        self.party_names = set(Party.objects.values_list("name", flat=True))
        self.counters: dict[str, int] = {}

    # --- helpers ------------------------------------------------------------------------------
    def next(self, key: str) -> int:
        self.counters[key] = self.counters.get(key, 0) + 1
        return self.counters[key]

    def unique_name(self, rng: random.Random, make) -> str:
        """A party name not used yet: retry the recipe, then number it."""
        for _ in range(12):
            name = make(rng)
            if name not in self.party_names:
                break
        base, n = name, 1
        while name in self.party_names:
            n += 1
            name = f"{base}（{n}）"
        self.party_names.add(name)
        return name

    def credit_code(self, rng: random.Random, adcode: str, kind: str) -> str:
        while True:
            code = make_credit_code(adcode, rng.randrange(10**7, 10**8), kind)
            if code not in self.credit_codes:
                self.credit_codes.add(code)
                return code

    # --- rows ---------------------------------------------------------------------------------
    def party(
        self,
        rng: random.Random,
        *,
        sector: str,
        name: str,
        town: Town,
        credit: str = "91",
        roles: Iterable[str] = ("generator",),
        industry: str = "",
        industry_code: str = "",
        small_micro: bool = False,
        attrs: dict | None = None,
    ) -> Party:
        party = Party(
            name=name,
            credit_code=self.credit_code(rng, town.county.adcode, credit),
            region=town.region,
            address=names.address(rng, town.county.name, town.county.adcode, town.name, town.urban),
            industry_code=industry_code,
            industry=industry,
            is_small_micro=small_micro,
            contact_name=names.person(rng),
            contact_phone=names.mobile(rng),
            created_at=datetime(2020, 1, 1, 9, tzinfo=SHANGHAI)
            + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)),
        )
        for role in roles:
            setattr(party, f"is_{role}", True)
        self.party_names.add(name)
        self.rows[Party].append(party)
        self.links.append(
            GeneratedParty(
                generation=self.generation, party=party, sector=sector, attrs=attrs or {}
            )
        )
        return party

    def site(
        self,
        rng: random.Random,
        *,
        party: Party,
        name: str,
        kind: str,
        town: Town,
        near: tuple[float, float] | None = None,
        spread_km: float | None = None,
    ) -> Site:
        lon, lat = self.geography.point(rng, town, near=near, spread_km=spread_km)
        site = Site(
            party=party,
            name=name,
            kind=kind,
            region=town.region,
            address=party.address
            if name == party.name
            else names.address(rng, town.county.name, town.county.adcode, town.name, town.urban),
            lon=lon,
            lat=lat,
        )
        self.rows[Site].append(site)
        return site

    def facility(
        self,
        *,
        site: Site,
        name: str,
        kind: str,
        capacities: Iterable[Cap],
        status: str = "operating",
        commissioned: date | None = None,
        note: str = "",
    ) -> Facility:
        facility = Facility(
            site=site, name=name, kind=kind, status=status, commissioned_on=commissioned, note=note
        )
        self.rows[Facility].append(facility)
        for cap in capacities:
            per_day, per_year = cap.tonnes()
            self.rows[FacilityCapacity].append(
                FacilityCapacity(
                    facility=facility,
                    stream=self.catalogue.streams[cap.stream],
                    method=self.catalogue.methods[cap.method],
                    tonnes_per_day=per_day,
                    tonnes_per_year=per_year,
                    valid_from=commissioned,
                    source=cap.source,
                )
            )
        return facility

    def device(
        self, rng: random.Random, *, party: Party, kind: str, site: Site | None = None
    ) -> Device:
        if kind == "gps":
            serial = names.imei(rng)
            while serial in self.serials:
                serial = names.imei(rng)
        else:
            adcode = (site.region if site else party.region).adcode[:6]
            serial = f"{DEVICE_PREFIX[kind]}{adcode}{self.next(f'device:{kind}'):06d}"
        self.serials.add(serial)
        device = Device(
            party=party,
            kind=kind,
            serial=serial,
            site=site,
            model_name=rng.choice(DEVICE_MODELS[kind]),
            installed_on=day_between(rng, date(2020, 1, 1), date(2023, 12, 31)),
        )
        self.rows[Device].append(device)
        return device

    def vehicle(self, rng: random.Random, *, party: Party, spec: str) -> Vehicle:
        """A vehicle of ``party`` built to ``spec`` (a key of ``figures.VEHICLES``), with its
        GPS terminal bound."""
        kind, (low, high), volume, sealed, hazmat = VEHICLES[spec]
        plate = names.plate(rng)
        while plate in self.plates:
            plate = names.plate(rng)
        self.plates.add(plate)
        vehicle = Vehicle(
            party=party,
            plate=plate,
            kind=kind,
            load_kg=Decimal(rng.randrange(low, high + 1, 100)),
            volume_m3=Decimal(rng.randint(*volume)) if volume else None,
            is_sealed=sealed,
            is_hazmat_certified=hazmat,
            gps_device=self.device(rng, party=party, kind="gps"),
        )
        self.rows[Vehicle].append(vehicle)
        return vehicle

    def permit(
        self,
        rng: random.Random,
        *,
        party: Party,
        spec: PermitSpec,
        facility: Facility | None = None,
        number: str | None = None,
    ) -> list[Permit]:
        """The chain of permits ``party`` holds under ``spec``, oldest first (see HORIZON)."""
        years = PERMIT_TERM_YEARS.get(spec.kind, DEFAULT_TERM_YEARS)
        # A first term must reach into the validity of the lists its codes come from.
        listed_from = max(
            map(self.catalogue.in_force_from, (*spec.codes, *spec.categories)), default=date.min
        )
        earliest = FIRST_ISSUE
        if listed_from > date.min:
            earliest = max(earliest, add_years(listed_from, -years) + timedelta(days=1))
        valid_from = day_between(rng, earliest, PILOT_START)
        if facility is not None and facility.commissioned_on:
            valid_from = max(valid_from, facility.commissioned_on)
        renumber = number is None and "{year}" in PERMIT_NUMBERS[spec.kind]
        chain: list[Permit] = []
        while valid_from <= HORIZON:
            if number is None or renumber:
                number = PERMIT_NUMBERS[spec.kind].format(
                    n=self.next(f"permit:{spec.kind}"), year=valid_from.year
                )
            valid_to = add_years(valid_from, years) - timedelta(days=1)
            chain.append(self._permit(party, spec, facility, number, valid_from, valid_to))
            if valid_to >= LAPSE_AFTER and rng.random() < LAPSE_SHARE:
                break  # not renewed: the licence lapses
            valid_from = valid_to + timedelta(days=1)
        if rng.random() < SUSPENDED_SHARE:
            chain[-1].status = "suspended"
        return chain

    def _permit(self, party, spec, facility, number, valid_from, valid_to) -> Permit:
        if (spec.kind, number, valid_from) in self.permit_numbers:
            raise ValueError(f"permit number {number} from {valid_from} is already taken")
        self.permit_numbers.add((spec.kind, number, valid_from))
        permit = Permit(
            party=party,
            facility=facility,
            kind=spec.kind,
            number=number,
            issuer=PERMIT_ISSUERS[spec.kind],
            stream=self.catalogue.streams[spec.stream],
            annual_tonnes=Decimal(spec.annual_tonnes) if spec.annual_tonnes else None,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        codes = [self.catalogue.code(c, valid_from, valid_to) for c in spec.codes]
        categories = [self.catalogue.category(c, valid_from, valid_to) for c in spec.categories]
        check_permit_coverage(permit, codes, categories)
        self.rows[Permit].append(permit)
        if codes:
            self.permit_codes.append((permit, codes))
        if categories:
            self.permit_categories.append((permit, categories))
        return permit

    # --- writing ------------------------------------------------------------------------------
    @staticmethod
    def check(obj: models.Model) -> None:
        """Validate one row before it is inserted (see the module docstring)."""
        # Bind the ids of parents inserted by an earlier batch (what bulk_create does itself).
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        relations = [f.name for f in obj._meta.concrete_fields if f.is_relation]
        obj.full_clean(exclude=relations, validate_unique=False, validate_constraints=False)

    def write(self) -> dict[str, int]:
        """Check and insert every row, parents first; return the row count per model."""
        counts: dict[str, int] = {}
        for model in ORDER:
            rows = self.rows[model]
            for obj in rows:
                self.check(obj)
            model.objects.bulk_create(rows, batch_size=BATCH)
            counts[model._meta.label] = len(rows)
        for field, pairs in (
            ("waste_codes", self.permit_codes),
            ("categories", self.permit_categories),
        ):
            through = getattr(Permit, field).through
            target = getattr(Permit, field).field.m2m_reverse_field_name()
            links = [
                through(**{"permit_id": permit.pk, f"{target}_id": item.pk})
                for permit, items in pairs
                for item in items
            ]
            through.objects.bulk_create(links, batch_size=BATCH)
            counts[f"registry.Permit.{field}"] = len(links)
        for link in self.links:
            link.party_id = link.party.pk
        GeneratedParty.objects.bulk_create(self.links, batch_size=BATCH)
        counts[GeneratedParty._meta.label] = len(self.links)
        return counts
