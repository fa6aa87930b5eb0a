"""Every number a list endpoint takes in its query string, given numbers no row can match (beyond
64 bits, negative, beyond a float), answers 200 or a 400 naming the field, never a 500; the
operations and their number parameters are read from the committed OpenAPI schema, so a new
filter is covered the day it is published."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from rest_framework.test import APIClient

from wufei.registry.models import Region

SCHEMA = Path(settings.BASE_DIR).parent / "docs" / "openapi.yaml"
ABSURD = ("99999999999999999999", "-5", "1e400", "-1.7976931348623157e+308")

pytestmark = pytest.mark.django_db


def number_parameters() -> list[tuple[str, str]]:
    """(path, parameter) for each number in the query of a GET without path parameters."""
    paths = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))["paths"]
    found = []
    for path, operations in paths.items():
        if "{" in path or "get" not in operations:
            continue
        for parameter in operations["get"].get("parameters", []):
            kind = parameter.get("schema", {}).get("type")
            if parameter["in"] == "query" and kind in {"integer", "number"}:
                found.append((path, parameter["name"]))
    return found


PARAMETERS = number_parameters()
REQUIRED = {"/api/v1/containers/labels/": ("codes",)}  # the labels of no container are refused


def test_the_schema_publishes_number_filters():
    assert len(PARAMETERS) > 20
    assert ("/api/v1/manifests/", "generator") in PARAMETERS


@pytest.mark.parametrize(("path", "name"), PARAMETERS)
def test_an_absurd_number_is_an_answer_not_a_server_error(world, path, name):
    client = APIClient()
    client.force_authenticate(world.users["city"])
    for value in ABSURD:
        response = client.get(path, {name: value})
        assert response.status_code < 500, (path, name, value)
        if response.status_code == 400:  # this field, or one the operation requires
            assert response.json()["field"] in {name, *REQUIRED.get(path, ())}, response.json()


@pytest.mark.parametrize(
    ("path", "query", "code"),
    [
        ("/api/v1/manifests/", {"generator": "99999999999999999999"}, "max_value"),
        ("/api/v1/manifests/", {"generator": "0"}, "min_value"),
        ("/api/v1/manifests/", {"receiver": "1.5"}, "invalid"),
        ("/api/v1/declarations/", {"year": "-5"}, "min_value"),
        ("/api/v1/plan/notices/", {"level": "9"}, "invalid_choice"),
    ],
)
def test_a_number_out_of_range_names_its_field(world, path, query, code):
    client = APIClient()
    client.force_authenticate(world.users["city"])
    response = client.get(path, query)
    assert response.status_code == 400
    body = response.json()
    assert (body["field"], body["code"]) == (next(iter(query)), code)


def test_the_database_compares_ids_beyond_64_bits_instead_of_failing(world):
    """SQLite cannot bind such an integer; ours binds it as a number, as PostgreSQL does."""
    regions = Region.objects.count()
    assert regions > 0
    assert not Region.objects.filter(pk__in=[2**70, -(2**70)]).exists()
    assert Region.objects.filter(pk__lt=2**70).count() == regions
    assert Region.objects.filter(pk__gt=-(2**70)).count() == regions


def test_a_list_of_ids_beyond_64_bits_is_an_invalid_choice(world):
    client = APIClient()
    client.force_authenticate(world.users["city"])
    response = client.get("/api/v1/balance/", {"year": 2020, "close": "95120502429670916096"})
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("close", "invalid_choice")
