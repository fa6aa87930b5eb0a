"""Any edit of the ledger made behind the application's back (by someone with database
rights who first disables the append-only trigger) is found by ``verify()`` and by
``wufei verify-ledger``, which names the first broken link."""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from wufei.manifests.choices import State
from wufei.manifests.models import Manifest
from wufei.manifests.tests.world import hazardous_world, run_to
from wufei.trace import ledger
from wufei.trace.models import LedgerEvent

pytestmark = pytest.mark.django_db(transaction=False)

TRIGGERS = importlib.import_module("wufei.trace.migrations.0002_ledger_append_only")
TABLE = LedgerEvent._meta.db_table


@contextmanager
def trigger_off():
    """What an attacker with DBA rights does first: switch the append-only trigger off."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the test's transaction holds deferred foreign-key checks; run them first
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER ledger_append_only")
        else:
            cursor.execute("DROP TRIGGER ledger_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER ledger_append_only")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                cursor.execute(TRIGGERS.SQLITE[0])


def sql(statement: str, *params) -> None:
    with trigger_off(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.fixture
def manifest() -> Manifest:
    m = run_to(hazardous_world(), State.COMPLETED)
    assert m.ledger_seq == 6 and ledger.verify().ok
    return m


def event(m: Manifest, seq: int) -> LedgerEvent:
    return LedgerEvent.objects.get(chain=m.number, seq=seq)


def change_payload(m):
    e = event(m, 3)
    sql("UPDATE trace_ledgerevent SET payload = %s WHERE id = %s", '{"plate": "豫K00000"}', e.pk)
    return e.pk, 3, "内容被改动"


def change_at(m):
    e = event(m, 3)
    sql("UPDATE trace_ledgerevent SET at = %s WHERE id = %s", e.at - timedelta(hours=2), e.pk)
    return e.pk, 3, "内容被改动"


def change_hash(m):
    e = event(m, 3)
    sql("UPDATE trace_ledgerevent SET hash = %s WHERE id = %s", "f" * 64, e.pk)
    return e.pk, 3, "内容被改动"


def change_prev_hash(m):
    e = event(m, 3)
    sql("UPDATE trace_ledgerevent SET prev_hash = %s WHERE id = %s", event(m, 1).hash, e.pk)
    return e.pk, 3, "前一事件哈希"


def delete_middle(m):
    sql("DELETE FROM trace_ledgerevent WHERE id = %s", event(m, 3).pk)
    return event(m, 4).pk, 4, "序号不连续"


def delete_last(m):
    sql("DELETE FROM trace_ledgerevent WHERE id = %s", event(m, 6).pk)
    return None, 5, "链头不符"


def change_head(m):
    Manifest.objects.filter(pk=m.pk).update(ledger_head=event(m, 5).hash)
    return None, 6, "链头不符"


@pytest.mark.parametrize(
    "tamper",
    [
        change_payload,
        change_at,
        change_hash,
        change_prev_hash,
        delete_middle,
        delete_last,
        change_head,
    ],
)
def test_tampering_with_any_row_is_detected_at_its_link(manifest, tamper):
    event_id, seq, reason = tamper(manifest)
    result = ledger.verify()
    assert not result.ok
    b = result.first_break
    assert (b.chain, b.seq, b.event_id) == (manifest.number, seq, event_id)
    assert reason in b.reason
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_ledger", stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert "台账完整" not in out.getvalue()
    assert manifest.number in err.getvalue() and f"序号 {seq}" in err.getvalue()
    if event_id is not None:
        assert f"事件 id {event_id}" in err.getvalue()


def test_an_untouched_ledger_verifies(manifest):
    out = StringIO()
    call_command("verify_ledger", stdout=out)
    text = out.getvalue()
    assert "台账完整" in text
    result = ledger.verify()
    assert f"已校验 {result.events} 个事件" in text and result.events >= 8
    assert f"{result.chains} 条链" in text and result.owners >= 3


def test_the_trigger_refuses_a_plain_update_and_on_postgresql_a_delete(manifest):
    e = event(manifest, 3)
    with pytest.raises(DatabaseError), transaction.atomic():
        LedgerEvent.objects.filter(pk=e.pk).update(payload={"plate": "豫K00000"})
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic():
            LedgerEvent.objects.filter(pk=e.pk)._raw_delete(connection.alias)
    assert ledger.verify().ok
