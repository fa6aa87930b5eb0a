"""Household sorting's read side on the demo city: what an official's pages cost.

Run after ``make demo`` (or on any database ``WUFEI_DATABASE_URL`` names that holds a generated
city); nothing is written that stays (the assessment is rolled back). Prints, for the latest
full month of the demo's sorting, the median and max wall time and the query count of:
- the city's measures for the month (participation, accuracy, 分出率, recyclables);
- the ranking of every community by participation;
- the city's twelve-month trend;
- the 以奖代补 assessment of every community for the month;
- the sorting lookup, over a set of typed words.

    .venv/bin/python bench/sorting.py [--samples 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wufei.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

WORDS = ("电池", "外卖盒", "过期药品", "纸巾", "塑料瓶", "果皮", "旧衣服", "灯管", "陶瓷", "xx")


def measure(label: str, samples: int, fn) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(samples):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    print(
        f"{label:<44} median {statistics.median(times) * 1000:8.1f} ms"
        f"   max {max(times) * 1000:8.1f} ms   {len(queries.captured_queries)} queries"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import transaction

    from wufei.registry.choices import RegionLevel
    from wufei.registry.models import Region
    from wufei.sorting import assessment, lookup, measures
    from wufei.sorting.models import AssessmentScheme, Community, Drop

    last = Drop.objects.order_by("-dropped_at").values_list("dropped_at", flat=True).first()
    if last is None:
        sys.exit("no drops: run `make demo` (or `wufei generate`) first")
    month_start = (last.date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    period = measures.Period.containing(measures.MONTH, month_start)
    city = measures.Area(Region.objects.get(level=RegionLevel.CITY))
    scheme = AssessmentScheme.objects.order_by("-pk").first()
    print(
        f"{Community.objects.count():,} communities, {Drop.objects.count():,} drops; "
        f"month {period.key}, {args.samples} samples each"
    )

    measure("city measures, one month", args.samples, lambda: measures.compute(city, period))
    measure(
        "ranking of every community (participation)",
        args.samples,
        lambda: measures.ranking(city, period, "participation_rate"),
    )
    measure(
        "city trend, twelve months", args.samples, lambda: measures.monthly(city, period.start.year)
    )
    if scheme is not None:

        def assess_and_roll_back() -> None:
            with transaction.atomic():
                assessment.assess(actor=None, scheme=scheme, start=period.start, end=period.end)
                transaction.set_rollback(True)

        measure("以奖代补 assessment, every community", args.samples, assess_and_roll_back)
    measure(
        f"lookup, {len(WORDS)} words",
        args.samples,
        lambda: [lookup.search(word) for word in WORDS],
    )


if __name__ == "__main__":
    main()
