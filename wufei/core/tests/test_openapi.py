"""The OpenAPI schema: valid, free of generator warnings, committed, and browsable offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

COMMITTED = Path(settings.BASE_DIR).parent / "docs" / "openapi.yaml"
REGENERATE = ".venv/bin/wufei spectacular --file docs/openapi.yaml --validate"

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> str:
    """The schema as the regeneration command writes it, failing on any generator warning."""
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", file=str(path), validate=True, fail_on_warn=True)
    return path.read_text(encoding="utf-8")


def test_the_committed_schema_is_the_generated_one(generated):
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    assert generated == committed, (
        f"docs/openapi.yaml is not the schema the code generates. If the API change is "
        f"deliberate, regenerate it with `{REGENERATE}` and commit it."
    )


def test_served_schema_is_valid_openapi_3(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document
    assert {"/api/v1/parties/", "/api/v1/permits/{id}/", "/api/v1/regions/{adcode}/"} <= set(
        schema["paths"]
    )


def test_errors_are_documented_with_the_error_component(generated):
    schema = yaml.safe_load(generated)
    error = {"$ref": "#/components/schemas/Error"}

    def body(path: str, method: str, status: str) -> dict:
        return schema["paths"][path][method]["responses"][status]["content"]["application/json"][
            "schema"
        ]

    assert body("/api/v1/parties/", "post", "400") == error
    assert body("/api/v1/parties/", "post", "403") == error
    assert body("/api/v1/parties/", "get", "401") == error
    assert body("/api/v1/parties/{id}/", "get", "404") == error
    assert body("/api/v1/permits/{id}/", "patch", "400") == error
    assert body("/api/v1/regions/{adcode}/", "get", "404") == error
    # Writes answer with the read representation, not the input one.
    assert body("/api/v1/parties/", "post", "201") == {"$ref": "#/components/schemas/Party"}
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "field",
        "message",
        "errors",
    }
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_swagger_ui_loads_its_assets_locally(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    scripts = [a for a in assets if a.endswith((".js", ".css"))]
    assert scripts, html
    assert all(a.startswith(settings.STATIC_URL) for a in scripts), scripts
    assert not re.search(r"https?://", html), "the Swagger UI page must not call out to a CDN"
    for asset in scripts:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])


def test_redoc_is_not_served(client):
    """ReDoc's template links Google Fonts, which an offline government network cannot reach;
    Swagger UI at /api/docs/ is the one browsable documentation."""
    assert client.get("/api/redoc/").status_code == 404
