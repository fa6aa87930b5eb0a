"""A small registry world for the API tests: two counties, towns, parties, and one user per role.

Every row carries its *facts* in plain data (which regions, which parties, which streams,
whether the public may see it), written here by hand next to the row, so the tests can
decide who may see and change it without asking ``restrict``.

Counties: 魏都区 (411002) with towns 西大街道 (411002001) and 北大街道 (411002005); 长葛市
(411082) with towns 和尚桥镇 (411082100) and 坡胡镇 (411082101).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from wufei.accounts.models import Department
from wufei.accounts.tests.factories import UserFactory
from wufei.registry.models import Region, TreatmentMethod, WasteStream
from wufei.registry.tests import factories

CITY, WEIDU, CHANGGE = "411000", "411002", "411082"
WEIDU_XIDA, WEIDU_BEIDA = "411002001", "411002005"
CHANGGE_HESHANG, CHANGGE_POHU = "411082100", "411082101"

PARENT = {
    WEIDU: CITY,
    CHANGGE: CITY,
    WEIDU_XIDA: WEIDU,
    WEIDU_BEIDA: WEIDU,
    CHANGGE_HESHANG: CHANGGE,
    CHANGGE_POHU: CHANGGE,
}

# The streams each bureau regulates, sub-streams spelled out (accounts/departments.py and the
# stream tree of the reference data, restated by hand).
DEPARTMENT_STREAMS = {
    "ecology": {"hazardous", "medical", "industrial", "sludge"},
    "agriculture": {
        "agricultural",
        "agricultural-straw",
        "agricultural-manure",
        "agricultural-film",
        "agricultural-pesticide-packaging",
    },
    "health": {"medical"},
}


def under(adcode: str, ancestor: str) -> bool:
    """Whether region ``adcode`` is ``ancestor`` or lies below it."""
    node: str | None = adcode
    while node is not None:
        if node == ancestor:
            return True
        node = PARENT.get(node)
    return False


@dataclass(frozen=True)
class Facts:
    """What the rule looks at: regions, parties (world keys), streams (codes), publicity."""

    regions: frozenset[str]
    parties: frozenset[str]
    streams: frozenset[str] | None = None  # None: the model has no stream dimension
    public: bool = False


def facts(regions, parties, streams=None, public=False) -> Facts:
    return Facts(
        frozenset(regions),
        frozenset(parties),
        None if streams is None else frozenset(streams),
        public,
    )


@dataclass
class World:
    rows: dict[str, dict[str, tuple[object, Facts]]] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)

    def add(self, endpoint: str, key: str, obj, row_facts: Facts):
        self.rows.setdefault(endpoint, {})[key] = (obj, row_facts)
        return obj

    def obj(self, endpoint: str, key: str):
        return self.rows[endpoint][key][0]

    def party(self, key: str):
        return self.obj("parties", key)


def region(adcode: str) -> Region:
    return Region.objects.get(adcode=adcode)


def point_in(adcode: str) -> tuple[Decimal, Decimal]:
    """Coordinates inside ``adcode`` (the centre of its county, which lies inside it)."""
    county = region(adcode).county
    return county.center_lon, county.center_lat


def stream(code: str) -> WasteStream:
    return WasteStream.objects.get(code=code)


def method(code: str) -> TreatmentMethod:
    return TreatmentMethod.objects.get(code=code)


@transaction.atomic
def build_world() -> World:
    w = World()

    # --- parties: where registered, and (for X) a site in the other county ------------------
    party_specs = {
        "A": ("企业甲", WEIDU_XIDA, {"is_generator": True}),
        "T": ("运输企业", WEIDU, {"is_transporter": True}),
        "B": ("危废处置企业", CHANGGE, {"is_receiver": True}),
        "X": ("跨区企业", CHANGGE_HESHANG, {"is_generator": True}),
        "D": ("农业合作社", CHANGGE_POHU, {"is_generator": True}),
        "M": ("医废处置中心", WEIDU, {"is_receiver": True}),
    }
    site_specs = {
        "sA": ("A", WEIDU_XIDA, "factory"),
        "sT": ("T", WEIDU, "depot"),
        "sB": ("B", CHANGGE_HESHANG, "treatment"),
        "sX1": ("X", WEIDU_BEIDA, "factory"),
        "sX2": ("X", CHANGGE_HESHANG, "factory"),
        "sD": ("D", CHANGGE_POHU, "farm"),
        "sM": ("M", WEIDU, "treatment"),
    }
    party_regions = {k: {adcode} for k, (_, adcode, _) in party_specs.items()}
    for party_key, adcode, _ in site_specs.values():
        party_regions[party_key].add(adcode)
    parties = {}
    for key, (name, adcode, roles) in party_specs.items():
        parties[key] = factories.PartyFactory(name=name, region=region(adcode), **roles)
        w.add("parties", key, parties[key], facts(party_regions[key], {key}))

    sites = {}
    for key, (party_key, adcode, kind) in site_specs.items():
        lon, lat = point_in(adcode)
        sites[key] = factories.SiteFactory(
            party=parties[party_key], region=region(adcode), kind=kind, lon=lon, lat=lat
        )
        w.add("sites", key, sites[key], facts({adcode}, {party_key}))

    # --- facilities and their capacities (streams) -------------------------------------------
    facility_specs = {
        "fB": ("sB", "hazardous", "operating", [("cB", "hazardous", "D10")]),
        "fB2": (
            "sB",
            "general_industrial",
            "operating",
            [("cB2h", "hazardous", "R4"), ("cB2a", "agricultural-film", "G-REC")],
        ),
        "fM": ("sM", "medical", "operating", [("cM", "medical", "D9")]),
        "fD": ("sD", "straw", "operating", [("cD", "agricultural-straw", "G-FUEL")]),
        "fA": ("sA", "general_industrial", "planned", [("cA", "industrial", "R5")]),
        "fX": ("sX1", "transfer", "operating", []),
        "fT": ("sT", "transfer", "operating", [("cT", "household", "G-TRANSFER")]),
        "fX2": ("sX2", "sludge", "suspended", [("cX2", "sludge", "G-SLUDGE")]),
    }
    for key, (site_key, kind, status, capacities) in facility_specs.items():
        site_obj = sites[site_key]
        site_facts = w.rows["sites"][site_key][1]
        facility = factories.FacilityFactory(site=site_obj, kind=kind, status=status)
        w.add(
            "facilities",
            key,
            facility,
            facts(
                site_facts.regions,
                site_facts.parties,
                {s for _, s, _ in capacities},
                public=status == "operating",
            ),
        )
        for cap_key, stream_code, method_code in capacities:
            capacity = factories.CapacityFactory(
                facility=facility, stream=stream(stream_code), method=method(method_code)
            )
            w.add(
                "capacities",
                cap_key,
                capacity,
                facts(
                    site_facts.regions,
                    site_facts.parties,
                    {stream_code},
                    public=status == "operating",
                ),
            )

    # --- permits: their region is the holder's registered region -----------------------------
    permit_specs = {
        "pB": ("B", "hazardous", "hw_operation", "fB"),
        "pM": ("M", "medical", "mw_operation", None),
        "pD": ("D", "agricultural", "renewable_record", None),
        "pA": ("A", "industrial", "discharge", None),
        "pX": ("X", "sludge", "msw_service", None),
        "pT": ("T", "hazardous", "dg_transport", None),
    }
    for key, (party_key, stream_code, kind, facility_key) in permit_specs.items():
        permit = factories.PermitFactory(
            party=parties[party_key],
            stream=stream(stream_code),
            kind=kind,
            facility=w.obj("facilities", facility_key) if facility_key else None,
        )
        w.add(
            "permits",
            key,
            permit,
            facts({party_specs[party_key][1]}, {party_key}, {stream_code}),
        )

    # --- vehicles and devices -----------------------------------------------------------------
    for key, party_key in (("vT1", "T"), ("vT2", "T"), ("vB", "B"), ("vA", "A")):
        vehicle = factories.VehicleFactory(party=parties[party_key])
        w.add("vehicles", key, vehicle, facts({party_specs[party_key][1]}, {party_key}))

    device_specs = {
        "dT": ("T", "gps", None),
        "dB": ("B", "weighbridge", "sB"),
        "dX": ("X", "weighbridge", "sX1"),
        "dA": ("A", "smart_bin", "sA"),
        "dD": ("D", "gps", None),
    }
    for key, (party_key, kind, site_key) in device_specs.items():
        device = factories.DeviceFactory(
            party=parties[party_key], kind=kind, site=sites[site_key] if site_key else None
        )
        regions = {party_specs[party_key][1]}
        if site_key:
            regions.add(site_specs[site_key][1])
        w.add("devices", key, device, facts(regions, {party_key}))

    # --- one user per role ---------------------------------------------------------------------
    department = {d.code: d for d in Department.objects.all()}
    user_specs = {
        "admin": {"role": "admin", "is_superuser": True, "is_staff": True},
        "city": {"role": "city"},
        "county": {"role": "county", "region": region(WEIDU)},
        "ecology": {"role": "department", "department": department["ecology"]},
        "agriculture": {"role": "department", "department": department["agriculture"]},
        "health": {"role": "department", "department": department["health"]},
        "ecology_county": {
            "role": "department",
            "department": department["ecology"],
            "region": region(CHANGGE),
        },
        "enterprise": {"role": "enterprise", "party": parties["A"]},
        "driver": {"role": "driver", "party": parties["T"]},
        "guide": {"role": "guide", "region": region(WEIDU_XIDA)},
        "public": {"role": "public"},
    }
    for name, spec in user_specs.items():
        w.users[name] = UserFactory(username=f"matrix-{name}", **spec)
    w.users["anonymous"] = None
    return w
