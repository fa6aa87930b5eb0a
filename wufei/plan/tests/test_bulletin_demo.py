"""The demo's bulletins: seed 004 as issue 56, and twelve monthly issues before ``today`` with
data sections where the month has figures; deterministic from the seed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from wufei.demo.bulletins import DEMO_MARK, bulletins_generate
from wufei.manifests.choices import State
from wufei.manifests.tests.world import hazardous_world, run_to
from wufei.plan.choices import BulletinStatus
from wufei.plan.models import Article, Bulletin

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)


def issues() -> list[tuple]:
    return list(
        Bulletin.objects.order_by("number").values_list("number", "issued_on", "status")
    ), list(Article.objects.order_by("bulletin__number", "order").values_list("title", "kind"))


def test_seed_issue_and_a_year_of_monthly_issues():
    counts = bulletins_generate(seed=3, today=TODAY)
    assert counts["plan.Bulletin"] == 13
    numbers = list(Bulletin.objects.order_by("number").values_list("number", flat=True))
    assert numbers == [56, *range(118, 130)]  # 2025-11 … 2026-10, one a month after 2020-09
    seed = Bulletin.objects.get(number=56)
    assert seed.status == BulletinStatus.PUBLISHED and seed.issued_on == date(2020, 9, 15)
    newest = Bulletin.objects.get(number=129)
    assert newest.status == BulletinStatus.DRAFT
    assert (newest.period_start, newest.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert newest.issued_on <= TODAY
    assert Bulletin.objects.filter(status=BulletinStatus.PUBLISHED).count() == 12
    invented = Article.objects.exclude(bulletin=seed).exclude(kind="data")
    assert invented.exists() and all(DEMO_MARK in a.body for a in invented)
    assert not Article.objects.filter(kind="data", data__empty=True).exists()


def test_data_sections_follow_the_demo_figures_and_generation_is_deterministic():
    w = hazardous_world()
    run_to(w, State.COMPLETED)
    today = timezone.localdate().replace(day=28) + timedelta(days=5)  # next month
    bulletins_generate(seed=3, today=today)
    sections = set(Article.objects.filter(kind="data").values_list("data_section", flat=True))
    assert "manifests" in sections and "sorting" not in sections
    first = issues()
    Article.objects.all().delete()
    Bulletin.objects.all().delete()
    bulletins_generate(seed=3, today=today)
    assert issues() == first
