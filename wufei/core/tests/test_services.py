"""``scoped_save``: the one write path checks the actor before and after, logs every write,
and leaves nothing behind when it refuses."""

from __future__ import annotations

import pytest
from django.utils import translation

from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import Invalid, NotFound, NotPermitted
from wufei.core.models import ChangeLog
from wufei.core.services import scoped_save, snapshot
from wufei.registry.models import Site
from wufei.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def weidu_site():
    return factories.SiteFactory(address="旧地址")


@pytest.fixture
def county_official():
    return UserFactory(role="county", region=factories.region("411002"))


def test_update_writes_the_row_and_its_change_log(weidu_site, county_official):
    scoped_save(actor=county_official, obj=weidu_site, creating=False, fields={"address": "新址"})
    weidu_site.refresh_from_db()
    assert weidu_site.address == "新址"
    log = ChangeLog.objects.get(object_id=str(weidu_site.pk))
    assert (log.actor, log.action) == (county_official, "update")
    assert log.data == snapshot(weidu_site)
    assert log.data["address"] == "新址"


def test_a_row_the_actor_cannot_see_is_not_found(weidu_site):
    other = UserFactory(role="county", region=factories.region("411082"))
    with pytest.raises(NotFound):
        scoped_save(actor=other, obj=weidu_site, creating=False, fields={"address": "x"})
    weidu_site.refresh_from_db()
    assert weidu_site.address == "旧地址"
    assert not ChangeLog.objects.exists()


def test_a_row_the_actor_can_see_but_not_change_is_refused(weidu_site):
    driver = UserFactory(role="driver", party=weidu_site.party)
    with pytest.raises(NotPermitted):
        scoped_save(actor=driver, obj=weidu_site, creating=False, fields={"address": "x"})
    assert not ChangeLog.objects.exists()


def test_moving_a_row_out_of_scope_is_rolled_back(weidu_site, county_official):
    changge = factories.region("411082")
    with translation.override("zh-hans"), pytest.raises(NotPermitted, match="超出您的权限范围"):
        scoped_save(
            actor=county_official,
            obj=weidu_site,
            creating=False,
            fields={"region": changge, "lon": changge.center_lon, "lat": changge.center_lat},
        )
    assert Site.objects.get(pk=weidu_site.pk).region.adcode == "411002"
    assert not ChangeLog.objects.exists()


def test_creating_out_of_scope_leaves_no_row(county_official):
    party = factories.PartyFactory(region=factories.region("411082"))
    before = Site.objects.count()
    site = Site(party=party, name="长葛场所", kind="factory", region=party.region)
    with pytest.raises(NotPermitted):
        scoped_save(
            actor=county_official,
            obj=site,
            creating=True,
            fields={"lon": party.region.center_lon, "lat": party.region.center_lat},
        )
    assert Site.objects.count() == before
    assert not ChangeLog.objects.exists()


def test_model_validation_becomes_invalid_with_field_and_code(weidu_site, county_official):
    with pytest.raises(Invalid) as caught:
        scoped_save(actor=county_official, obj=weidu_site, creating=False, fields={"lon": 100})
    assert caught.value.field == "lon"
    assert caught.value.code == "outside_region"
    assert not ChangeLog.objects.exists()
