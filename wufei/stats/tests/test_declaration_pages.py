"""The declaration pages: list (filters, export, what waits for review), detail with the
review actions and history, the entry form per kind with errors on their cells, the import
page with its report, and the template download."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from wufei.stats import declarations as s
from wufei.stats.models import Declaration
from wufei.stats.tests.test_declaration_import import industrial_rows, xlsx
from wufei.stats.tests.test_declarations import (
    IND_CODE,
    YEAR,
    World,
    counts,
    declaration_world,
    industrial,
)

pytestmark = pytest.mark.django_db

LIST = "/stats/declarations/"
NEW = "/stats/declarations/new/"
IMPORT = "/stats/declarations/import/"


@pytest.fixture
def w() -> World:
    return declaration_world()


def as_(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- list and export ---------------------------------------------------------------------------


def test_the_list_shows_the_actors_rows_with_filters_and_exports_them(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    html = page(as_(w.ent).get(LIST))
    assert f'href="/stats/declarations/{d.pk}/"' in html
    assert "一般工业固体废物产生与利用处置" in html and 'name="kind"' in html
    assert 'name="year"' in html and 'name="status"' in html
    assert "待我审核" not in html
    assert f'href="/stats/declarations/{d.pk}/"' not in page(as_(w.ent_other).get(LIST))
    assert f'href="/stats/declarations/{d.pk}/"' not in page(
        as_(w.ent).get(LIST, {"status": "draft"})
    )
    review = page(as_(w.ecology).get(LIST))
    assert 'data-testid="to-review"' in review
    response = as_(w.ent).get(LIST, {"kind": "industrial", "format": "xlsx"})
    assert response.status_code == 200 and response["X-Row-Count"] == "1"
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "申报类型：一般工业固体废物产生与利用处置" in sheet["A2"].value


def test_the_list_needs_a_login_and_a_role(w):
    assert as_(None).get(LIST).status_code == 302
    assert as_(w.public).get(LIST).status_code == 403


# --- detail and actions -------------------------------------------------------------------------


def test_the_detail_shows_lines_actions_and_history(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w))
    html = page(as_(w.ent).get(f"{LIST}{d.pk}/"))
    assert IND_CODE in html and "其中：综合利用往年贮存量" in html
    assert 'data-testid="edit"' in html and 'data-action="submit"' in html
    assert 'data-action="accept"' not in html
    assert 'id="history"' in html
    response = as_(w.ent).post(f"{LIST}{d.pk}/submit/")
    assert response.status_code == 302
    reviewer = page(as_(w.ecology).get(f"{LIST}{d.pk}/"))
    assert 'data-action="accept"' in reviewer and 'data-action="return"' in reviewer
    assert 'data-testid="edit"' not in reviewer
    assert as_(w.ent_other).get(f"{LIST}{d.pk}/").status_code == 404


def test_review_actions_post_and_refusals_show_their_message(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w), submit=True)
    html = page(as_(w.ecology).post(f"{LIST}{d.pk}/return/", {"note": ""}))
    assert "请填写退回原因" in html
    assert Declaration.objects.get(pk=d.pk).status == "submitted"
    response = as_(w.ecology).post(f"{LIST}{d.pk}/accept/", {"note": "好"})
    assert response.status_code == 302
    assert Declaration.objects.get(pk=d.pk).status == "accepted"
    assert as_(w.ent).post(f"{LIST}{d.pk}/return/", {"note": "x"}).status_code == 403
    assert as_(w.ecology).post(f"{LIST}{d.pk}/nothing/").status_code == 404


# --- the entry form ------------------------------------------------------------------------------


def _grid(values: dict[str, str], row: int = 0, code: str = IND_CODE, unit: str = "t") -> dict:
    data = {f"c{row}": code, f"u{row}": unit}
    data.update({f"v{row}_{item}": value for item, value in values.items()})
    return data


BALANCED = {
    "generated": "100",
    "utilised": "70",
    "utilised_prior": "5",
    "stored": "10",
    "disposed_landfill": "20",
    "disposed_other": "10",
    "disposed_prior": "5",
}


def test_the_kind_choice_offers_what_the_actor_may_declare(w):
    html = page(as_(w.ent).get(NEW))
    assert 'data-kind="industrial"' in html and 'data-kind="hazardous"' in html
    assert 'data-kind="agriculture"' not in html
    assert 'data-kind="agriculture"' in page(as_(w.agriculture).get(NEW))
    assert as_(w.public).get(NEW).status_code == 403


def test_an_enterprise_fills_the_per_code_grid_and_submits(w):
    html = page(as_(w.ent).get(NEW, {"kind": "industrial"}))
    assert 'name="v0_generated"' in html and 'name="c4"' in html and "dc-codes" in html
    data = {"kind": "industrial", "rows": "5", "year": str(YEAR), "action": "submit"}
    data.update(_grid(BALANCED))
    response = as_(w.ent).post(NEW, data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    d = Declaration.objects.get()
    assert (d.status, d.party, d.lines.count()) == ("submitted", w.factory, 7)


def test_errors_land_on_their_cells_and_nothing_is_written(w):
    before = counts()
    data = {"kind": "industrial", "rows": "5", "year": str(YEAR), "action": "save"}
    data.update(_grid({**BALANCED, "stored": "-1"}))
    html = page(as_(w.ent).post(NEW, data))
    assert "数值不能为负数" in html
    assert counts() == before
    data.update(_grid({**BALANCED, "generated": "150"}), action="submit")
    html = page(as_(w.ent).post(NEW, data))
    assert 'data-testid="rule-error"' in html and "不平衡" in html
    data.update(_grid(BALANCED, code="999-999-S05"))
    assert "不在" in page(as_(w.ent).post(NEW, data))
    assert counts() == before


def test_a_department_fills_items_with_units(w):
    html = page(as_(w.agriculture).get(NEW, {"kind": "agriculture"}))
    assert 'name="v_straw_utilised"' in html and "万吨" in html
    data = {
        "kind": "agriculture",
        "year": str(YEAR),
        "action": "save",
        "v_straw_collectable": "2",
        "u_straw_collectable": "万吨",
        "v_villages_total": "12",
        "u_villages_total": "个",
    }
    response = as_(w.agriculture).post(NEW, data)
    assert response.status_code == 302
    d = Declaration.objects.get()
    assert d.lines.get(item="straw_collectable").value == Decimal(20000)
    assert d.region == w.city_region


def test_city_officials_choose_the_party(w):
    html = page(as_(w.city).get(NEW, {"kind": "industrial"}))
    assert 'name="party"' in html
    data = {"kind": "industrial", "rows": "5", "year": str(YEAR), "party": w.other.pk}
    data.update(_grid(BALANCED))
    assert as_(w.city).post(NEW, data).status_code == 302
    assert Declaration.objects.get().party == w.other


def test_editing_a_draft_and_only_a_draft(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w))
    html = page(as_(w.ent).get(f"{LIST}{d.pk}/edit/"))
    assert f'value="{IND_CODE}"' in html and 'value="100"' in html
    data = {"kind": "industrial", "rows": "5", "action": "submit", "note": "改"}
    data.update(_grid({**BALANCED, "generated": "101", "stored": "11"}))
    response = as_(w.ent).post(f"{LIST}{d.pk}/edit/", data)
    assert response.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.note, d.lines.get(item="stored").value) == ("submitted", "改", 11)
    assert as_(w.ent).get(f"{LIST}{d.pk}/edit/").status_code == 403


def test_a_failed_submission_keeps_the_draft_unchanged(w):
    d = s.declaration_create(actor=w.ent, data=industrial(w))
    data = {"kind": "industrial", "rows": "5", "action": "submit"}
    data.update(_grid({**BALANCED, "generated": "150"}))
    assert "不平衡" in page(as_(w.ent).post(f"{LIST}{d.pk}/edit/", data))
    d.refresh_from_db()
    assert d.status == "draft" and d.lines.get(item="generated").value == 100


# --- import and template ----------------------------------------------------------------------


def test_the_import_page_reports_created_declarations_and_issues(w):
    html = page(as_(w.ent).get(IMPORT))
    assert 'data-template="industrial"' in html and 'name="mode"' in html
    response = as_(w.ent).post(
        IMPORT,
        {"kind": "industrial", "mode": "all_or_nothing", "file": xlsx(industrial_rows(w.factory))},
    )
    html = page(response)
    assert 'data-ok="true"' in html and 'data-testid="created"' in html
    assert Declaration.objects.count() == 1
    rows = [list(r) for r in industrial_rows(w.factory, year=YEAR - 1)]
    rows[0][3] = "产量"
    html = page(
        as_(w.ent).post(
            IMPORT, {"kind": "industrial", "mode": "all_or_nothing", "file": xlsx(rows)}
        )
    )
    assert 'data-code="unknown_item"' in html and "未写入任何数据" in html
    assert Declaration.objects.count() == 1


def test_the_import_page_shows_file_errors(w):
    upload = xlsx(industrial_rows(w.factory), headers=["甲", "乙"])
    html = page(
        as_(w.ent).post(IMPORT, {"kind": "industrial", "mode": "all_or_nothing", "file": upload})
    )
    assert 'data-testid="file-error"' in html and "表头不符合" in html
    assert as_(w.public).get(IMPORT).status_code == 403


def test_the_template_downloads(w):
    response = as_(w.ent).get("/stats/declarations/template/hazardous/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["填报", "说明", "废物代码"]
    assert as_(w.ent).get("/stats/declarations/template/nothing/").status_code == 404


def test_city_officials_declare_monthly_history_for_a_county(w):
    html = page(as_(w.city).get(NEW, {"kind": "history"}))
    assert 'name="month"' in html and "全年" in html and 'name="region"' in html
    data = {
        "kind": "history",
        "year": str(YEAR),
        "month": "2",
        "region": w.weidu.pk,
        "action": "submit",
        "v_generated_household": "3100",
        "u_generated_household": "t",
    }
    assert as_(w.city).post(NEW, data).status_code == 302
    d = Declaration.objects.get()
    assert (d.region, d.period_start.month, d.status) == (w.weidu, 2, "submitted")
    assert 'name="month"' not in page(as_(w.city).get(NEW, {"kind": "statistics"}))
