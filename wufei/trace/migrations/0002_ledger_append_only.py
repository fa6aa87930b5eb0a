"""The database itself refuses to change or remove a ledger event (defence in depth: the
hash chain detects tampering; these triggers stop the casual kind). On SQLite only updates
are refused, since Django's test flush empties tables with DELETE there; PostgreSQL's
flush uses TRUNCATE, which these row triggers do not fire on."""

from django.db import migrations

POSTGRES = [
    """
    CREATE OR REPLACE FUNCTION trace_ledger_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'ledger events are append-only (%%)', TG_OP;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON trace_ledgerevent
    FOR EACH ROW EXECUTE FUNCTION trace_ledger_append_only();
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS ledger_append_only ON trace_ledgerevent;",
    "DROP FUNCTION IF EXISTS trace_ledger_append_only();",
]
SQLITE = [
    """
    CREATE TRIGGER ledger_append_only BEFORE UPDATE ON trace_ledgerevent
    BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
    """
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS ledger_append_only;"]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql.replace("%%", "%") if vendor == "sqlite" else sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("trace", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRES_REVERSE, "sqlite": SQLITE_REVERSE}),
        )
    ]
