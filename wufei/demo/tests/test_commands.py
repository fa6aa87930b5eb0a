"""``wufei generate`` (refusal, --reset) and ``wufei demo --no-serve``."""

import pytest
from django.core.management.base import CommandError

from wufei.accounts.models import User
from wufei.demo.models import GeneratedParty, Generation
from wufei.registry.models import Party, Region, Site, WasteCode
from wufei.registry.tests.factories import SiteFactory


@pytest.mark.django_db
def test_generate_refuses_a_second_city_and_reset_removes_only_generated_rows(run):
    own_site = SiteFactory(name="自建场所")  # a row somebody entered by hand
    reference = (Region.objects.count(), WasteCode.objects.count())
    out = run("generate", "--scale", "small", "--seed", "3", "--no-derive")
    assert "registry.Party" in out and "合计" in out
    first = Generation.objects.get()
    parties = Party.objects.count()

    with pytest.raises(CommandError, match="--reset"):
        run("generate", "--scale", "small", "--seed", "4")
    assert Generation.objects.get() == first

    run("generate", "--scale", "small", "--seed", "4", "--reset", "--no-derive")
    second = Generation.objects.get()
    assert second.pk != first.pk and second.seed == 4
    assert Site.objects.filter(pk=own_site.pk).exists()
    assert Party.objects.filter(pk=own_site.party_id).exists()
    assert (Region.objects.count(), WasteCode.objects.count()) == reference
    assert GeneratedParty.objects.count() == second.counts["registry.Party"]
    assert Party.objects.count() == 1 + second.counts["registry.Party"]
    assert abs(Party.objects.count() - parties) < 50


@pytest.mark.django_db
def test_demo_generates_once_then_reuses_the_database(run):
    out = run("demo", "--no-serve", "--scale", "small", "--seed", "5")
    assert "http://127.0.0.1:8000/" in out
    for username in ("admin", "city", "county-weidu", "dept-postal", "ent-hospital", "driver"):
        assert username in out
    generated = Generation.objects.get()
    users = User.objects.count()

    out = run("demo", "--no-serve", "--port", "8123")
    assert "http://127.0.0.1:8123/" in out
    assert Generation.objects.get() == generated
    assert User.objects.count() == users
