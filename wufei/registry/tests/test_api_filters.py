"""The filters of each list (docs/api.md, “Filters”): they narrow what the caller sees, never
widen it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from wufei.registry.models import Region, WasteCode
from wufei.registry.tests.world import World

pytestmark = pytest.mark.django_db

CASES = [
    # (role, endpoint, query, world keys expected)
    ("city", "parties", {"region": "411002"}, {"A", "T", "M"}),
    ("city", "parties", {"region": "411002001"}, {"A"}),
    ("city", "parties", {"role": "receiver"}, {"B", "M"}),
    ("city", "parties", {"q": "处置"}, {"B", "M"}),
    ("city", "sites", {"region": "411002"}, {"sA", "sT", "sX1", "sM"}),
    ("city", "sites", {"party": "X"}, {"sX1", "sX2"}),
    ("city", "facilities", {"stream": "hazardous"}, {"fB", "fB2"}),
    ("city", "facilities", {"region": "411082"}, {"fB", "fB2", "fD", "fX2"}),
    ("city", "facilities", {"status": "planned"}, {"fA"}),
    ("city", "capacities", {"stream": "agricultural-film"}, {"cB2a"}),
    ("city", "capacities", {"region": "411002"}, {"cM", "cA", "cT"}),
    ("city", "permits", {"stream": "hazardous"}, {"pB", "pT"}),
    ("city", "permits", {"region": "411082"}, {"pB", "pX", "pD"}),
    ("city", "permits", {"kind": "discharge"}, {"pA"}),
    ("city", "vehicles", {"party": "T"}, {"vT1", "vT2"}),
    ("city", "devices", {"kind": "weighbridge"}, {"dB", "dX"}),
    # dX belongs to X (registered in 长葛市) and stands at sX1 in 魏都区: it is in both.
    ("city", "devices", {"region": "411002"}, {"dT", "dX", "dA"}),
    ("city", "devices", {"region": "411082"}, {"dB", "dX", "dD"}),
    # Filters narrow the caller's scope, never widen it.
    ("county", "sites", {"region": "411082"}, set()),
    ("county", "parties", {"q": "跨区"}, {"X"}),
    ("enterprise", "facilities", {"stream": "hazardous"}, set()),
    ("ecology", "facilities", {"region": "411082"}, {"fB", "fB2", "fX2"}),
    ("anonymous", "facilities", {"status": "planned"}, set()),
]


def resolve(w: World, query: dict) -> dict:
    """World keys in a query (party keys) become ids."""
    return {k: w.party(v).pk if k == "party" else v for k, v in query.items()}


@pytest.mark.parametrize(
    ("role", "endpoint", "query", "keys"),
    CASES,
    ids=[f"{r}-{e}-{'-'.join(f'{k}={v}' for k, v in q.items())}" for r, e, q, _ in CASES],
)
def test_filter(world, role, endpoint, query, keys):
    client = APIClient()
    if world.users[role] is not None:
        client.force_authenticate(world.users[role])
    response = client.get(f"/api/v1/{endpoint}/", resolve(world, query))
    assert response.status_code == 200, response.data
    ids = {row["id"] for row in response.data["results"]}
    assert ids == {world.obj(endpoint, k).pk for k in keys}


def test_permits_valid_on_a_day(world):
    client = APIClient()
    client.force_authenticate(world.users["city"])
    permit = world.obj("permits", "pB")
    inside = client.get("/api/v1/permits/", {"valid_on": permit.valid_from.isoformat()})
    assert permit.pk in {row["id"] for row in inside.data["results"]}
    before = client.get("/api/v1/permits/", {"valid_on": "2000-01-01"})
    assert before.data["count"] == 0


def test_reference_filters(world):
    client = APIClient()
    counties = client.get("/api/v1/regions/", {"level": "county"})
    assert counties.data["count"] == Region.objects.filter(level="county").count() > 0
    hw08 = client.get("/api/v1/waste-codes/", {"category": "HW08"})
    assert {row["code"] for row in hw08.data["results"]} == set(
        WasteCode.objects.filter(category__code="HW08").values_list("code", flat=True)
    )
    for trait in ("I", "In", "T", "C", "R"):
        listed = client.get("/api/v1/waste-codes/", {"trait": trait, "page_size": 500})
        expected = {c.code for c in WasteCode.objects.all() if trait in c.traits}
        assert expected, trait
        assert {row["code"] for row in listed.data["results"]} == expected, trait
    unknown = client.get("/api/v1/waste-codes/", {"trait": "X"})
    assert unknown.status_code == 400
    assert unknown.data["field"] == "trait"


def test_paging(world):
    client = APIClient()
    client.force_authenticate(world.users["city"])
    first = client.get("/api/v1/sites/", {"page_size": 3})
    assert first.data["count"] == 7
    assert len(first.data["results"]) == 3 and first.data["previous"] is None
    seen = [row["id"] for row in first.data["results"]]
    page = first
    while page.data["next"]:
        page = client.get(page.data["next"])
        seen += [row["id"] for row in page.data["results"]]
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen)
    too_big = client.get("/api/v1/sites/", {"page_size": 10_000})
    assert too_big.status_code == 200  # capped at 500, not refused
