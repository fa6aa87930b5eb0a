"""The assessment and credit pages: who sees what, the explained score, rule edits with
bad input refused, the mid-term .docx, and an enterprise seeing only its own credit."""

import io
from datetime import date

import pytest
from docx import Document

from wufei.accounts.tests.factories import UserFactory
from wufei.plan import assessment, credit
from wufei.plan.models import CreditScore, ScoringRule
from wufei.plan.tests import assessment_world
from wufei.registry.tests.factories import PartyFactory

pytestmark = pytest.mark.django_db
land = assessment_world.land
Q2 = {"period_start": date(2020, 4, 1), "period_end": date(2020, 6, 30)}


@pytest.fixture
def scored(land):
    land.milestone(title="完成堆存场所排查", due_on=date(2020, 5, 31))
    assessment.assess(**Q2, today=date(2020, 7, 10))
    return land


def test_ranking_and_explained_score(client, scored):
    client.force_login(scored.city)
    page = client.get("/plan/assessment/?start=2020-04-01&end=2020-06-30")
    assert page.status_code == 200
    body = page.content.decode()
    assert "许昌市生态环境局" in body and "魏都区人民政府" in body
    score = scored.ecology.scores.get()
    detail = client.get(f"/plan/assessment/scores/{score.pk}/").content.decode()
    assert "完成堆存场所排查" in detail and "未达标" in detail and "50.00" in detail


def test_a_county_official_sees_only_its_county_score(client, scored):
    client.force_login(scored.county)
    body = client.get("/plan/assessment/").content.decode()
    assert "魏都区人民政府" in body and "许昌市生态环境局" not in body
    other = scored.ecology.scores.get()
    assert client.get(f"/plan/assessment/scores/{other.pk}/").status_code == 404


def test_rule_edit_refuses_bad_input_and_saves_good(client, land):
    rule = ScoringRule.objects.get(code="reports-filed")
    client.force_login(land.city)
    bad = client.post(
        f"/plan/assessment/rules/{rule.pk}/",
        {f"r{rule.pk}-weight": "-1", f"r{rule.pk}-params": '{"due_day": 5}'},
        follow=True,
    )
    assert "分值应为0到100之间的数" in bad.content.decode()
    unknown = client.post(
        f"/plan/assessment/rules/{rule.pk}/",
        {
            f"r{rule.pk}-weight": "15",
            f"r{rule.pk}-params": '{"due": 5}',
            f"r{rule.pk}-is_active": "on",
        },
        follow=True,
    )
    assert "没有参数“due”" in unknown.content.decode()
    rule.refresh_from_db()
    assert str(rule.weight) == "20.00"
    client.post(
        f"/plan/assessment/rules/{rule.pk}/",
        {
            f"r{rule.pk}-weight": "15",
            f"r{rule.pk}-params": '{"due_day": 10}',
            f"r{rule.pk}-is_active": "on",
        },
    )
    rule.refresh_from_db()
    assert (str(rule.weight), rule.params) == ("15.00", {"due_day": 10})
    client.force_login(land.county)
    assert client.post(f"/plan/assessment/rules/{rule.pk}/", {}).status_code == 403


def test_compute_from_the_page_and_midterm_docx(client, land):
    client.force_login(land.city)
    client.post(
        "/plan/assessment/compute/", {"period_start": "2020-01-01", "period_end": "2020-03-31"}
    )
    assert land.ecology.scores.filter(period_start=date(2020, 1, 1)).exists()
    response = client.get("/plan/assessment/midterm.docx?start=2019-05-01&end=2020-06-30")
    assert response.status_code == 200
    doc = Document(io.BytesIO(response.content))
    assert "中期评估报告" in doc.paragraphs[0].text
    client.force_login(land.county)
    assert client.get("/plan/assessment/midterm.docx").status_code == 403


def test_credit_pages_officials_and_the_party_itself(client, land):
    mine, other = PartyFactory(name="甲化工有限公司"), PartyFactory(name="乙再生资源公司")
    credit.credit_evaluate(year=2020, today=date(2021, 1, 10), parties=[mine, other])
    client.force_login(land.city)
    listing = client.get("/plan/credit/?year=2020&level=green").content.decode()
    assert "甲化工有限公司" in listing and "乙再生资源公司" in listing
    assert client.get("/plan/credit/rules/").status_code == 200
    clerk = UserFactory(role="enterprise", party=mine)
    client.force_login(clerk)
    assert client.get("/plan/credit/").status_code == 302  # to its own page
    own = client.get("/plan/credit/mine/").content.decode()
    assert "甲化工有限公司" in own and "乙再生资源公司" not in own
    other_score = CreditScore.objects.get(party=other)
    assert client.get(f"/plan/credit/{other_score.pk}/").status_code == 404
    client.logout()
    assert client.get("/plan/credit/").status_code == 302  # to the login


def test_the_api_lists_scores_and_only_the_partys_own_credit(client, scored):
    client.force_login(scored.county)
    scores = client.get("/api/v1/plan/scores/?period_start=2020-04-01").json()
    assert [r["unit_name"] for r in scores["results"]] == ["魏都区人民政府"]
    mine, other = PartyFactory(), PartyFactory()
    credit.credit_evaluate(year=2020, today=date(2021, 1, 10), parties=[mine, other])
    client.force_login(UserFactory(role="enterprise", party=mine))
    rows = client.get("/api/v1/plan/credit/").json()["results"]
    assert [r["party"] for r in rows] == [mine.pk]
