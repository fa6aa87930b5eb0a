"""Container pages and API: register, pack, unpack, transform, scoped lists, label sheets."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import segno
from rest_framework.test import APIClient

from wufei.manifests.choices import State
from wufei.manifests.tests.world import HW_CODE, hazardous_world, run_to
from wufei.trace import codes, labels, ledger
from wufei.trace.choices import ContainerState, EventKind
from wufei.trace.models import Container, LedgerEvent

pytestmark = pytest.mark.django_db

API = "/api/v1/containers/"
PAGES = "/trace/containers/"


@pytest.fixture
def w():
    return hazardous_world()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def register(client, **overrides):
    body = {"kind": "drum", "stream": "hazardous", "waste_code": HW_CODE, "mass_kg": "120.5"}
    return client.post(API, {**body, **overrides}, format="json")


# --- API ----------------------------------------------------------------------------------


def test_register_signs_a_create_event_and_answers_the_container(w):
    response = register(api(w.clerk))
    assert response.status_code == 201, response.data
    body = response.data
    assert codes.is_valid(body["code"])
    assert body["holder"] == w.generator.pk and body["state"] == ContainerState.AT_SOURCE
    assert body["waste_code"] == HW_CODE and body["mass_kg"] == "120.500"
    assert body["trace_url"] == f"http://testserver/t/{body['code']}"
    event = LedgerEvent.objects.get(chain=body["code"])
    assert event.kind == EventKind.CREATE and event.actor_id == w.clerk.pk
    assert ledger.verify().ok


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"mass_kg": "0"}, 400, "mass_not_positive", "mass_kg"),
        ({"waste_code": "900-999-49"}, 400, "unknown_waste_code", "waste_code"),
        ({"stream": "kitchen"}, 400, "code_outside_stream", "waste_code"),
        ({"kind": "crate"}, 400, "invalid_choice", "kind"),
    ],
)
def test_register_refusals_name_the_field(w, overrides, status, code, field):
    response = register(api(w.clerk), **overrides)
    assert response.status_code == status
    assert (response.data["code"], response.data["field"]) == (code, field)
    assert not Container.objects.exists()


def test_officials_cannot_sign_for_a_party(w):
    response = register(api(w.city))
    assert response.status_code == 403
    assert response.data["code"] == "not_signer"
    assert register(APIClient()).status_code == 401


def test_lists_are_scoped_and_filtered(w):
    clerk = api(w.clerk)
    mine = register(clerk).data["code"]
    register(clerk, kind="bag", mass_kg="3")
    assert api(w.stranger).get(API).data["count"] == 0
    assert api(w.county_changge).get(API).data["count"] == 0
    assert api(w.county_weidu).get(API).data["count"] == 2
    assert clerk.get(API, {"kind": "bag"}).data["count"] == 1
    assert clerk.get(API, {"stream": "medical"}).data["count"] == 0
    assert clerk.get(API, {"state": "at_source"}).data["count"] == 2
    assert clerk.get(f"{API}{mine}/").data["code"] == mine
    assert clerk.get(f"{API}{mine.lower()}/").data["code"] == mine
    assert api(w.stranger).get(f"{API}{mine}/").status_code == 404


def test_pack_and_unpack_move_the_mass(w):
    clerk = api(w.clerk)
    small = [register(clerk, kind="box", mass_kg=m).data["code"] for m in ("2.5", "3.25")]
    packed = clerk.post(f"{API}pack/", {"children": small}, format="json")
    assert packed.status_code == 201, packed.data
    big = packed.data
    assert big["kind"] == "big_box" and Decimal(big["mass_kg"]) == Decimal("5.75")
    assert set(
        Container.objects.filter(parent__code=big["code"]).values_list("code", flat=True)
    ) == set(small)
    again = clerk.post(f"{API}pack/", {"children": small}, format="json")
    assert again.status_code == 400 and again.data["code"] == "container_state"
    out = clerk.post(
        f"{API}unpack/", {"parent": big["code"], "children": [small[0]]}, format="json"
    )
    assert out.status_code == 200, out.data
    assert [c["code"] for c in out.data] == [small[0]]
    assert Container.objects.get(code=big["code"]).mass_kg == Decimal("3.25")
    stranger = api(w.stranger).post(f"{API}unpack/", {"parent": big["code"]}, format="json")
    assert stranger.status_code == 400 and stranger.data["code"] == "unknown_code"


def test_transform_balances_mass_at_the_receiver(w):
    run_to(w, State.RECEIVED)
    stored = list(Container.objects.filter(holder=w.receiver).values_list("code", flat=True))
    receiver = api(w.receiver_clerk)
    body = {
        "inputs": stored,
        "outputs": [
            {"kind": "lot", "stream": "hazardous", "waste_code": "772-005-18", "mass_kg": "50"}
        ],
        "loss_kg": "300.5",
        "method": "D10",
        "facility": w.facility.pk,
    }
    response = receiver.post(f"{API}transform/", body, format="json")
    assert response.status_code == 201, response.data
    (lot,) = response.data
    assert lot["holder"] == w.receiver.pk and lot["waste_code"] == "772-005-18"
    assert set(Container.objects.filter(code__in=stored).values_list("state", flat=True)) == {
        ContainerState.TRANSFORMED
    }
    unbalanced = receiver.post(
        f"{API}transform/", {**body, "inputs": [lot["code"]], "loss_kg": "0"}, format="json"
    )
    assert unbalanced.status_code == 400 and unbalanced.data["code"] == "container_state"


def _dark_modules(svg: str) -> int:
    return sum(int(n) for n in re.findall(r"h(\d+)v1", svg))


def test_the_api_label_sheet_is_an_a4_svg_with_the_qr_of_each_trace_url(w):
    clerk = api(w.clerk)
    made = [register(clerk, mass_kg=str(i + 1)).data["code"] for i in range(2)]
    response = clerk.get(f"{API}labels.svg", {"codes": ",".join(made)})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert 'width="210mm" height="297mm"' in svg
    for code in made:
        assert f'data-code="{code}"' in svg and f">{code}</text>" in svg
    assert "魏都机械厂" in svg and HW_CODE in svg and "1 kg" in svg
    expected = sum(
        sum(row)
        for code in made
        for row in segno.make(f"http://testserver/t/{code}", error="m").matrix_iter(border=0)
    )
    assert _dark_modules(svg) == expected
    unknown = clerk.get(f"{API}labels.svg", {"codes": "WF0000000000"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_code"
    assert api(w.stranger).get(f"{API}labels.svg", {"codes": made[0]}).status_code == 400


def test_a_sheet_holds_24_labels_and_escapes_text():
    rows = [
        labels.Label(f"WF{i:010d}", "https://x/t/1", "<b>&", "1 kg", "某单位" * 20, "2025-01-01")
        for i in range(25)
    ]
    pages = labels.sheets(rows)
    assert len(pages) == 2
    assert pages[0].count("<g data-code=") == 24 and pages[1].count("<g data-code=") == 1
    assert "<b>" not in pages[0] and "&lt;b&gt;&amp;" in pages[0]
    assert "…" in pages[0]  # a long holder name is cut to fit
    assert labels.page_of(pages, "9") == (2, pages[1])
    assert labels.page_of(pages, "x") == (1, pages[0])


# --- pages --------------------------------------------------------------------------------


def test_register_page_redirects_to_the_label_sheet(w, client):
    client.force_login(w.clerk)
    assert client.get(f"{PAGES}new/").status_code == 200
    response = client.post(
        f"{PAGES}new/",
        {"kind": "drum", "stream": w.stream.pk, "waste_code": HW_CODE, "mass_kg": "80"},
    )
    assert response.status_code == 302
    container = Container.objects.get()
    assert response["Location"] == f"{PAGES}labels/?codes={container.code}"
    sheet = client.get(response["Location"])
    assert sheet.status_code == 200
    html = sheet.content.decode()
    assert "<svg" in html and container.code in html and f"{container.code}/qr.pdf" in html
    pdf = client.get(f"{PAGES}{container.code}/qr.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    download = client.get(f"{PAGES}labels.svg", {"codes": container.code})
    assert download["Content-Type"] == "image/svg+xml" and b"<svg" in download.content


def test_register_page_shows_service_errors_on_fields(w, client):
    client.force_login(w.clerk)
    body = {"kind": "drum", "stream": w.stream.pk, "waste_code": HW_CODE, "mass_kg": "0"}
    response = client.post(f"{PAGES}new/", body)
    assert response.status_code == 200
    assert "质量须大于 0 千克" in response.content.decode()
    response = client.post(f"{PAGES}new/", {**body, "mass_kg": "1", "waste_code": "900-999-49"})
    assert "不在现行废物名录中" in response.content.decode()
    assert not Container.objects.exists()


def test_list_page_is_scoped_filtered_and_exports(w, client):
    clerk = api(w.clerk)
    code = register(clerk).data["code"]
    register(clerk, kind="bag", mass_kg="1")
    client.force_login(w.clerk)
    page = client.get(PAGES, {"kind": "drum"})
    assert page.status_code == 200
    html = page.content.decode()
    assert code in html and 'data-total="1"' in html and "登记容器" in html
    assert client.get(PAGES, {"format": "xlsx"})["Content-Type"].startswith("application/vnd")
    client.force_login(w.stranger)
    assert 'data-total="0"' in client.get(PAGES).content.decode()
    client.force_login(w.city)
    html = client.get(PAGES).content.decode()
    assert 'data-total="2"' in html and "登记容器" not in html
    assert client.get(f"{PAGES}new/").status_code == 403
    client.logout()
    assert client.get(PAGES).status_code == 302


def test_pack_unpack_and_transform_pages(w, client):
    clerk = api(w.clerk)
    small = [register(clerk, kind="box", mass_kg=m).data["code"] for m in ("1", "2")]
    client.force_login(w.clerk)
    form = client.get(f"{PAGES}pack/").content.decode()
    assert all(code in form for code in small)
    response = client.post(f"{PAGES}pack/", {"children": small, "kind": "big_box"})
    assert response.status_code == 302
    big = Container.objects.get(kind="big_box")
    assert big.mass_kg == Decimal("3")
    assert big.code in client.get(f"{PAGES}unpack/").content.decode()
    response = client.post(f"{PAGES}unpack/", {"parent": big.code, "children": small[1]})
    assert response.status_code == 302
    assert Container.objects.get(code=small[1]).state == ContainerState.AT_SOURCE

    run_to(w, State.RECEIVED)
    stored = list(Container.objects.filter(holder=w.receiver).values_list("code", flat=True))
    client.force_login(w.receiver_clerk)
    assert client.get(f"{PAGES}transform/").status_code == 200
    data = {
        "inputs": stored,
        "method": w.method.pk,
        "facility": w.facility.pk,
        "loss_kg": "0",
        "out-TOTAL_FORMS": "5",
        "out-INITIAL_FORMS": "0",
        "out-0-kind": "lot",
        "out-0-stream": w.stream.pk,
        "out-0-mass_kg": "100",
    }
    refused = client.post(f"{PAGES}transform/", data)
    assert refused.status_code == 200 and "质量不平衡" in refused.content.decode()
    done = client.post(f"{PAGES}transform/", {**data, "loss_kg": "250.5"})
    assert done.status_code == 302
    assert Container.objects.filter(holder=w.receiver, kind="lot", mass_kg=100).exists()


def test_label_pick_page_and_unknown_codes(w, client):
    code = register(api(w.clerk)).data["code"]
    client.force_login(w.clerk)
    pick = client.get(f"{PAGES}labels/").content.decode()
    assert code in pick
    sheet = client.get(f"{PAGES}labels/", {"typed": code.lower()})
    assert 'class="label-sheet"' in sheet.content.decode()
    unknown = client.get(f"{PAGES}labels/", {"codes": "WF0000000000"})
    assert unknown.status_code == 200 and "不存在" in unknown.content.decode()
    assert client.get(f"{PAGES}WF0000000000/qr.pdf").status_code == 404
