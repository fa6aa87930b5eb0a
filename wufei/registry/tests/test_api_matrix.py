"""Every role × every registry endpoint × every action, each cell its own test (NetBox style).

The expected outcome comes from the oracle below: plain Python over the facts ``world.py``
wrote next to each row (its regions, parties, streams, publicity). It restates the access
rule of docs/api.md in those terms and never calls ``restrict``, so a change in the scoping
code that breaks the rule fails here. The same table is in docs/api.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from wufei.core.models import ChangeLog
from wufei.registry.models import (
    CodeList,
    Region,
    TreatmentMethod,
    WasteCategory,
    WasteCode,
    WasteStream,
)
from wufei.registry.tests.world import (
    CHANGGE,
    CHANGGE_HESHANG,
    CHANGGE_POHU,
    DEPARTMENT_STREAMS,
    WEIDU,
    WEIDU_BEIDA,
    WEIDU_XIDA,
    Facts,
    World,
    facts,
    point_in,
    under,
)
from wufei.registry.validators import make_credit_code

pytestmark = pytest.mark.django_db

# --- the oracle --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleSpec:
    """Who a role is, in world terms."""

    sees: str  # "all", "region", "department", "party", "public"
    writes: bool = False
    region: str | None = None
    streams: frozenset[str] = frozenset()
    party: str | None = None
    authenticated: bool = True


ROLES: dict[str, RoleSpec] = {
    "admin": RoleSpec("all", writes=True),
    "city": RoleSpec("all", writes=True),
    "county": RoleSpec("region", writes=True, region=WEIDU),
    "ecology": RoleSpec(
        "department", writes=True, streams=frozenset(DEPARTMENT_STREAMS["ecology"])
    ),
    "agriculture": RoleSpec(
        "department", writes=True, streams=frozenset(DEPARTMENT_STREAMS["agriculture"])
    ),
    "health": RoleSpec("department", writes=True, streams=frozenset(DEPARTMENT_STREAMS["health"])),
    "ecology_county": RoleSpec(
        "department",
        writes=True,
        streams=frozenset(DEPARTMENT_STREAMS["ecology"]),
        region=CHANGGE,
    ),
    "enterprise": RoleSpec("party", writes=True, party="A"),
    "driver": RoleSpec("party", party="T"),
    "guide": RoleSpec("region", region=WEIDU_XIDA),
    "public": RoleSpec("public"),
    "anonymous": RoleSpec("public", authenticated=False),
}

SCOPED = ["parties", "sites", "facilities", "capacities", "permits", "vehicles", "devices"]
STREAM_ENDPOINTS = {"facilities", "capacities", "permits"}  # rows that belong to streams
PUBLIC_ENDPOINTS = {"facilities", "capacities"}  # what the public may see at all
HOLDER_READ_ONLY = {"permits"}  # an enterprise reads its permits; the authority writes them

REFERENCE: dict[str, tuple[type, str]] = {
    "regions": (Region, "adcode"),
    "code-lists": (CodeList, "pk"),
    "waste-streams": (WasteStream, "pk"),
    "waste-categories": (WasteCategory, "pk"),
    "waste-codes": (WasteCode, "pk"),
    "treatment-methods": (TreatmentMethod, "pk"),
}
ENDPOINTS = SCOPED + list(REFERENCE)
ACTIONS = [
    "list",
    "retrieve_in",
    "retrieve_out",
    "create_in",
    "create_out",
    "update_in",
    "update_out",
]


def in_region(role: RoleSpec, f: Facts) -> bool:
    return any(under(r, role.region) for r in f.regions)


def may_view(role: RoleSpec, endpoint: str, f: Facts) -> bool:
    if role.sees == "all":
        return True
    if role.sees == "region":
        return in_region(role, f)
    if role.sees == "department":
        # A bureau sees its streams' rows; rows without a stream (parties, sites, vehicles,
        # devices) are shared by all bureaus. A county bureau only inside its county.
        streams_ok = endpoint not in STREAM_ENDPOINTS or bool(f.streams & role.streams)
        return streams_ok and (role.region is None or in_region(role, f))
    if role.sees == "party":
        return role.party in f.parties
    return endpoint in PUBLIC_ENDPOINTS and f.public


def may_write(role: RoleSpec, endpoint: str, f: Facts) -> bool:
    if not role.writes:
        return False
    if role.sees == "department" and endpoint not in STREAM_ENDPOINTS:
        return False  # bureaus change stream rows only
    if role.sees == "party" and endpoint in HOLDER_READ_ONLY:
        return False
    return may_view(role, endpoint, f)


def gate(role: RoleSpec, endpoint: str, write: bool) -> bool:
    """Whether the role may read (or write) *any* row of the endpoint at all."""
    if not write:
        return role.sees != "public" or endpoint in PUBLIC_ENDPOINTS
    if not role.writes:
        return False
    if role.sees == "department":
        return endpoint in STREAM_ENDPOINTS
    if role.sees == "party":
        return endpoint not in HOLDER_READ_ONLY
    return True


def refused(role: RoleSpec) -> tuple[int, str]:
    return (403, "not_permitted") if role.authenticated else (401, "not_authenticated")


# --- what a create sends: candidates with the facts of the row they would make -------------

_unique = count(700_000)
NEW = "new"  # the party key of a party being created
MISSING_ID = 2_000_000_000


@dataclass(frozen=True)
class Candidate:
    """A row to create: its facts, the rows it references, and the request body."""

    facts: Facts
    refs: tuple[tuple[str, str], ...]  # (endpoint, key) the body points to
    ref_field: str | None
    body: Callable[[World], dict]


def _site_body(party: str, adcode: str) -> Callable[[World], dict]:
    def body(w: World) -> dict:
        lon, lat = point_in(adcode)
        return {
            "party": w.party(party).pk,
            "name": f"新场所{next(_unique)}",
            "kind": "factory",
            "region": adcode,
            "lon": str(lon),
            "lat": str(lat),
        }

    return body


def _party_candidate(adcode: str) -> Candidate:
    return Candidate(
        facts({adcode}, {NEW}),
        (),
        "region",
        lambda w: {
            "name": f"新单位{next(_unique)}",
            "credit_code": make_credit_code(adcode, next(_unique)),
            "region": adcode,
            "is_generator": True,
        },
    )


def _site_candidate(party: str, adcode: str) -> Candidate:
    return Candidate(
        facts({adcode}, {party}), (("parties", party),), "party", _site_body(party, adcode)
    )


def _facility_candidate(site: str, party: str, adcode: str) -> Candidate:
    return Candidate(
        facts({adcode}, {party}, set()),
        (("sites", site),),
        "site",
        lambda w: {
            "site": w.obj("sites", site).pk,
            "name": f"新设施{next(_unique)}",
            "kind": "general_industrial",
            "status": "planned",
        },
    )


def _capacity_candidate(facility: str, party: str, adcode: str, stream: str) -> Candidate:
    return Candidate(
        facts({adcode}, {party}, {stream}),
        (("facilities", facility),),
        "facility",
        lambda w: {
            "facility": w.obj("facilities", facility).pk,
            "stream": stream,
            "method": "G-STORE",
            "tonnes_per_day": "12.500",
            "tonnes_per_year": "4000",
        },
    )


def _permit_candidate(party: str, adcode: str, stream: str) -> Candidate:
    return Candidate(
        facts({adcode}, {party}, {stream}),
        (("parties", party),),
        "party",
        lambda w: {
            "party": w.party(party).pk,
            "kind": "discharge",
            "number": f"许可{next(_unique)}",
            "issuer": "许昌市生态环境局",
            "stream": stream,
            "valid_from": "2024-01-01",
            "valid_to": "2028-12-31",
        },
    )


def _vehicle_candidate(party: str, adcode: str) -> Candidate:
    return Candidate(
        facts({adcode}, {party}),
        (("parties", party),),
        "party",
        lambda w: {
            "party": w.party(party).pk,
            "plate": f"豫KD{next(_unique) % 100000:05d}",  # 8 characters: never a factory plate
            "kind": "compactor",
            "load_kg": "8000",
        },
    )


def _device_candidate(party: str, regions: set[str], site: str | None = None) -> Candidate:
    return Candidate(
        facts(regions, {party}),
        (("parties", party),) + ((("sites", site),) if site else ()),
        "party",
        lambda w: {
            "party": w.party(party).pk,
            "kind": "weighbridge" if site else "gps",
            "serial": f"DEV{next(_unique)}",
            "site": w.obj("sites", site).pk if site else None,
        },
    )


CANDIDATES: dict[str, list[Candidate]] = {
    "parties": [_party_candidate(WEIDU_XIDA), _party_candidate(CHANGGE)],
    "sites": [
        _site_candidate("A", WEIDU_XIDA),
        _site_candidate("A", CHANGGE_HESHANG),
        _site_candidate("B", CHANGGE_HESHANG),
        _site_candidate("D", CHANGGE_POHU),
        _site_candidate("X", WEIDU_BEIDA),
    ],
    "facilities": [
        _facility_candidate("sA", "A", WEIDU_XIDA),
        _facility_candidate("sB", "B", CHANGGE_HESHANG),
        _facility_candidate("sX1", "X", WEIDU_BEIDA),
    ],
    "capacities": [
        _capacity_candidate("fA", "A", WEIDU_XIDA, "industrial"),
        _capacity_candidate("fB", "B", CHANGGE_HESHANG, "hazardous"),
        _capacity_candidate("fD", "D", CHANGGE_POHU, "agricultural-straw"),
        _capacity_candidate("fM", "M", WEIDU, "medical"),
        _capacity_candidate("fD", "D", CHANGGE_POHU, "hazardous"),
        _capacity_candidate("fM", "M", WEIDU, "hazardous"),
        _capacity_candidate("fB", "B", CHANGGE_HESHANG, "agricultural-straw"),
    ],
    "permits": [
        _permit_candidate("A", WEIDU_XIDA, "industrial"),
        _permit_candidate("B", CHANGGE, "hazardous"),
        _permit_candidate("D", CHANGGE_POHU, "agricultural"),
        _permit_candidate("M", WEIDU, "medical"),
        _permit_candidate("X", CHANGGE_HESHANG, "sludge"),
        _permit_candidate("B", CHANGGE, "agricultural"),
        _permit_candidate("D", CHANGGE_POHU, "hazardous"),
        _permit_candidate("M", WEIDU, "hazardous"),
    ],
    "vehicles": [
        _vehicle_candidate("T", WEIDU),
        _vehicle_candidate("B", CHANGGE),
        _vehicle_candidate("X", CHANGGE_HESHANG),
        _vehicle_candidate("A", WEIDU_XIDA),
    ],
    "devices": [
        _device_candidate("A", {WEIDU_XIDA}),
        _device_candidate("B", {CHANGGE}),
        _device_candidate("X", {CHANGGE_HESHANG}),
        _device_candidate("X", {CHANGGE_HESHANG, WEIDU_BEIDA}, site="sX1"),
        _device_candidate("T", {WEIDU}),
    ],
}

# A body pointing at a row that does not exist: for roles that see everything, the only
# reference they cannot make.
PHANTOM_FIELD = {
    "parties": "region",
    "sites": "party",
    "facilities": "site",
    "capacities": "facility",
    "permits": "party",
    "vehicles": "party",
    "devices": "party",
}


def phantom_body(w: World, endpoint: str) -> dict:
    body = CANDIDATES[endpoint][0].body(w)
    body[PHANTOM_FIELD[endpoint]] = "999999" if endpoint == "parties" else MISSING_ID
    return body


UPDATES = {
    "parties": {"contact_name": "王主任"},
    "sites": {"address": "许昌市新地址 1 号"},
    "facilities": {"note": "复核后更新"},
    "capacities": {"source": "2025 年复核"},
    "permits": {"issuer": "河南省生态环境厅（复核）"},
    "vehicles": {"volume_m3": "12.50"},
    "devices": {"model_name": "XK3190-A12"},
}


# --- expectations -----------------------------------------------------------------------------


@dataclass
class Expected:
    status: int
    code: str | None = None  # error code for 4xx
    field: str | None = None
    ids: set[int] | None = None  # for lists


def refs_visible(role: RoleSpec, w: World, candidate: Candidate) -> bool:
    return all(may_view(role, ep, w.rows[ep][key][1]) for ep, key in candidate.refs)


def choose_create(role: RoleSpec, w: World, endpoint: str, in_scope: bool):
    """(body maker, Expected) for a create the oracle calls in scope, or out of scope."""
    candidates = CANDIDATES[endpoint]
    reachable = [c for c in candidates if refs_visible(role, w, c)]
    writable = [c for c in reachable if may_write(role, endpoint, c.facts)]
    blocked = [c for c in reachable if not may_write(role, endpoint, c.facts)]
    unreachable = [c for c in candidates if not refs_visible(role, w, c)]
    if in_scope and writable:
        return writable[0].body, Expected(201)
    if blocked:
        return blocked[0].body, Expected(403, "not_permitted")
    if unreachable:
        c = unreachable[0]
        return c.body, Expected(400, "does_not_exist", c.ref_field)
    return (
        lambda w: phantom_body(w, endpoint),
        Expected(400, "does_not_exist", PHANTOM_FIELD[endpoint]),
    )


def choose_update(role: RoleSpec, w: World, endpoint: str, in_scope: bool):
    """(row key or None for a missing id, Expected) for an update."""
    rows = w.rows[endpoint]
    visible = [k for k, (_, f) in rows.items() if may_view(role, endpoint, f)]
    writable = [k for k in visible if may_write(role, endpoint, rows[k][1])]
    invisible = [k for k in rows if k not in visible]
    if in_scope and writable:
        return writable[0], Expected(200)
    if in_scope and visible:
        return visible[0], Expected(403, "not_permitted")
    if not in_scope and invisible:
        return invisible[0], Expected(404, "not_found")
    if not in_scope and (blocked := [k for k in visible if k not in writable]):
        return blocked[0], Expected(403, "not_permitted")
    return None, Expected(404, "not_found")


def choose_retrieve(role: RoleSpec, w: World, endpoint: str, in_scope: bool):
    rows = w.rows[endpoint]
    keys = [k for k, (_, f) in rows.items() if may_view(role, endpoint, f) == in_scope]
    if keys:
        return keys[0], Expected(200 if in_scope else 404, None if in_scope else "not_found")
    return None, Expected(404, "not_found")


# --- the cells ----------------------------------------------------------------------------------

CELLS = [(r, e, a) for r in ROLES for e in ENDPOINTS for a in ACTIONS]


def client_for(w: World, role: str) -> APIClient:
    client = APIClient()
    if w.users[role] is not None:
        client.force_authenticate(w.users[role])
    return client


def listed_ids(client: APIClient, url: str) -> tuple[int, set[int]]:
    """Follow the pages of a list; the status of the first page and every id seen."""
    response = client.get(url, {"page_size": 500})
    ids: set[int] = set()
    status = response.status_code
    while response.status_code == 200:
        ids.update(row["id"] for row in response.data["results"])
        if not response.data["next"]:
            break
        response = client.get(response.data["next"])
    return status, ids


def assert_error(response, expected: Expected) -> None:
    assert response.status_code == expected.status, response.data
    if expected.code:
        assert response.data["code"] == expected.code, response.data
        assert response.data["message"], response.data
    if expected.field:
        assert response.data["field"] == expected.field, response.data


def writes_so_far() -> int:
    return ChangeLog.objects.count()


@pytest.mark.parametrize(("role", "endpoint", "action"), CELLS, ids=["-".join(c) for c in CELLS])
def test_cell(world: World, role: str, endpoint: str, action: str) -> None:
    if endpoint in REFERENCE:
        reference_cell(world, role, endpoint, action)
    else:
        scoped_cell(world, role, endpoint, action)


REFERENCE_EXPECTED = {
    "list": Expected(200),
    "retrieve_in": Expected(200),
    "retrieve_out": Expected(200),
    "create_in": Expected(405, "method_not_allowed"),
    "create_out": Expected(405, "method_not_allowed"),
    "update_in": Expected(405, "method_not_allowed"),
    "update_out": Expected(405, "method_not_allowed"),
}


def reference_cell(w: World, role: str, endpoint: str, action: str) -> None:
    """Reference data: everyone reads every row; nobody writes it over the API (405)."""
    model, lookup = REFERENCE[endpoint]
    client = client_for(w, role)
    base = f"/api/v1/{endpoint}/"
    rows = model.objects.order_by("pk")
    if action == "list":
        status, ids = listed_ids(client, base)
        assert status == REFERENCE_EXPECTED[action].status
        assert ids == set(rows.values_list("pk", flat=True))
    elif action.startswith("retrieve"):
        row = rows.first() if action == "retrieve_in" else rows.last()
        response = client.get(f"{base}{getattr(row, lookup)}/")
        assert response.status_code == REFERENCE_EXPECTED[action].status, response.data
        assert response.data["id"] == row.pk
    else:
        before = (rows.count(), writes_so_far())
        if action.startswith("create"):
            response = client.post(base, {"name": "x"}, format="json")
        else:
            row = rows.first() if action == "update_in" else rows.last()
            response = client.patch(f"{base}{getattr(row, lookup)}/", {"name": "x"}, format="json")
        assert_error(response, REFERENCE_EXPECTED[action])
        assert (rows.count(), writes_so_far()) == before


@dataclass
class Plan:
    """One cell: what to send and what must come back."""

    expected: Expected
    key: str | None = None  # retrieve/update: the world key of the target (None: a missing id)
    body: Callable[[World], dict] | None = None  # create
    keys: list[str] | None = None  # list: the world keys that must be listed


def plan_cell(w: World, role_name: str, endpoint: str, action: str) -> Plan:
    role = ROLES[role_name]
    write = action.startswith(("create", "update"))
    in_scope = action.endswith("_in")
    rows = w.rows[endpoint]
    if not gate(role, endpoint, write):
        body, _ = choose_create(ROLES["admin"], w, endpoint, in_scope)
        return Plan(Expected(*refused(role)), key=next(iter(rows)), body=body)
    if action == "list":
        keys = [k for k, (_, f) in rows.items() if may_view(role, endpoint, f)]
        return Plan(Expected(200), keys=keys)
    if action.startswith("retrieve"):
        key, expected = choose_retrieve(role, w, endpoint, in_scope)
        return Plan(expected, key=key)
    if action.startswith("create"):
        body, expected = choose_create(role, w, endpoint, in_scope)
        return Plan(expected, body=body)
    key, expected = choose_update(role, w, endpoint, in_scope)
    return Plan(expected, key=key)


def scoped_cell(w: World, role_name: str, endpoint: str, action: str) -> None:
    plan = plan_cell(w, role_name, endpoint, action)
    expected = plan.expected
    client = client_for(w, role_name)
    base = f"/api/v1/{endpoint}/"
    rows = w.rows[endpoint]
    model = type(next(iter(rows.values()))[0])
    pk = rows[plan.key][0].pk if plan.key else MISSING_ID
    before = (model.objects.count(), writes_so_far())

    if action == "list":
        status, ids = listed_ids(client, base)
        assert status == expected.status
        if status != 200:
            assert_error(client.get(base), expected)
        assert ids == {rows[k][0].pk for k in plan.keys or ()}
        return
    if action.startswith("retrieve"):
        response = client.get(f"{base}{pk}/")
        if expected.status == 200:
            assert response.status_code == 200, response.data
            assert response.data["id"] == pk
        else:
            assert_error(response, expected)
        return
    if action.startswith("create"):
        response = client.post(base, plan.body(w), format="json")
        if expected.status == 201:
            assert response.status_code == 201, response.data
            assert model.objects.filter(pk=response.data["id"]).exists()
            assert (model.objects.count(), writes_so_far()) == (before[0] + 1, before[1] + 1)
            return
    else:
        response = client.patch(f"{base}{pk}/", UPDATES[endpoint], format="json")
        if expected.status == 200:
            assert response.status_code == 200, response.data
            (name, value), *_ = UPDATES[endpoint].items()
            assert str(getattr(model.objects.get(pk=pk), name)) == value
            assert writes_so_far() == before[1] + 1
            return
    assert_error(response, expected)
    assert (model.objects.count(), writes_so_far()) == before


# --- the table in docs/api.md -------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"
BEGIN, END = "<!-- matrix:begin (generated) -->", "<!-- matrix:end -->"

ROLE_TITLES = {
    "admin": "平台管理员",
    "city": "市级管理人员",
    "county": "魏都区管理人员",
    "ecology": "市生态环境局",
    "agriculture": "市农业农村局",
    "health": "市卫生健康委",
    "ecology_county": "长葛市生态环境分局",
    "enterprise": "企业甲的用户",
    "driver": "运输企业的驾驶员",
    "guide": "西大街道督导员",
    "public": "公众（已登录）",
    "anonymous": "未登录",
}


def _pair(w: World, role: str, endpoint: str, verb: str) -> str:
    if endpoint in REFERENCE:
        statuses = [REFERENCE_EXPECTED[f"{verb}_{side}"].status for side in ("in", "out")]
    else:
        statuses = [
            plan_cell(w, role, endpoint, f"{verb}_{side}").expected.status for side in ("in", "out")
        ]
    return "/".join(str(s) for s in statuses)


def render_matrix(w: World) -> str:
    """Two tables from the oracle: which rows each role lists, and the status of each action."""
    head = "| 角色 | " + " | ".join(SCOPED) + " |"
    rule = "|---" * (len(SCOPED) + 1) + "|"
    lines = ["列表返回的行（世界中的行名，见上文）：", "", head, rule]
    for role in ROLES:
        cells = []
        for endpoint in SCOPED:
            plan = plan_cell(w, role, endpoint, "list")
            if plan.expected.status != 200:
                cells.append(str(plan.expected.status))
            else:
                cells.append(" ".join(plan.keys) if plan.keys else "（空）")
        lines.append(f"| {ROLE_TITLES[role]} `{role}` | " + " | ".join(cells) + " |")
    lines += [
        "",
        "查看 / 新建 / 修改的状态码，每格为“范围内/范围外”：",
        "",
        "| 角色 | 动作 | " + " | ".join(SCOPED) + " | 参考数据（6 个） |",
        "|---|---" + "|---" * (len(SCOPED) + 1) + "|",
    ]
    for role in ROLES:
        for verb, title in (("retrieve", "查看"), ("create", "新建"), ("update", "修改")):
            cells = [_pair(w, role, e, verb) for e in [*SCOPED, "regions"]]
            lines.append(f"| {ROLE_TITLES[role]} `{role}` | {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_docs_show_the_matrix_the_oracle_computes(world):
    generated = f"{BEGIN}\n{render_matrix(world)}\n{END}"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    if BEGIN in text and os.environ.get("WUFEI_WRITE_MATRIX"):
        text = text[: text.index(BEGIN)] + generated + text[text.index(END) + len(END) :]
        DOCS.write_text(text, encoding="utf-8")
    assert generated in text, (
        "The role matrix in docs/api.md differs from the oracle. Regenerate it with "
        "`WUFEI_WRITE_MATRIX=1 .venv/bin/pytest wufei/registry/tests/test_api_matrix.py -k docs`"
    )
