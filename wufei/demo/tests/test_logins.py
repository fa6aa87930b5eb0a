"""The demo logins: one per role, each with the right scope."""

import pytest

from wufei.accounts.choices import Role
from wufei.accounts.departments import DEPARTMENTS
from wufei.accounts.models import User
from wufei.demo.figures import COUNTIES
from wufei.demo.logins import DEMO_PASSWORD, LOGINS, demo_logins_ensure
from wufei.demo.services import city_reset
from wufei.registry import selectors
from wufei.registry.models import Site


def test_every_login_exists_with_its_scope(small_city):
    users = demo_logins_ensure(generation=small_city)
    assert [u.username for u in users] == [login.username for login in LOGINS]
    by_name = {u.username: u for u in users}
    for user in users:
        assert user.check_password(DEMO_PASSWORD)

    assert by_name["admin"].is_superuser and by_name["admin"].role == Role.ADMIN
    assert by_name["city"].role == Role.CITY_OFFICIAL and by_name["city"].region is None
    for county in COUNTIES:
        official = by_name[f"county-{county.slug}"]
        assert (official.role, official.region.adcode) == (Role.COUNTY_OFFICIAL, county.adcode)
        visible = selectors.party_list(actor=official)
        assert visible.exists()
        for party in visible.select_related("region"):
            in_county = (
                party.region.path.startswith(official.region.path)
                or party.sites.filter(region__path__startswith=official.region.path).exists()
            )
            assert in_county, (official, party)
    for code, *_ in DEPARTMENTS:
        official = by_name[f"dept-{code}"]
        assert official.role == Role.DEPARTMENT_OFFICIAL and official.department.code == code

    assert by_name["ent-hospital"].party.name == "许昌市中心医院"
    assert by_name["ent-incineration"].party.name == "许昌旺能环保能源有限公司"
    hazardous = by_name["ent-hazardous"].party
    assert hazardous.is_generator and hazardous.permits.filter(kind="discharge").exists()
    clerk, driver = by_name["ent-transporter"], by_name["driver"]
    assert clerk.role == Role.ENTERPRISE and driver.role == Role.DRIVER
    assert clerk.party == driver.party and driver.party.is_transporter
    assert driver.party.vehicles.filter(kind="hazmat").exists()
    guide = by_name["guide"]
    assert guide.role == Role.GUIDE and guide.region.level == "town"
    assert Site.objects.filter(kind="community", region=guide.region).exists()
    assert by_name["public"].role == Role.PUBLIC


def test_ensuring_twice_creates_nothing_and_reset_drops_bound_logins(small_city):
    demo_logins_ensure(generation=small_city)
    ids = set(User.objects.values_list("pk", flat=True))
    demo_logins_ensure(generation=small_city)
    assert set(User.objects.values_list("pk", flat=True)) == ids

    removed = city_reset(actor=None)
    assert removed["accounts.User"] == 5  # the four enterprise accounts and the driver
    left = set(User.objects.values_list("username", flat=True))
    assert "city" in left and "guide" in left and "ent-hospital" not in left
    assert demo_logins_ensure(generation=None)  # unbound logins still come back


@pytest.mark.django_db
def test_logins_needing_a_city_wait_for_one():
    users = demo_logins_ensure(generation=None)
    names = {u.username for u in users}
    assert "county-weidu" in names and "dept-ecology" in names
    assert not names & {"ent-hospital", "driver", "guide"}
