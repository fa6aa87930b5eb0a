"""The manifest pages: each role's rows and actions, a full lifecycle through the forms,
refusals that write nothing, and the Excel export of the scoped rows."""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wufei.accounts.tests.factories import UserFactory
from wufei.alerts.choices import Rule
from wufei.alerts.models import Alert
from wufei.manifests import services
from wufei.manifests.choices import RevisionStatus, State
from wufei.manifests.models import Manifest
from wufei.manifests.tests.world import hazardous_world, run_to
from wufei.registry.models import WasteCode
from wufei.registry.tests import factories
from wufei.trace import ledger
from wufei.trace.models import Container, LedgerEvent

pytestmark = pytest.mark.django_db

LIST = reverse("manifests:manifest_list")
EXPORT = reverse("manifests:manifest_export")
CREATE = reverse("manifests:manifest_create")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w():
    return hazardous_world()


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def detail(m) -> str:
    return reverse("manifests:manifest_detail", args=[m.pk])


def step(m, key: str) -> str:
    return reverse(f"manifests:manifest_{key}", args=[m.pk])


def numbers(response) -> list[str]:
    return re.findall(r'data-number="([^"]+)"', response.content.decode())


def actions(response) -> set[str]:
    return set(re.findall(r'data-action="([^"]+)"', response.content.decode()))


def fresh(m) -> Manifest:
    return Manifest.objects.get(pk=m.pk)


# --- who sees what --------------------------------------------------------------------------


def test_each_role_lists_the_rows_in_its_scope(w, as_user, client):
    m = run_to(w, State.SUBMITTED)
    seeing = [w.clerk, w.carrier, w.driver, w.receiver_clerk, w.county_weidu, w.county_changge]
    for user in [*seeing, w.city, w.ecology]:
        response = as_user(user).get(LIST)
        assert response.status_code == 200
        assert m.number in numbers(response), user.role
    for user in (w.stranger, w.county_other):
        response = as_user(user).get(LIST)
        assert response.status_code == 200
        assert numbers(response) == []
    assert as_user(w.public).get(LIST).status_code == 403
    client.logout()
    assert client.get(LIST).status_code == 302


def test_the_list_counts_states_filters_and_pages(w, as_user):
    draft = run_to(w, State.DRAFT)
    done = run_to(w, State.COMPLETED)
    client = as_user(w.city)
    page = client.get(LIST).content.decode()
    assert re.search(r'data-state-count="1"><span>草稿</span>', page)
    assert re.search(r'data-state-count="1"><span>已完成</span>', page)
    assert re.search(r'data-state-count="2"><span>全部</span>', page)
    assert numbers(client.get(LIST, {"state": "completed"})) == [done.number]
    assert numbers(client.get(LIST, {"number": draft.number[-6:]})) == [draft.number]
    assert numbers(client.get(LIST, {"flow": "kitchen"})) == []
    assert numbers(client.get(LIST, {"region": "411082"})) != []  # the receiver's county
    assert numbers(client.get(LIST, {"region": "411024"})) == []
    assert numbers(client.get(LIST, {"stream": "medical"})) == []
    assert len(numbers(client.get(LIST, {"stream": "hazardous"}))) == 2
    bad = client.get(LIST, {"created_after": "not-a-date"})
    assert numbers(bad) == [] and "field-error" in bad.content.decode()
    # A county official picks only among its own regions.
    county = as_user(w.county_weidu).get(LIST, {"region": "411082"})
    assert numbers(county) == []


def test_enterprise_users_see_their_pending_block_and_the_flow_chooser(w, as_user):
    draft = run_to(w, State.DRAFT)
    submitted = run_to(w, State.SUBMITTED)
    clerk_page = as_user(w.clerk).get(LIST).content.decode()
    pending = clerk_page.split('id="pending"')[1].split("</section>")[0]
    assert draft.number in pending and submitted.number not in pending
    assert 'id="new-manifest"' in clerk_page and "危险废物转移" in clerk_page
    driver_page = as_user(w.driver).get(LIST).content.decode()
    pending = driver_page.split('id="pending"')[1].split("</section>")[0]
    assert submitted.number in pending and draft.number not in pending
    assert 'id="new-manifest"' not in driver_page  # drivers do not fill in manifests
    city_page = as_user(w.city).get(LIST).content.decode()
    assert 'id="pending"' not in city_page and 'id="new-manifest"' not in city_page
    chooser = as_user(w.clerk).get(CREATE)
    assert chooser.status_code == 200 and "?flow=medical" in chooser.content.decode()


def test_each_party_sees_only_the_actions_it_can_take(w, as_user):
    m = run_to(w, State.SUBMITTED)
    expected = {
        w.clerk: {"cancel", "correct"},
        w.carrier: {"pick_up", "correct"},
        w.driver: {"pick_up"},
        w.receiver_clerk: {"correct"},
        w.city: set(),
        w.county_weidu: set(),
    }
    for user, keys in expected.items():
        assert actions(as_user(user).get(detail(m))) == keys, user
    assert as_user(w.stranger).get(detail(m)).status_code == 404
    # The pick-up code is for the generator's eyes only.
    assert 'data-testid="signing-code"' in as_user(w.clerk).get(detail(m)).content.decode()
    for user in (w.driver, w.carrier, w.city):
        assert 'data-testid="signing-code"' not in as_user(user).get(detail(m)).content.decode()
    draft = run_to(w, State.DRAFT)
    assert actions(as_user(w.clerk).get(detail(draft))) == {"submit", "cancel"}
    received = run_to(w, State.RECEIVED)
    assert actions(as_user(w.receiver_clerk).get(detail(received))) == {"complete", "correct"}


def test_pick_up_offers_the_transporters_active_vehicles_and_complete_the_flows_methods(w, as_user):
    other = factories.VehicleFactory(party=w.transporter, kind="hazmat", is_active=False)
    foreign = factories.VehicleFactory(party=w.receiver, kind="hazmat")
    m = run_to(w, State.SUBMITTED)
    page = as_user(w.driver).get(detail(m)).content.decode()
    assert w.vehicle.plate in page
    assert re.search(rf'<option value="{w.vehicle.pk}" selected>', page)  # the only one
    assert other.plate not in page and foreign.plate not in page
    m = run_to(w, State.RECEIVED, manifest=run_to(w, State.IN_TRANSIT))
    page = as_user(w.receiver_clerk).get(detail(m)).content.decode()
    form = page.split('data-action="complete"')[1].split("</form>")[0]
    assert ">D10 " in form and "G-INC" not in form and "G-STORE" not in form


# --- the lifecycle through the forms ----------------------------------------------------------


def _create_post(w, key: str, action: str, **extra) -> dict:
    data = {
        "flow": "hazardous",
        "idempotency_key": key,
        "stream": w.stream.pk,
        "waste_code": "900-041-49",
        "generator_site": w.generator_site.pk,
        "transporter": w.transporter.pk,
        "receiver": w.receiver.pk,
        "receiver_facility": w.facility.pk,
        "description": "废矿物油桶",
        "note": "",
        "action": action,
        "containers-TOTAL_FORMS": "10",
        "containers-INITIAL_FORMS": "0",
        "containers-MIN_NUM_FORMS": "0",
        "containers-MAX_NUM_FORMS": "10",
        "containers-0-kind": "drum",
        "containers-0-mass_kg": "200",
        "containers-1-kind": "drum",
        "containers-1-mass_kg": "150.5",
    }
    data.update(extra)
    return data


def test_a_manifest_runs_its_whole_life_through_the_page_forms(w, as_user):
    clerk = as_user(w.clerk)
    form = clerk.get(CREATE, {"flow": "hazardous"})
    assert form.status_code == 200
    page = form.content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    assert w.transporter.name in page and w.receiver.name in page
    response = clerk.post(f"{CREATE}?flow=hazardous", _create_post(w, key, "submit"))
    m = Manifest.objects.get(generator=w.generator)
    assert response.status_code == 302 and response["Location"] == detail(m)
    assert m.state == State.SUBMITTED and m.declared_kg == Decimal("350.5")
    assert m.items.count() == 2
    # A double click sends the same key again: no second manifest.
    again = clerk.post(f"{CREATE}?flow=hazardous", _create_post(w, key, "submit"))
    assert again["Location"] == detail(m)
    assert Manifest.objects.filter(generator=w.generator).count() == 1

    # The driver reads the code off the clerk's phone.
    shown = clerk.get(detail(m)).content.decode()
    code = re.search(r'data-testid="signing-code">(\d{6})<', shown).group(1)
    driver = as_user(w.driver)
    picked = driver.post(
        step(m, "pick_up"),
        {"signing_code": code, "pickup_kg": "350.5", "vehicle": w.vehicle.pk},
    )
    assert picked.status_code == 302
    assert fresh(m).state == State.PICKED_UP and fresh(m).driver == w.driver
    assert driver.post(step(m, "depart")).status_code == 302
    assert fresh(m).state == State.IN_TRANSIT

    receiver = as_user(w.receiver_clerk)
    received = receiver.post(
        step(m, "receive"), {"received_kg": "320", "accepted_kg": "", "reason": ""}
    )
    assert received.status_code == 302
    m = fresh(m)
    assert m.state == State.RECEIVED and m.received_kg == Decimal("320")
    assert Alert.objects.filter(rule=Rule.WEIGHT_GAP, subject_id=str(m.pk)).exists()
    page = receiver.get(detail(m)).content.decode()
    assert "-8.7%" in page  # (320 - 350.5) / 350.5
    assert receiver.post(step(m, "complete"), {"method": w.method.pk}).status_code == 302
    m = fresh(m)
    assert m.state == State.COMPLETED and m.method == w.method
    assert set(
        Container.objects.filter(manifest_items__manifest=m).values_list("state", flat=True)
    ) == {"treated"}
    timeline = receiver.get(detail(m)).content.decode().split('id="events"')[1]
    for label in ("登记", "提交", "起运签收", "在途", "接收", "利用处置完成"):
        assert f"<b>{label}</b>" in timeline
    last = LedgerEvent.objects.filter(chain=m.number).order_by("-seq").first()
    assert f"#{last.hash[:12]}" in timeline
    assert ledger.verify().ok


def test_a_draft_is_saved_then_submitted_from_its_page(w, as_user):
    clerk = as_user(w.clerk)
    clerk.post(f"{CREATE}?flow=hazardous", _create_post(w, "k-draft", "draft"))
    m = Manifest.objects.get(generator=w.generator)
    assert m.state == State.DRAFT
    assert clerk.post(step(m, "submit")).status_code == 302
    assert fresh(m).state == State.SUBMITTED


def test_containers_already_held_are_carried_by_their_code(w, as_user):
    first = run_to(w, State.DRAFT)
    code = first.items.first().container.code
    services.manifest_cancel(actor=w.clerk, manifest=first, reason="改用新联单")
    data = _create_post(
        w,
        "k-carry",
        "draft",
        **{"containers-1-kind": "", "containers-1-mass_kg": "", "containers-1-code": code},
    )
    response = as_user(w.clerk).post(f"{CREATE}?flow=hazardous", data)
    assert response.status_code == 302
    m = Manifest.objects.exclude(pk=first.pk).get(generator=w.generator)
    assert m.items.filter(container__code=code).exists() and m.items.count() == 2


# --- refusals ---------------------------------------------------------------------------------


def _events() -> int:
    return LedgerEvent.objects.count()


def test_a_wrong_signing_code_is_refused_in_chinese_and_writes_nothing(w, as_user):
    m = run_to(w, State.SUBMITTED)
    before = _events()
    response = as_user(w.driver).post(
        step(m, "pick_up"),
        {
            "signing_code": "000000" if services.signing_code(m) != "000000" else "111111",
            "pickup_kg": "350.5",
            "vehicle": w.vehicle.pk,
        },
    )
    assert response.status_code == 200
    assert "交接码不正确" in response.content.decode()
    assert fresh(m).state == State.SUBMITTED and _events() == before


def test_form_level_refusals_write_nothing(w, as_user):
    m = run_to(w, State.IN_TRANSIT)
    before = _events()
    receiver = as_user(w.receiver_clerk)
    short = receiver.post(step(m, "receive"), {"received_kg": "300", "accepted_kg": "200"})
    assert "部分接收或拒收须填写原因" in short.content.decode()
    too_much = receiver.post(step(m, "receive"), {"received_kg": "300", "accepted_kg": "400"})
    assert "接收量须在 0 与过磅量之间" in too_much.content.decode()
    assert fresh(m).state == State.IN_TRANSIT and _events() == before
    # An official posting a party's step gets the service's refusal, not a write.
    official = as_user(w.city).post(step(m, "receive"), {"received_kg": "300"})
    assert official.status_code == 200 and "此步骤须由接收单位签名" in official.content.decode()
    # A party that may not see the manifest gets 404.
    assert as_user(w.stranger).post(step(m, "depart")).status_code == 404
    # A step out of turn is refused with the state named.
    late = as_user(w.clerk).post(step(m, "cancel"), {"reason": "不要了"})
    assert "不能撤销" in late.content.decode()
    assert fresh(m).state == State.IN_TRANSIT and _events() == before


def test_a_refused_new_manifest_keeps_the_input_and_writes_nothing(w, as_user):
    clerk = as_user(w.clerk)
    stranger_receiver = factories.PartyFactory(name="无证单位", is_receiver=False)
    bad_mass = _create_post(w, "k1", "submit", **{"containers-0-mass_kg": "0"})
    response = clerk.post(f"{CREATE}?flow=hazardous", bad_mass)
    page = response.content.decode()
    assert response.status_code == 200 and "质量须大于 0 千克" in page
    assert 'value="废矿物油桶"' in page  # the input is kept
    unknown_code = _create_post(w, "k2", "submit", waste_code="999-999-99")
    assert "废物代码 999-999-99 不存在" in clerk.post(CREATE, unknown_code).content.decode()
    half_row = _create_post(w, "k3", "submit", **{"containers-2-mass_kg": "5"})
    assert "请选择容器类型" in clerk.post(CREATE, half_row).content.decode()
    folded = _create_post(w, "k3b", "submit", **{"containers-5-mass_kg": "5"})
    page = clerk.post(CREATE, folded).content.decode()
    assert '<details class="mf-more" open>' in page and "请选择容器类型" in page
    no_rows = _create_post(
        w,
        "k4",
        "submit",
        **{f"containers-{i}-{f}": "" for i in (0, 1) for f in ("kind", "mass_kg")},
    )
    assert "请至少填写一件容器" in clerk.post(CREATE, no_rows).content.decode()
    outsider = _create_post(w, "k5", "submit", receiver=stranger_receiver.pk)
    assert "field-error" in clerk.post(CREATE, outsider).content.decode()
    assert not Manifest.objects.exists() and not Container.objects.exists()
    # Only enterprise users fill in manifests: the service's refusal, shown on the form.
    official = as_user(w.city).post(CREATE, _create_post(w, "k6", "submit", generator_site=""))
    assert "只有产生单位的企业用户可以填报联单" in official.content.decode()
    assert not Manifest.objects.exists()


def test_a_permit_refusal_at_submission_is_shown_and_nothing_is_written(w, as_user):
    other = WasteCode.objects.filter(category__stream=w.stream).exclude(code=w.code.code).first()
    w.receiver_permit.waste_codes.set([other])
    response = as_user(w.clerk).post(CREATE, _create_post(w, "k-permit", "submit"))
    assert response.status_code == 200
    receiver_row = response.content.decode().split('data-field="receiver"')[1].split("</div>")[0]
    assert "900-041-49" in receiver_row and "field-error" in receiver_row
    assert not Manifest.objects.exists() and not Container.objects.exists()


# --- corrections -----------------------------------------------------------------------------


def test_a_correction_is_proposed_and_approved_by_every_party_through_the_pages(w, as_user):
    m = run_to(w, State.RECEIVED, received_kg="320")
    receiver = as_user(w.receiver_clerk)
    bad = receiver.post(step(m, "correct"), {"field": "received_kg", "value": "-3", "reason": "x"})
    assert "质量须大于 0 千克" in bad.content.decode()
    response = receiver.post(
        step(m, "correct"), {"field": "received_kg", "value": "350", "reason": "地磅读数录错"}
    )
    assert response.status_code == 302
    revision = m.revisions.get(status=RevisionStatus.PENDING)
    assert actions(receiver.get(detail(m))) == {"complete"}  # it approved by proposing
    for user in (w.clerk, w.carrier):
        page = as_user(user).get(detail(m))
        assert {"approve", "reject"} <= actions(page)
        url = reverse("manifests:manifest_approve", args=[m.pk, revision.pk])
        assert as_user(user).post(url).status_code == 302
    m = fresh(m)
    assert m.version == 2 and m.received_kg == Decimal("350")
    page = as_user(w.city).get(detail(m)).content.decode()
    assert "已生效" in page and "第 2 版" in page
    # Approving a correction already applied is refused, on the page, with nothing written.
    before = _events()
    late = as_user(w.clerk).post(url)
    assert late.status_code == 200 and "该更正已处理" in late.content.decode()
    assert _events() == before


def test_a_correction_rejected_needs_a_reason(w, as_user):
    m = run_to(w, State.RECEIVED)
    as_user(w.receiver_clerk).post(
        step(m, "correct"), {"field": "received_kg", "value": "360", "reason": "复磅"}
    )
    revision = m.revisions.get(status=RevisionStatus.PENDING)
    url = reverse("manifests:manifest_reject", args=[m.pk, revision.pk])
    clerk = as_user(w.clerk)
    assert "field-error" in clerk.post(url, {"reason": ""}).content.decode()
    assert clerk.post(url, {"reason": "与出厂磅单不符"}).status_code == 302
    assert fresh(m).version == 1
    assert m.revisions.get(pk=revision.pk).status == RevisionStatus.REJECTED


# --- export ----------------------------------------------------------------------------------


def _sheet_rows(response) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [tuple(r) for r in sheet.iter_rows(min_row=4, values_only=True)]


def test_the_export_holds_the_scoped_filtered_rows(w, as_user):
    done = run_to(w, State.COMPLETED, received_kg="340")
    draft = run_to(w, State.DRAFT)
    response = as_user(w.county_weidu).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _sheet_rows(response)
    assert sorted(r[0] for r in rows) == sorted([done.number, draft.number])
    completed = next(r for r in rows if r[0] == done.number)
    assert "已完成" in completed and Decimal(str(completed[15])) == Decimal("340")
    filtered = _sheet_rows(as_user(w.city).get(EXPORT, {"state": "completed"}))
    assert [r[0] for r in filtered] == [done.number]
    assert _sheet_rows(as_user(w.stranger).get(EXPORT)) == []
    assert _sheet_rows(as_user(w.county_other).get(EXPORT)) == []
    assert as_user(w.public).get(EXPORT).status_code == 403


def test_the_list_page_shows_no_rows_of_another_generator(w, as_user):
    other_clerk = UserFactory(password=None, role="enterprise", party=w.stranger.party)
    run_to(w, State.SUBMITTED)
    assert numbers(as_user(other_clerk).get(LIST)) == []


def test_the_list_page_costs_the_same_queries_for_more_rows(w, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(w.clerk)

    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    run_to(w, State.DRAFT)
    few = cost()
    for _ in range(4):
        run_to(w, State.SUBMITTED)
    assert cost() == few
