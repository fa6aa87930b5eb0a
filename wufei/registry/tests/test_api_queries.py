"""Pinned query counts of the API lists: the same number of queries for 1 row or 100.

A list costs a count and a select (plus one query per prefetched relation); scoping is part
of the select, never a query per row. If a serializer starts touching an unjoined relation,
the count moves and this fails.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from wufei.accounts.models import User
from wufei.registry.models import WasteCode
from wufei.registry.tests import factories
from wufei.registry.tests.world import World
from wufei.registry.validators import make_credit_code

pytestmark = pytest.mark.django_db

# (endpoint, role) → queries for one page: a count and a select, two prefetches for permits
# (categories, waste codes); a county-level actor adds its region (1), a bureau its
# department and the stream tree (3; cached on the department for the rest of the request).
PINNED = {
    ("parties", "city"): 2,
    ("parties", "county"): 4,
    ("parties", "enterprise"): 2,
    ("sites", "city"): 2,
    ("sites", "county"): 4,
    ("sites", "enterprise"): 2,
    ("facilities", "city"): 2,
    ("facilities", "ecology"): 5,
    ("facilities", "anonymous"): 2,
    ("permits", "city"): 4,
    ("permits", "ecology_county"): 9,
    ("permits", "enterprise"): 4,
}


def more_rows(w: World, n: int) -> None:
    """``n`` more parties with a site, a facility with a capacity, and a permit each."""
    codes = list(WasteCode.objects.filter(category__stream__code="hazardous")[:3])
    for i in range(n):
        party = factories.PartyFactory(
            region=w.party("A").region, credit_code=make_credit_code("411002", 900_000 + i)
        )
        site = factories.SiteFactory(party=party)
        facility = factories.FacilityFactory(site=site)
        factories.CapacityFactory(facility=facility)
        permit = factories.PermitFactory(party=party)
        permit.waste_codes.set(codes[: 1 + i % len(codes)])


def client_for(w: World, role: str) -> APIClient:
    """A client for ``role`` holding a freshly loaded user, as a real request has."""
    client = APIClient()
    if w.users[role] is not None:
        client.force_authenticate(User.objects.get(pk=w.users[role].pk))
    return client


def fetch(client: APIClient, endpoint: str) -> dict:
    response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200, response.data
    return response.data


@pytest.mark.parametrize(("endpoint", "role"), list(PINNED), ids=[f"{e}-{r}" for e, r in PINNED])
def test_list_query_count_is_pinned_and_flat(world, django_assert_num_queries, endpoint, role):
    queries = PINNED[(endpoint, role)]
    client = client_for(world, role)
    with django_assert_num_queries(queries):
        small = fetch(client, endpoint)
    more_rows(world, 20)
    client = client_for(world, role)
    with django_assert_num_queries(queries):
        large = fetch(client, endpoint)
    assert large["count"] >= small["count"]
    if role in ("city", "county", "ecology"):
        assert large["count"] >= small["count"] + 20  # the new rows are in this actor's scope
