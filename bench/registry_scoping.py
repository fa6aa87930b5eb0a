"""How much does scoping cost? Registry list latency per role, beside the bare query.

For each role of the demo logins and each of sites, facilities and permits, times three reads
of the first page (50 rows):
- bare: the page by a plain ORM query, no scoping, no count;
- scoped: ``restrict(queryset, actor)`` plus the COUNT the pager needs, then the page;
- api: the whole stack through the in-process test client (routing, authentication,
  ``restrict``, filters, paging with its COUNT, serialisation to JSON).
Prints medians (and the API's p95) in milliseconds and the ratios scoped/bare and api/bare.

Run on a database with a generated city, e.g. on PostgreSQL:

    export WUFEI_DATABASE_URL=postgres://postgres@127.0.0.1:5432/wufei_bench
    .venv/bin/wufei migrate && .venv/bin/wufei generate --scale city --seed 2020
    .venv/bin/python bench/registry_scoping.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from wufei.accounts.models import User  # noqa: E402
from wufei.accounts.scoping import restrict  # noqa: E402
from wufei.registry import models  # noqa: E402

ENDPOINTS = {
    "sites": (models.Site, ("party", "region")),
    "facilities": (models.Facility, ("site", "site__region")),
    "permits": (models.Permit, ("stream",)),
}


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm caches and connections
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    setup_test_environment()
    users = {}
    for user in User.objects.order_by("username"):
        users.setdefault(user.role if not user.is_superuser else "admin", user)
    if models.Site.objects.count() == 0:
        sys.exit("no generated city in this database: run `wufei generate --scale city` first")
    print(
        f"database: {connection.vendor}; sites {models.Site.objects.count()}, "
        f"facilities {models.Facility.objects.count()}, permits {models.Permit.objects.count()}"
    )
    print(
        f"{'endpoint':<11} {'role':<11} {'rows':>6} {'bare':>6} {'scoped':>7} {'api':>7} "
        f"{'api p95':>8} {'scoped/bare':>12} {'api/bare':>9}"
    )
    for name, (model, related) in ENDPOINTS.items():

        def bare(model=model, related=related):
            return list(model.objects.select_related(*related).order_by("pk")[:50])

        bare_samples = timed(bare, args.repeat)
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            response = client.get(f"/api/v1/{name}/")
            if response.status_code != 200:
                continue
            total = response.json()["count"]

            def scoped(model=model, related=related, user=user):
                qs = restrict(model.objects.select_related(*related), user).order_by("pk")
                return qs.count(), list(qs[:50])

            scoped_samples = timed(scoped, args.repeat)
            api = timed(lambda c=client, n=name: c.get(f"/api/v1/{n}/"), args.repeat)
            b, s_, a = (statistics.median(x) for x in (bare_samples, scoped_samples, api))
            print(
                f"{name:<11} {role:<11} {total:>6} {b:>6.2f} {s_:>7.2f} {a:>7.2f} "
                f"{p95(api):>8.2f} {s_ / b:>12.1f} {a / b:>9.1f}"
            )


if __name__ == "__main__":
    main()
