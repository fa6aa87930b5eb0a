"""Trace latency with millions of ledger events: forward and backward, median and p99.

Loads, with a few INSERT … SELECT generate_series statements, ``--events`` ledger events over
realistic chains, in shipment groups of:
- 30 small boxes (小箱), each registered then packed into one big box (2 events each);
- the big box (registered, later transformed: 2 events), and 2 drums carried directly
  (registered: 1 event each);
- one hazardous manifest carrying the big box and the drums (3 items; create, submit,
  pick-up, depart, receive, complete: 6 events);
- at the receiver the big box is transformed into one output lot (registered: 1 event).
That is 71 events, 34 containers, 31 links and one manifest per group; the events of one kind
are inserted together (all pack events, then all manifest creations, …), so the events of a
chain are spread over the table as they would be in life. Hashes are synthetic (md5 of the id,
twice): latency does not depend on their values, and ``wufei verify-ledger`` would refuse
this database. Codes are valid Luhn mod 32 codes (checked on a sample).

During the load, foreign-key triggers are off (``session_replication_role = replica``) and
the secondary indexes and unique constraints of the loaded tables are dropped, then rebuilt
from their saved definitions; then ANALYZE.

Then times ``wufei.trace.selectors.trace_forward`` from random small boxes and drums and
``trace_backward`` from random output lots and big boxes (``--samples`` codes each, city
user), or, while those functions do not exist, the underlying queries.

    .venv/bin/python bench/trace.py --events 1000000 [--samples 500] [--database NAME]
    .venv/bin/python bench/trace.py --events 10000000 --database wufei_bench_trace10m
    .venv/bin/python bench/trace.py --events 1000000 --reuse   # measure only, no reload
"""

from __future__ import annotations

import argparse
import inspect
import os
import random
import statistics
import sys
import time
from decimal import Decimal

import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SERVER = "postgres://postgres@127.0.0.1:5432"
BOXES, DRUMS = 30, 2
CONTAINERS = BOXES + 1 + DRUMS + 1  # boxes, big box, drums, lot: 34 ids per group
MANIFEST_STEPS = ("create", "submit", "pick_up", "depart", "receive", "complete")
EVENTS = 2 * BOXES + 2 + DRUMS + len(MANIFEST_STEPS) + 1  # 71
TABLES = (
    "trace_ledgerevent",
    "trace_container",
    "trace_containerlink",
    "manifests_manifest",
    "manifests_manifestitem",
)
DAY_SECONDS = 86400


# Luhn mod 32 over a base-32 body of a scrambled id: a valid code, unique per id (the
# multiplier is odd, so the map is a bijection modulo 32**9 = 2**45). Written out digit by
# digit as one SQL expression, so PostgreSQL inlines the function.
def _code_function() -> str:
    alphabet = "'0123456789ABCDEFGHJKMNPQRSTVWXYZ'"
    v = "((n * 2654435761) & 35184372088831)"
    digits = [f"((({v} >> {5 * i}) & 31)::int)" for i in range(9)]  # least significant first
    body = " || ".join(f"substr({alphabet}, {d} + 1, 1)" for d in reversed(digits))
    terms = []
    for i, d in enumerate(digits):  # Luhn: factor 2 on the last character, then 1, 2, …
        factor = 2 if i % 2 == 0 else 1
        terms.append(f"({factor} * {d}) / 32 + ({factor} * {d}) % 32")
    total = " + ".join(terms)
    check = f"substr({alphabet}, ((32 - ({total}) % 32) % 32) + 1, 1)"
    return (
        "CREATE OR REPLACE FUNCTION pg_temp.wf_code(n bigint) RETURNS text "
        f"LANGUAGE sql IMMUTABLE AS $$ SELECT 'WF' || {body} || {check} $$"
    )


def recreate_database(name: str) -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


# --- load ---------------------------------------------------------------------------------


def world_ids() -> dict:
    """Parties, users and reference rows for the generated chains (the manifests' test world
    with 20 generators)."""
    from wufei.accounts.tests.factories import UserFactory
    from wufei.manifests.tests.world import hazardous_world
    from wufei.registry.tests import factories

    w = hazardous_world()
    generators = [w.generator] + [
        factories.PartyFactory(region=w.generator.region, is_generator=True) for _ in range(19)
    ]
    clerks = [w.clerk] + [UserFactory(role="enterprise", party=g) for g in generators[1:]]
    return {
        "stream": w.stream.pk,
        "code": w.code.pk,
        "generators": [g.pk for g in generators],
        "clerks": [c.pk for c in clerks],
        "region": w.generator.region_id,
        "transporter": w.transporter.pk,
        "receiver": w.receiver.pk,
        "receiver_region": w.facility.site.region_id,
        "facility": w.facility.pk,
        "permit": w.receiver_permit.pk,
        "transporter_permit": w.transporter_permit.pk,
        "vehicle": w.vehicle.pk,
        "driver": w.driver.pk,
        "receiver_clerk": w.receiver_clerk.pk,
        "method": w.method.pk,
        "city": w.city,
    }


def drop_secondary(cur) -> list[str]:
    """Drop the unique constraints and plain indexes of the loaded tables; return the DDL
    that recreates them."""
    tables = list(TABLES)
    cur.execute(
        """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
           FROM pg_constraint WHERE contype = 'u' AND conrelid::regclass::text = ANY(%s)""",
        [tables],
    )
    uniques = cur.fetchall()
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [tables],
    )
    indexes = cur.fetchall()
    for table, name, _ in uniques:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f"DROP INDEX {name}")
    return [ddl for _, ddl in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}' for table, name, ddl in uniques
    ]


def load(url: str, groups: int, ids: dict) -> None:
    g = dict(ids)
    g.update(
        groups=groups,
        ngen=len(ids["generators"]),
        generators=ids["generators"],
        clerks=ids["clerks"],
        box_kg=Decimal("12.500"),
        drum_kg=Decimal("180.000"),
    )
    # ledger event ids: one block per kind of event, groups in order inside it
    blocks, offset = {}, 0
    blocks_sizes = [
        ("box_create", BOXES),
        ("big_create", 1),
        ("drum_create", DRUMS),
        ("box_pack", BOXES),
        ("m_12", 2),  # manifest create, submit
        ("m_34", 2),  # pick-up, depart
        ("m_56", 2),  # receive, complete
        ("big_transform", 1),
        ("lot_create", 1),
    ]
    for name, per in blocks_sizes:
        blocks[name] = offset
        offset += per * groups
    assert offset == EVENTS * groups

    # Container c of group n (0-based) has id n * 34 + c + 1; kinds in PER_GROUP order.
    # Group n happens on day n * 730 / groups of a two-year span from 2024-01-01.
    t0 = "(timestamptz '2024-01-01 08:00+08' + (n * 730.0 / %(groups)s) * interval '1 day')"
    cid = "(n * 34 + {c} + 1)"
    code = f"pg_temp.wf_code({cid})"
    gen = "(%(generators)s::bigint[])[n %% %(ngen)s + 1]"
    clerk = "(%(clerks)s::bigint[])[n %% %(ngen)s + 1]"
    number = "'HW' || to_char({t}, 'YYYYMMDD') || lpad(upper(to_hex(n + 1)), 6, '0')"
    series = "FROM generate_series(0, %(groups)s - 1) AS n"
    hashed = "repeat(md5(({eid})::text), 2)"

    def ev(block, per, j):
        return f"({blocks[block]} + n * {per} + {j} + 1)"

    statements = []
    # containers: boxes (packed in the big box), big box (transformed), drums (treated), lot
    for kind, first, count, state, parent, mass, seq, last in [
        ("box", 0, BOXES, "packed", cid.format(c=BOXES), "%(box_kg)s", 2, ("box_pack", BOXES)),
        ("big_box", BOXES, 1, "transformed", "NULL", f"{BOXES} * %(box_kg)s", 2, None),
        ("drum", BOXES + 1, DRUMS, "treated", "NULL", "%(drum_kg)s", 1, ("drum_create", DRUMS)),
        ("lot", BOXES + 1 + DRUMS, 1, "stored", "NULL", "0.8 * 30 * %(box_kg)s", 1, None),
    ]:
        j = f"(k - {first})"
        if kind == "big_box":
            head = hashed.format(eid=ev("big_transform", 1, 0))
        elif kind == "lot":
            head = hashed.format(eid=ev("lot_create", 1, 0))
        else:
            head = hashed.format(eid=ev(last[0], last[1], j))
        holder = "%(receiver)s"
        treated = kind in ("big_box", "drum")
        statements.append(
            f"""INSERT INTO trace_container (id, ledger_seq, ledger_head, code, kind, description,
                mass_kg, state, created_at, settled_at, facility_id, holder_id, method_id,
                origin_id, parent_id, region_id, stream_id, waste_code_id)
            SELECT {cid.format(c="k")}, {seq}, {head}, {code.format(c="k")}, '{kind}', '',
                {mass}, '{state}', {t0}, {f"{t0} + interval '5 days'" if treated else "NULL"},
                {"%(facility)s" if treated else "NULL"}, {holder},
                {"%(method)s" if treated else "NULL"},
                {gen if kind != "lot" else "%(receiver)s"}, {parent}, %(region)s, %(stream)s,
                %(code)s
            {series}, generate_series({first}, {first + count - 1}) AS k"""
        )
    # ledger events, one statement per kind of event
    per_block = dict(blocks_sizes)
    made = (t0, clerk, gen)
    at_receiver = (f"{t0} + interval '5 days'", "%(receiver_clerk)s", "%(receiver)s")
    box_code, big_code = code.format(c="k"), code.format(c=BOXES)
    drum_code, lot_code = code.format(c=f"{BOXES + 1} + k"), code.format(c=CONTAINERS - 1)
    manifest = number.format(t=t0)
    specs = [  # block, k, chain, seq, kind, (at, actor, party), payload, previous (block, k)
        ("box_create", "k", box_code, 1, "create", made, "'kind', 'box'", None),
        ("big_create", "0", big_code, 1, "create", made, f"'children', {BOXES}", None),
        ("drum_create", "k", drum_code, 1, "create", made, f"'manifest', {manifest}", None),
        ("box_pack", "k", box_code, 2, "pack", made, f"'into', {big_code}", ("box_create", "k")),
        (
            "big_transform",
            "0",
            big_code,
            2,
            "transform",
            at_receiver,
            f"'into', jsonb_build_array({lot_code}), 'loss_kg', '75.000', 'method', 'D10'",
            ("big_create", "0"),
        ),
        ("lot_create", "0", lot_code, 1, "create", at_receiver, f"'from', {big_code}", None),
    ]
    steps = [  # block, index in the block, day offset, actor, party
        ("m_12", 0, 0, clerk, gen),
        ("m_12", 1, 0, clerk, gen),
        ("m_34", 0, 1, "%(driver)s", "%(transporter)s"),
        ("m_34", 1, 1, "%(driver)s", "%(transporter)s"),
        ("m_56", 0, 2, "%(receiver_clerk)s", "%(receiver)s"),
        ("m_56", 1, 5, "%(receiver_clerk)s", "%(receiver)s"),
    ]
    for seq, (block, j, days, actor, party) in enumerate(steps, start=1):
        kind = MANIFEST_STEPS[seq - 1]
        previous = (steps[seq - 2][0], str(steps[seq - 2][1])) if seq > 1 else None
        when = (f"{t0} + interval '{days} days'", actor, party)
        body = f"'state', '{kind}', 'version', 1, 'content', md5(n::text) || md5((-n)::text)"
        specs.append((block, str(j), manifest, seq, kind, when, body, previous))
    for block, k, chain, seq, kind, (at, actor, party), payload, previous in specs:
        per = per_block[block]
        eid = ev(block, per, k)
        prev = "repeat('0', 64)"  # the genesis
        if previous is not None:
            prev = hashed.format(eid=ev(previous[0], per_block[previous[0]], previous[1]))
        rows = f"{series}, generate_series(0, {per - 1}) AS k" if k == "k" else series
        statements.append(
            f"""INSERT INTO trace_ledgerevent (id, chain, seq, kind, at, payload, prev_hash,
                hash, actor_id, party_id)
            SELECT {eid}, {chain}, {seq}, '{kind}', {at}, jsonb_build_object({payload}),
                {prev}, {hashed.format(eid=eid)}, {actor}, {party} {rows}"""
        )
    # links: each box into its big box (its pack event), the big box into the lot
    boxes = f"{series}, generate_series(0, {BOXES - 1}) AS k"
    statements.append(
        f"""INSERT INTO trace_containerlink (id, kind, mass_kg, at, source_id, target_id,
                event_id)
            SELECT n * {BOXES + 1} + k + 1, 'packed', %(box_kg)s, {t0}, {cid.format(c="k")},
                {cid.format(c=BOXES)}, {ev("box_pack", BOXES, "k")} {boxes}"""
    )
    statements.append(
        f"""INSERT INTO trace_containerlink (id, kind, mass_kg, at, source_id, target_id,
                event_id)
            SELECT n * {BOXES + 1} + {BOXES} + 1, 'transformed', 0.8 * 30 * %(box_kg)s,
                {t0} + interval '5 days', {cid.format(c=BOXES)},
                {cid.format(c=CONTAINERS - 1)}, {ev("big_transform", 1, "0")} {series}"""
    )
    # manifests and their items (the big box and the drums)
    statements.append(
        f"""INSERT INTO manifests_manifest (id, ledger_seq, ledger_head, number, flow, version,
                state, description, generator_id, generator_site_id, region_id, transporter_id,
                transporter_permit_id, vehicle_id, driver_id, receiver_id, receiver_facility_id,
                receiver_region_id, receiver_permit_id, stream_id, waste_code_id, declared_kg,
                pickup_kg, received_kg, accepted_kg, rejection_reason, method_id, note,
                created_by_id, created_at, submitted_at, picked_up_at, departed_at, received_at,
                completed_at, signing_nonce, idempotency_key, request_hash, items_hash)
            SELECT n + 1, 6, {hashed.format(eid=ev("m_56", 2, 1))}, {number.format(t=t0)},
                'hazardous', 1, 'completed', '', {gen}, NULL, %(region)s, %(transporter)s,
                %(transporter_permit)s, %(vehicle)s, %(driver)s, %(receiver)s, %(facility)s,
                %(receiver_region)s, %(permit)s, %(stream)s, %(code)s,
                30 * %(box_kg)s + 2 * %(drum_kg)s, 30 * %(box_kg)s + 2 * %(drum_kg)s,
                30 * %(box_kg)s + 2 * %(drum_kg)s, 30 * %(box_kg)s + 2 * %(drum_kg)s, '',
                %(method)s, '', {clerk}, {t0}, {t0}, {t0} + interval '1 day',
                {t0} + interval '1 day', {t0} + interval '2 days', {t0} + interval '5 days',
                '', '', '', md5(n::text) || md5((-n)::text)
            {series}"""
    )
    statements.append(
        f"""INSERT INTO manifests_manifestitem (id, mass_kg, container_id, manifest_id)
            SELECT n * 3 + k + 1,
                CASE WHEN k = 0 THEN 30 * %(box_kg)s ELSE %(drum_kg)s END,
                CASE WHEN k = 0 THEN {cid.format(c=BOXES)} ELSE n * 34 + {BOXES} + k + 1 END,
                n + 1
            {series}, generate_series(0, 2) AS k"""
    )
    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        for setting in (
            "session_replication_role = replica",
            "synchronous_commit = off",
            "maintenance_work_mem = '1GB'",
            "max_parallel_maintenance_workers = 2",
        ):
            cur.execute(f"SET {setting}")
        cur.execute(_code_function())
        rebuild = drop_secondary(cur)
        started = time.perf_counter()
        for sql in statements:
            t = time.perf_counter()
            cur.execute(sql, g)
            what = " ".join(sql.split()[:3])
            print(f"  {what:<40} {cur.rowcount:>10,} rows {time.perf_counter() - t:6.1f} s")
        print(f"  rows inserted in {time.perf_counter() - started:.1f} s", flush=True)
        t = time.perf_counter()
        for ddl in rebuild:
            cur.execute(ddl)
        print(f"  {len(rebuild)} indexes and unique constraints rebuilt in ", end="")
        print(f"{time.perf_counter() - t:.1f} s", flush=True)
        for table in TABLES:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        t = time.perf_counter()
        cur.execute("ANALYZE")
        print(f"  ANALYZE in {time.perf_counter() - t:.1f} s", flush=True)


def sizes(url: str) -> None:
    with psycopg.connect(url) as conn:
        for table in TABLES:
            rows, total = conn.execute(
                f"SELECT (SELECT count(*) FROM {table}), "
                f"pg_size_pretty(pg_total_relation_size('{table}'))"
            ).fetchone()
            print(f"  {table:<24} {rows:>12,} rows {total:>10} with indexes")


# --- measure ------------------------------------------------------------------------------


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100)[q - 1]


def sample_codes(kinds: tuple[str, ...], count: int, rng: random.Random) -> list[str]:
    from wufei.trace.models import Container

    top = Container.objects.order_by("-id").values_list("id", flat=True).first()
    groups = top // CONTAINERS
    offsets = PER_GROUP_OFFSETS
    ids = []
    for _ in range(count):
        kind = rng.choice(kinds)
        first, span = offsets[kind]
        ids.append(rng.randrange(groups) * CONTAINERS + first + rng.randrange(span) + 1)
    found = dict(Container.objects.filter(id__in=ids).values_list("id", "code"))
    return [found[i] for i in ids]


# (first offset, how many) of each kind inside a group
PER_GROUP_OFFSETS = {"box": (0, BOXES), "big_box": (BOXES, 1), "drum": (BOXES + 1, DRUMS)}
PER_GROUP_OFFSETS["lot"] = (BOXES + 1 + DRUMS, 1)


def timed(fn, codes: list[str], warm: int = 20) -> tuple[list[float], list[float]]:
    """Wall and CPU (this process) milliseconds per call; the CPU time shows the Python side
    on a busy machine, where the wall time also counts waiting for a core."""
    for code in codes[:warm]:
        fn(code)
    wall, cpu = [], []
    for code in codes:
        t, c = time.perf_counter(), time.process_time()
        fn(code)
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def raw_queries():
    """The underlying queries, for when the selectors are not there: the container, its links
    level by level (breadth-first), and the timeline of every chain met."""
    from wufei.trace.models import Container, ContainerLink, LedgerEvent

    def walk(code: str, direction: str):
        start = Container.objects.get(code=code)
        seen, frontier = {start.pk}, [start.pk]
        column, other = ("source_id", "target_id")
        if direction == "backward":
            column, other = other, column
        while frontier:
            rows = ContainerLink.objects.filter(**{f"{column}__in": frontier}).values_list(
                other, flat=True
            )
            frontier = [pk for pk in rows if pk not in seen]
            seen.update(frontier)
        chains = list(Container.objects.filter(pk__in=seen).values_list("code", flat=True))
        return list(LedgerEvent.objects.filter(chain__in=chains).order_by("at", "id"))

    return walk


def measure(samples: int, seed: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wufei.accounts.models import User
    from wufei.trace import selectors

    city = User.objects.filter(role="city").order_by("pk").first()
    forward = getattr(selectors, "trace_forward", None)
    backward = getattr(selectors, "trace_backward", None)
    walk = raw_queries()
    sets = [("underlying queries", lambda c: walk(c, "forward"), lambda c: walk(c, "backward"))]
    if forward and backward:
        print(f"  selectors: trace_forward{inspect.signature(forward)}")
        sets.insert(
            0,
            (
                "selectors",
                lambda c: forward(actor=city, code=c),
                lambda c: backward(actor=city, code=c),
            ),
        )
    else:
        print("  wufei.trace.selectors.trace_forward/backward missing: only raw queries measured")
    for title, fwd, bwd in sets:
        rng = random.Random(seed)  # the same codes for each set
        cases = [("forward", "box", fwd), ("forward", "drum", fwd)]
        cases += [("backward", "lot", bwd), ("backward", "big_box", bwd)]
        print(f"\n  {title}")
        print(
            f"  {'direction':<9} {'from':<8} {'codes':>5} {'queries':>7} {'median ms':>10} "
            f"{'p99 ms':>8} {'max':>7} {'cpu med':>8} {'cpu p99':>8}"
        )
        everything, cpu_all = [], []
        for direction, kind, fn in cases:
            codes = sample_codes((kind,), samples // len(cases), rng)
            with CaptureQueriesContext(connection) as ctx:
                fn(codes[0])
            wall, cpu = timed(fn, codes)
            everything.extend(wall)
            cpu_all.extend(cpu)
            print(
                f"  {direction:<9} {kind:<8} {len(wall):>5} {len(ctx.captured_queries):>7} "
                f"{statistics.median(wall):>10.2f} {percentile(wall, 99):>8.2f} "
                f"{max(wall):>7.1f} {statistics.median(cpu):>8.2f} {percentile(cpu, 99):>8.2f}"
            )
        print(
            f"  {'all':<18} {len(everything):>5} {'':>7} {statistics.median(everything):>10.2f} "
            f"{percentile(everything, 99):>8.2f} {max(everything):>7.1f} "
            f"{statistics.median(cpu_all):>8.2f} {percentile(cpu_all, 99):>8.2f}"
        )


def check_codes(count: int = 200) -> None:
    from wufei.trace import codes
    from wufei.trace.models import Container

    bad = [
        c
        for c in Container.objects.order_by("?").values_list("code", flat=True)[:count]
        if not codes.is_valid(c)
    ]
    if bad:
        sys.exit(f"generated codes fail the check character: {bad[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=500, help="codes, over 4 cases")
    parser.add_argument("--database", default=None, help="default wufei_bench_trace_<events>")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--reuse", action="store_true", help="measure an already loaded base")
    args = parser.parse_args()
    name = args.database or f"wufei_bench_trace_{args.events}"
    url = f"{SERVER}/{name}" if args.reuse else recreate_database(name)
    os.environ["WUFEI_DATABASE_URL"] = url
    import django

    django.setup()
    if not args.reuse:
        from django.core.management import call_command

        t = time.perf_counter()
        call_command("migrate", verbosity=0)
        print(f"migrated {name} in {time.perf_counter() - t:.1f} s", flush=True)
        ids = world_ids()
        del ids["city"]
        groups = max(1, args.events // EVENTS)
        print(f"loading {groups:,} groups = {groups * EVENTS:,} events", flush=True)
        t = time.perf_counter()
        load(url, groups, ids)
        print(f"load total {time.perf_counter() - t:.1f} s", flush=True)
    sizes(url)
    check_codes()
    print(f"load average before measuring: {os.getloadavg()[0]:.1f}")
    measure(args.samples, args.seed)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
