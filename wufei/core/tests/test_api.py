"""The API plumbing: one error body for every failure, and the coarse permission gate."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions
from rest_framework.test import APIClient

from wufei.core.api import exception_handler
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted, field_errors_from_django


def body(exc) -> tuple[int, dict]:
    response = exception_handler(exc, {})
    return response.status_code, response.data


def test_typed_errors_keep_their_status_code_and_field():
    status, data = body(Invalid([FieldError("lon", "outside_region", "坐标不在辖区内。")]))
    assert status == 400
    assert data == {
        "code": "outside_region",
        "field": "lon",
        "message": "坐标不在辖区内。",
        "errors": [{"field": "lon", "code": "outside_region", "message": "坐标不在辖区内。"}],
    }
    assert body(NotPermitted())[0] == 403
    assert body(NotPermitted())[1]["code"] == "not_permitted"
    assert body(NotFound())[0] == 404


def test_every_error_of_an_invalid_input_is_listed_the_first_on_top():
    errors = [
        FieldError("valid_to", "end_before_start", "有效期止早于有效期起。"),
        FieldError("waste_codes", "unknown_waste_code", "废物代码不在名录中。"),
    ]
    _, data = body(Invalid(errors))
    assert (data["code"], data["field"]) == ("end_before_start", "valid_to")
    assert [e["code"] for e in data["errors"]] == ["end_before_start", "unknown_waste_code"]


def test_django_validation_errors_become_field_errors_with_their_codes():
    exc = ValidationError(
        {
            "credit_code": [ValidationError("校验位错误。", code="credit_code_checksum")],
            "__all__": [ValidationError("整体错误。", code="whole")],
        }
    )
    assert field_errors_from_django(exc) == [
        FieldError("credit_code", "credit_code_checksum", "校验位错误。"),
        FieldError(None, "whole", "整体错误。"),
    ]
    status, data = body(exc)
    assert status == 400
    assert data["code"] == "credit_code_checksum"
    plain = ValidationError("没有代码的错误。")
    assert field_errors_from_django(plain) == [FieldError(None, "invalid", "没有代码的错误。")]


def test_nested_drf_errors_get_dotted_field_names():
    """A list of objects names the item by its index (item 0 included)."""
    exc = exceptions.ValidationError(
        {"capacities": [{"tonnes_per_day": ["不能为负数。"]}], "non_field_errors": ["整体。"]}
    )
    _, data = body(exc)
    assert [(e["field"], e["message"]) for e in data["errors"]] == [
        ("capacities.0.tonnes_per_day", "不能为负数。"),
        (None, "整体。"),
    ]


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (Http404(), 404, "not_found"),
        (PermissionDenied(), 403, "not_permitted"),
        (exceptions.PermissionDenied(), 403, "not_permitted"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (
            exceptions.AuthenticationFailed("令牌已过期。", code="token_expired"),
            401,
            "token_expired",
        ),
        (exceptions.MethodNotAllowed("DELETE"), 405, "method_not_allowed"),
        (exceptions.Throttled(wait=3), 429, "throttled"),
    ],
)
def test_other_failures_share_the_body(exc, status, code):
    got_status, data = body(exc)
    assert (got_status, data["code"], data["field"]) == (status, code, None)
    assert data["message"]
    assert data["errors"] == [{"field": None, "code": code, "message": data["message"]}]


def test_unexpected_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["delete", "put", "patch"])
def test_a_method_the_endpoint_lacks_is_405_for_everyone(method):
    """Not 401 or 403: the gate lets unsupported methods through to the 405."""
    response = getattr(APIClient(), method)("/api/v1/parties/", {}, format="json")
    assert response.status_code == 405
    assert response.data["code"] == "method_not_allowed"
    assert "不被允许" in response.data["message"]


@pytest.mark.django_db
def test_messages_follow_the_requested_language():
    """Chinese by default; DRF's own messages switch with Accept-Language."""
    client = APIClient()
    chinese = client.delete("/api/v1/parties/")
    # LocaleMiddleware leaves the request's language active in this thread: restore it.
    with translation.override(translation.get_language()):
        english = client.delete("/api/v1/parties/", HTTP_ACCEPT_LANGUAGE="en")
    assert "不被允许" in chinese.data["message"]
    assert "not allowed" in english.data["message"]
    assert chinese.data["code"] == english.data["code"] == "method_not_allowed"
