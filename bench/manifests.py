"""How much do the manifest rules, signatures and ledger cost? Transitions per second.

Measured on PostgreSQL, in one run, beside a *bare* ORM transaction of the same shape as a
transition (lock the manifest row, update it, insert one ledger event):
- service transitions, each separately: pick_up, depart (the leanest), receive, complete,
  through ``wufei.manifests.services``;
- full lifecycles: create and submit, pick up, depart, receive, complete;
- the same four transitions through the API (in-process DRF client, forced authentication),
  when the manifest endpoints exist.
Each with 1 and 4 clients; a client is a forked process with its own database connection (so
the GIL does not serialise the Python side). Every client warms up on its own rows first, then
all start together; ops/s is the timed operations over the wall time from the common start
to the last client's end. Then one transition of each kind under CaptureQueriesContext (query
count) and cProfile (where the time goes beyond the bare shape).

The benchmark drops and recreates its own database (``--database``, default
``wufei_bench_manifests``) and migrates it, so every run starts from the same state:

    .venv/bin/python bench/manifests.py [--quick] [--ops 400] [--lifecycles 120]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import multiprocessing
import os
import pstats
import random
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, replace
from decimal import Decimal

import psycopg

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SERVER = "postgres://postgres@127.0.0.1:5432"
WARM = 15  # untimed operations per client before the common start
STAGES = ("pick_up", "depart", "receive", "complete")


def recreate_database(name: str) -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"


# --- figures ------------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds spent by this process and by its PostgreSQL backend (same host, read from
    /proc) around each measured call. On a shared machine the wall time also counts waiting
    for a core; the CPU time is the cost itself. The backend's clock ticks are 10 ms, so the
    server figure is only meaningful summed over many calls."""

    def __init__(self) -> None:
        self.client = self.server = 0.0
        self.calls = self.server_calls = 0
        self._tick = os.sysconf("SC_CLK_TCK")

    def _snapshot(self):
        from django.db import connection

        conn = connection.connection
        if conn is None or conn.closed:
            return None
        pid = conn.info.backend_pid
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return pid, (int(fields[11]) + int(fields[12])) / self._tick

    def __enter__(self):
        from django.db import connection

        connection.ensure_connection()
        self._before = self._snapshot()
        self._cpu = time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.client += time.process_time() - self._cpu
        self.calls += 1
        after = self._snapshot()
        if after and self._before and after[0] == self._before[0]:  # same connection
            self.server += after[1] - self._before[1]
            self.server_calls += 1

    def add(self, other: CpuMeter) -> None:
        self.client += other.client
        self.server += other.server
        self.calls += other.calls
        self.server_calls += other.server_calls

    @property
    def ms_per_call(self) -> tuple[float, float]:
        """Client and server CPU milliseconds per call."""
        return (
            1000 * self.client / max(self.calls, 1),
            1000 * self.server / max(self.server_calls, 1),
        )


@dataclass
class Result:
    name: str
    clients: int
    ops: int
    wall: float
    samples: list[float]  # milliseconds per operation
    cpu: CpuMeter

    @property
    def rate(self) -> float:
        return self.ops / self.wall

    @property
    def cpu_ms(self) -> float:
        return sum(self.cpu.ms_per_call)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples, n=20)[18]


def print_table(results: list[Result], bare: dict[int, Result]) -> None:
    print(
        f"\n{'operation':<24} {'clients':>7} {'ops':>5} {'ops/s':>8} {'ms med':>7} "
        f"{'ms p95':>7} {'vs bare':>8} {'cpu ms':>7} {'client':>7} {'server':>7} "
        f"{'cpu vs bare':>11}"
    )
    for r in results:
        b = bare[r.clients]
        client, server = r.cpu.ms_per_call
        print(
            f"{r.name:<24} {r.clients:>7} {r.ops:>5} {r.rate:>8.1f} {r.median:>7.2f} "
            f"{r.p95:>7.2f} {b.rate / r.rate:>7.2f}x {r.cpu_ms:>7.2f} {client:>7.2f} "
            f"{server:>7.2f} {r.cpu_ms / b.cpu_ms:>10.2f}x"
        )
    print(
        "vs bare = bare ops/s / this ops/s at the same number of clients (1.00x = free); "
        "cpu ms = CPU per operation, client process + its PostgreSQL backend"
    )


# --- clients ------------------------------------------------------------------------------


def _client(op, items, barrier, queue) -> None:
    from django.db import connections

    try:
        for item in items[:WARM]:
            op(item)
        barrier.wait()
        start = time.perf_counter()
        samples, cpu = [], CpuMeter()
        for item in items[WARM:]:
            t = time.perf_counter()
            with cpu:
                op(item)
            samples.append((time.perf_counter() - t) * 1000)
        queue.put((start, time.perf_counter(), samples, cpu, None))
    except Exception:
        barrier.abort()
        queue.put((0, 0, [], None, traceback.format_exc()))
    finally:
        connections.close_all()


def run_clients(name: str, op, items: list, clients: int) -> Result:
    """Run ``op`` over ``items`` split among ``clients`` forked processes (disjoint rows)."""
    from django.db import connections

    chunks = [items[i::clients] for i in range(clients)]
    connections.close_all()  # the children must not share the parent's socket
    ctx = multiprocessing.get_context("fork")
    barrier, queue = ctx.Barrier(clients), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(op, c, barrier, queue)) for c in chunks]
    for p in procs:
        p.start()
    reports = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r[4] for r in reports if r[4]]
    if errors:
        sys.exit(f"{name}: a client failed:\n{errors[0]}")
    start = min(r[0] for r in reports)
    end = max(r[1] for r in reports)
    samples = [s for r in reports for s in r[2]]
    cpu = CpuMeter()
    for r in reports:
        cpu.add(r[3])
    result = Result(name, clients, len(samples), end - start, samples, cpu)
    print(
        f"  {name:<24} {clients} client(s): {result.rate:8.1f} ops/s, "
        f"{result.cpu_ms:.2f} CPU ms/op (load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return result


# --- the world ----------------------------------------------------------------------------


def build_world(clients: int):
    """The test world with a huge annual permit, and one generator (site, clerk) per client:
    different enterprises, so creation does not queue on one generator's row lock."""
    from wufei.accounts.tests.factories import UserFactory
    from wufei.manifests.tests.world import hazardous_world
    from wufei.registry.tests import factories

    w = hazardous_world(annual_tonnes=Decimal("10000000"))
    worlds = [w]
    for _ in range(clients - 1):
        generator = factories.PartyFactory(region=w.generator.region, is_generator=True)
        site = factories.SiteFactory(party=generator, region=w.generator.region, kind="factory")
        clerk = UserFactory(role="enterprise", party=generator)
        worlds.append(replace(w, generator=generator, generator_site=site, clerk=clerk))
    return worlds


def submitted(worlds, count: int) -> list[int]:
    """``count`` submitted manifests, spread round-robin over the generators."""
    from wufei.manifests import services

    pks = []
    for i in range(count):
        w = worlds[i % len(worlds)]
        m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
        pks.append(m.pk)
    return pks


# --- operations ---------------------------------------------------------------------------


def bare_op(pk: int) -> None:
    """The shape of a transition with nothing else: lock, update, insert one event."""
    from django.db import transaction
    from django.utils import timezone

    from wufei.manifests.choices import State
    from wufei.manifests.models import Manifest
    from wufei.trace.models import LedgerEvent

    with transaction.atomic():
        row = Manifest.objects.select_for_update().get(pk=pk)
        now = timezone.now()
        row.state = State.IN_TRANSIT if row.state == State.PICKED_UP else State.PICKED_UP
        row.departed_at = now
        prev = row.ledger_head
        row.ledger_seq += 1
        row.ledger_head = hashlib.sha256(f"{prev}{row.ledger_seq}".encode()).hexdigest()
        row.save(update_fields=["state", "departed_at", "ledger_seq", "ledger_head"])
        LedgerEvent.objects.create(
            chain=row.number,
            seq=row.ledger_seq,
            kind="depart",
            at=now,
            actor_id=row.driver_id,
            party_id=row.transporter_id,
            payload={},
            prev_hash=prev,
            hash=row.ledger_head,
        )


def service_ops(w, codes: dict[int, str]):
    """One callable per stage, taking a manifest id, through the services."""
    from wufei.manifests import services

    return {
        "pick_up": lambda pk: services.manifest_pick_up(
            actor=w.driver,
            manifest=pk,
            signing_code_entered=codes[pk],
            pickup_kg="350.5",
            vehicle=w.vehicle,
        ),
        "depart": lambda pk: services.manifest_depart(actor=w.driver, manifest=pk),
        "receive": lambda pk: services.manifest_receive(
            actor=w.receiver_clerk, manifest=pk, received_kg="350.5"
        ),
        "complete": lambda pk: services.manifest_complete(
            actor=w.receiver_clerk, manifest=pk, method=w.method
        ),
    }


def api_ops(w, codes: dict[int, str]):
    """The same stages through the API: one POST per transition, JSON in and out."""
    from rest_framework.test import APIClient

    clients = {}

    def post(user, pk, action, body):
        if user.pk not in clients:
            clients[user.pk] = APIClient()
            clients[user.pk].force_authenticate(user)
        response = clients[user.pk].post(
            f"/api/v1/manifests/{pk}/{action.replace('_', '-')}/", body, format="json"
        )
        if response.status_code != 200:
            raise RuntimeError(f"{action} {pk}: {response.status_code} {response.content[:300]}")

    return {
        "pick_up": lambda pk: post(
            w.driver,
            pk,
            "pick_up",
            {"signing_code": codes[pk], "pickup_kg": "350.5", "vehicle": w.vehicle.pk},
        ),
        "depart": lambda pk: post(w.driver, pk, "depart", {}),
        "receive": lambda pk: post(w.receiver_clerk, pk, "receive", {"received_kg": "350.5"}),
        "complete": lambda pk: post(w.receiver_clerk, pk, "complete", {"method": w.method.code}),
    }


def lifecycle_op(worlds):
    """create+submit → complete for the generator of the current client (by process)."""
    from wufei.manifests import services

    def op(i: int) -> None:
        w = worlds[i % len(worlds)]
        m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=True)
        ops = service_ops(w, {m.pk: services.signing_code(m)})
        for stage in STAGES:
            ops[stage](m.pk)

    return op


def signing_codes(pks: list[int]) -> dict[int, str]:
    from wufei.manifests import services
    from wufei.manifests.models import Manifest

    rows = Manifest.objects.filter(pk__in=pks).only("pk", "signing_nonce")
    return {m.pk: services.signing_code(m) for m in rows}


def api_available() -> bool:
    from django.urls import Resolver404, resolve

    try:
        for action in ("pick-up", "depart", "receive", "complete"):
            resolve(f"/api/v1/manifests/1/{action}/")
    except Resolver404:
        return False
    return True


# --- profile ------------------------------------------------------------------------------


def explain(worlds, repeat: int) -> None:
    """Queries per transition (one of each), then a cProfile of ``repeat`` departs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = worlds[0]
    pks = submitted([w], repeat + 1)
    ops = service_ops(w, signing_codes(pks))
    print("\nqueries per transition (one manifest, one client):")
    for stage in STAGES:
        with CaptureQueriesContext(connection) as ctx:
            ops[stage](pks[0])
        print(f"  {stage:<9} {len(ctx.captured_queries):>2} queries")
        for q in ctx.captured_queries:
            print(f"      {q['time']:>6}s  {' '.join(q['sql'].split())[:150]}")
    with CaptureQueriesContext(connection) as ctx:
        bare_op(pks[0])
    print(f"  {'bare':<9} {len(ctx.captured_queries):>2} queries")
    if api_available():
        (pk,) = submitted([w], 1)
        api = api_ops(w, signing_codes([pk]))
        counts = []
        for stage in STAGES:
            with CaptureQueriesContext(connection) as ctx:
                api[stage](pk)
            counts.append(f"{stage} {len(ctx.captured_queries)}")
        print(f"  through the API: {', '.join(counts)} queries")
    for pk in pks[1:]:
        ops["pick_up"](pk)
    profile = cProfile.Profile()
    profile.enable()
    for pk in pks[1:]:
        ops["depart"](pk)
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(r"wufei|django/db/(models/(query|base|sql/compiler)|backends/utils)", 30)
    print(f"\ncProfile of {repeat} departs (cumulative, wufei and Django ORM frames):")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


# --- main ---------------------------------------------------------------------------------


def bench(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated {args.database} in {time.perf_counter() - started:.1f} s", flush=True)
    random.seed(args.seed)
    if args.explain_only:
        explain(build_world(1), args.profile)
        return
    clients_list = (1, 4)
    worlds = build_world(max(clients_list))
    per_client = WARM
    with_api = api_available()
    results: list[Result] = []
    bare: dict[int, Result] = {}
    plan = {c: args.ops + per_client * c for c in clients_list}
    api_plan = {c: args.api_ops + per_client * c for c in clients_list}

    print("creating submitted manifests…", flush=True)
    t = time.perf_counter()
    sets = {c: submitted(worlds[:c], plan[c]) for c in clients_list}
    bare_rows = submitted(worlds, 40)
    api_sets = {c: submitted(worlds[:c], api_plan[c]) for c in clients_list} if with_api else {}
    made = sum(map(len, sets.values())) + 40 + sum(map(len, api_sets.values()))
    elapsed = time.perf_counter() - t
    print(f"  {made} manifests in {elapsed:.1f} s ({made / elapsed:.1f}/s, one client)")
    print(f"database: {connection.vendor} {connection.pg_version}; measuring", flush=True)

    for c in clients_list:
        items = [bare_rows[i % len(bare_rows)] for i in range(plan[c])]
        bare[c] = run_clients("bare transaction", bare_op, items, c)
        results.append(bare[c])
        codes = signing_codes(sets[c])
        ops = service_ops(worlds[0], codes)
        for stage in STAGES:
            results.append(run_clients(f"service {stage}", ops[stage], sets[c], c))
        runs = list(range(args.lifecycles + WARM * c))
        results.append(run_clients("lifecycle (5 steps)", lifecycle_op(worlds[:c]), runs, c))
    for c in clients_list if with_api else ():
        ops = api_ops(worlds[0], signing_codes(api_sets[c]))
        for stage in STAGES:
            results.append(run_clients(f"api {stage}", ops[stage], api_sets[c], c))
    if not with_api:
        print("API: /api/v1/manifests/{id}/depart/ does not resolve yet: API part skipped")
    print_table(results, bare)
    explain(worlds, args.profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="wufei_bench_manifests")
    parser.add_argument("--ops", type=int, default=400, help="timed operations per measure")
    parser.add_argument("--api-ops", type=int, default=200, help="timed API operations")
    parser.add_argument("--lifecycles", type=int, default=120)
    parser.add_argument("--profile", type=int, default=200, help="departs under cProfile")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--quick", action="store_true", help="a smoke run (few operations)")
    parser.add_argument("--explain-only", action="store_true", help="queries and profile only")
    args = parser.parse_args()
    if args.quick:
        args.ops, args.api_ops, args.lifecycles, args.profile = 40, 40, 20, 20
    os.environ["WUFEI_DATABASE_URL"] = recreate_database(args.database)
    import django

    django.setup()
    bench(args)


if __name__ == "__main__":
    main()
