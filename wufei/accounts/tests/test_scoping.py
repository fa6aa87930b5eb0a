"""Unit checks of the scoping rule itself (the API matrix checks it end to end)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from wufei.accounts.choices import Action, Role
from wufei.accounts.scoping import (
    ensure_permitted,
    is_permitted,
    may,
    restrict,
    role_of,
    scope_filter,
)
from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import NotPermitted
from wufei.core.models import ChangeLog
from wufei.registry.models import Facility, Party, Permit, Region, WasteCode
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db


def test_role_of():
    assert role_of(None) == Role.PUBLIC
    assert role_of(AnonymousUser()) == Role.PUBLIC
    assert role_of(UserFactory.build(role="guide", is_superuser=True)) == Role.ADMIN
    assert role_of(UserFactory.build(role="driver")) == Role.DRIVER


def test_a_model_without_a_scope_cannot_be_restricted():
    with pytest.raises(TypeError, match="declares no Scope"):
        restrict(ChangeLog.objects.all(), None)


def test_reference_data_is_readable_by_all_and_writable_by_city_and_admin():
    guide = UserFactory.build(role="guide")
    city = UserFactory.build(role="city")
    assert may(None, Action.VIEW, WasteCode)
    assert not may(guide, Action.CHANGE, Region)
    assert may(city, Action.CHANGE, Region)


def test_an_enterprise_user_scope_on_its_own_party():
    """The row itself is the party ("" path): ``pk``, not a lookup on nothing."""
    a, b = factories.PartyFactory(), factories.PartyFactory()
    user = UserFactory(role="enterprise", party=a)
    assert list(restrict(Party.objects.all(), user)) == [a]
    assert is_permitted(user, Action.CHANGE, a)
    assert not is_permitted(user, Action.VIEW, b)
    with pytest.raises(NotPermitted):
        ensure_permitted(user, Action.CHANGE, b)


def test_enterprise_reads_but_does_not_write_its_permits():
    permit = factories.PermitFactory()
    user = UserFactory(role="enterprise", party=permit.party)
    assert is_permitted(user, Action.VIEW, permit)
    assert scope_filter(Permit, user, Action.CHANGE) is None
    assert not may(user, Action.ADD, Permit)


def test_a_facility_with_several_streams_is_listed_once():
    facility = factories.FacilityFactory()
    factories.CapacityFactory(facility=facility)
    factories.CapacityFactory(
        facility=facility, stream=factories.models.WasteStream.objects.get(code="medical")
    )
    ecology = UserFactory(role="department", department_id=_department("ecology"))
    assert list(restrict(Facility.objects.all(), ecology)) == [facility]


def _department(code: str) -> int:
    from wufei.accounts.models import Department

    return Department.objects.get(code=code).pk
