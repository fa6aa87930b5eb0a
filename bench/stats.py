"""Statistics at scale: rollups, indicators, the cockpit and the balance table on PostgreSQL.

Builds the demo city (a year of manifests, seven years of declarations), then multiplies its
manifests — with their items and ledger events — until the ledger holds ``--events`` events:
copy k of manifest m keeps m's parties, stream, weights and times (so the year gets k times
denser, as a bigger city's would), gets new ids, a number suffixed ``-k`` and its own ledger
chain (events copied with the chain renamed; hashes are copied, so ``wufei verify-ledger``
would refuse this database — latency does not depend on them). Loaded with INSERT … SELECT,
secondary indexes dropped meanwhile and rebuilt, then ANALYZE.

Then measures, printing figures and ratios:
- ``rebuild()``: every rollup (daily and monthly) from the raw records;
- ``refresh()`` of 1,000 dirty (county, day) slices: what late records cost;
- ``recompute_values(year)``: every indicator for the city, counties and zone, one year;
- the cockpit page (city official; a county official) through the whole Django stack,
  median and p95 of ``--samples`` requests, with the query count;
- the balance table (city with its counties), median and p95.

    .venv/bin/python bench/stats.py --events 10000000
    .venv/bin/python bench/stats.py --events 10000000 --reuse     # measure only
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SERVER = "postgres://postgres@127.0.0.1:5432"
TABLES = ("manifests_manifest", "manifests_manifestitem", "trace_ledgerevent")


def recreate_database(name: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def columns(cur, table: str) -> list[str]:
    cur.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
        "ORDER BY ordinal_position",
        [table],
    )
    return [r[0] for r in cur.fetchall()]


def secondary_ddl(cur) -> tuple[list[str], list[str]]:
    """(drop statements, create statements) for the unique constraints and plain indexes of
    the loaded tables."""
    cur.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)""",
        [list(TABLES)],
    )
    uniques = cur.fetchall()
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [list(TABLES)],
    )
    indexes = cur.fetchall()
    drops = [f'ALTER TABLE {t} DROP CONSTRAINT "{n}"' for t, n, _ in uniques]
    drops += [f"DROP INDEX {n}" for n, _ in indexes]
    creates = [ddl for _, ddl in indexes]
    creates += [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {ddl}' for t, n, ddl in uniques]
    return drops, creates


def multiply(url: str, events: int) -> dict:
    """Copy the manifests (with items and ledger chains) until the ledger holds ``events``."""
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*), max(id) FROM trace_ledgerevent")
        have, max_event = cur.fetchone()
        cur.execute(
            "SELECT count(*) FROM trace_ledgerevent e JOIN manifests_manifest m "
            "ON e.chain = m.number"
        )
        (manifest_events,) = cur.fetchone()
        cur.execute("SELECT max(id) FROM manifests_manifest")
        (max_manifest,) = cur.fetchone()
        cur.execute("SELECT max(id) FROM manifests_manifestitem")
        (max_item,) = cur.fetchone()
        copies = max(0, -(-(events - have) // manifest_events))
        if copies == 0:
            return {"copies": 0, "events": have}
        drops, creates = secondary_ddl(cur)
        cur.execute("SET session_replication_role = replica")  # no FK triggers while loading
        for statement in drops:
            cur.execute(statement)
        m_cols = columns(cur, "manifests_manifest")
        exprs = {
            "id": f"m.id + k * {max_manifest}",
            "number": "m.number || '-' || k",
            "idempotency_key": "''",
        }
        select = ", ".join(exprs.get(c, f"m.{c}") for c in m_cols)
        cur.execute(
            f"INSERT INTO manifests_manifest ({', '.join(m_cols)}) SELECT {select} "
            f"FROM manifests_manifest m, generate_series(1, {copies}) k "
            f"WHERE m.id <= {max_manifest}"
        )
        i_cols = columns(cur, "manifests_manifestitem")
        exprs = {
            "id": f"i.id + k * {max_item}",
            "manifest_id": f"i.manifest_id + k * {max_manifest}",
        }
        select = ", ".join(exprs.get(c, f"i.{c}") for c in i_cols)
        cur.execute(
            f"INSERT INTO manifests_manifestitem ({', '.join(i_cols)}) SELECT {select} "
            f"FROM manifests_manifestitem i, generate_series(1, {copies}) k "
            f"WHERE i.id <= {max_item}"
        )
        e_cols = columns(cur, "trace_ledgerevent")
        cur.execute(
            "CREATE TEMP TABLE base_events AS SELECT e.* FROM trace_ledgerevent e "
            "JOIN manifests_manifest m ON e.chain = m.number "
            f"WHERE m.id <= {max_manifest}"
        )
        cur.execute("ALTER TABLE base_events ADD COLUMN rn bigserial")
        exprs = {
            "id": f"{max_event} + (k - 1) * {manifest_events} + e.rn",
            "chain": "e.chain || '-' || k",
        }
        select = ", ".join(exprs.get(c, f"e.{c}") for c in e_cols)
        cur.execute(
            f"INSERT INTO trace_ledgerevent ({', '.join(e_cols)}) SELECT {select} "
            f"FROM base_events e, generate_series(1, {copies}) k"
        )
        cur.execute("SET session_replication_role = DEFAULT")
        for statement in creates:
            cur.execute(statement)
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM trace_ledgerevent")
        (total,) = cur.fetchone()
        cur.execute("SELECT count(*) FROM manifests_manifest")
        (manifests,) = cur.fetchone()
    return {"copies": copies, "events": total, "manifests": manifests}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pages(samples: int) -> list[tuple]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from wufei.accounts.models import User
    from wufei.demo.logins import demo_logins_ensure
    from wufei.demo.models import Generation

    demo_logins_ensure(generation=Generation.objects.first())
    out = []
    for username in ("city", "county-weidu"):
        client = Client(HTTP_HOST="localhost")
        client.force_login(User.objects.get(username=username))
        client.get("/cockpit/")  # warm: refresh, caches
        times = []
        with CaptureQueriesContext(connection) as queries:
            client.get("/cockpit/")
        for _ in range(samples):
            started = time.perf_counter()
            response = client.get("/cockpit/")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
        out.append(
            (
                f"cockpit ({username})",
                statistics.median(times),
                percentile(times, 0.95),
                len(queries),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--database", default=None)
    parser.add_argument("--reuse", action="store_true", help="measure an already loaded base")
    args = parser.parse_args()
    name = args.database or f"wufei_bench_stats_{args.events // 1_000_000}m"
    url = f"{SERVER}/{name}"
    os.environ["WUFEI_DATABASE_URL"] = url

    if not args.reuse:
        recreate_database(name)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    if not args.reuse:
        call_command("migrate", verbosity=0)
        seconds, _ = timed(call_command, "generate", scale="city", seed=2020, verbosity=0)
        print(f"demo city generated in {seconds:.1f} s")
        seconds, loaded = timed(multiply, url, args.events)
        print(f"multiplied: {loaded} in {seconds:.1f} s")

    from wufei.accounts.models import User
    from wufei.registry.models import Region
    from wufei.stats.balance import balance_table
    from wufei.stats.indicators import recompute_values
    from wufei.stats.models import Rollup, RollupDirty, RollupMonth
    from wufei.stats.rollups import rebuild, refresh

    with psycopg.connect(url) as conn:
        events = conn.execute("SELECT count(*) FROM trace_ledgerevent").fetchone()[0]
        manifests = conn.execute("SELECT count(*) FROM manifests_manifest").fetchone()[0]
    print(f"\n{events:,} ledger events, {manifests:,} manifests")
    rows = []
    seconds, result = timed(rebuild)
    rows.append(
        (
            "rollups: full rebuild",
            seconds * 1000,
            None,
            f"{Rollup.objects.count():,} daily / {RollupMonth.objects.count():,} monthly rows",
        )
    )
    slices = list(Rollup.objects.values_list("region_id", "day").distinct()[:5000])
    random.Random(1).shuffle(slices)
    RollupDirty.objects.bulk_create(
        [RollupDirty(region_id=r, day=d) for r, d in slices[:1000]], ignore_conflicts=True
    )
    seconds, result = timed(refresh)
    rows.append(("rollups: refresh 1,000 dirty slices", seconds * 1000, None, str(result)))
    year = timezone.localdate().year - 1
    for y in (year, year + 1):
        times = [timed(recompute_values, y)[0] * 1000 for _ in range(3)]
        rows.append(
            (
                f"indicators: recompute {y} (city, counties, zone)",
                statistics.median(times),
                max(times),
                "median / max of 3",
            )
        )
    city_user = (
        User.objects.get(username="city") if User.objects.filter(username="city").exists() else None
    )
    page_rows = pages(args.samples)
    city_user = User.objects.get(username="city")
    city = Region.objects.get(level="city")
    times = [
        timed(balance_table, actor=city_user, year=year, region=city)[0] * 1000 for _ in range(20)
    ]
    rows.append(
        (
            "balance table (city + counties)",
            statistics.median(times),
            percentile(times, 0.95),
            "20 runs",
        )
    )
    print(f"\n{'measure':48} {'median ms':>10} {'p95 ms':>10}  note")
    for label, median, p95, note in rows + [(a, b, c, f"{d} queries") for a, b, c, d in page_rows]:
        p95_text = f"{p95:10.0f}" if p95 is not None else " " * 10
        print(f"{label:48} {median:10.0f} {p95_text}  {note}")


if __name__ == "__main__":
    main()
