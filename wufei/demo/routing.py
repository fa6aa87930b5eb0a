"""The demo city's baseline collection rounds: how drivers run them today, before planning.

Each county's sites of a stream are taken in a fixed district order (town, then name), split
into contiguous runs, one per vehicle: every compactor of the county's sanitation company for
household waste; for kitchen and medical waste (one citywide operator each) as many tankers
or vans as the county's sites need at a typical round's size. Which vehicles drive them is
drawn from the seed, so the same seed gives the same rounds.
"""

from __future__ import annotations

import math
import random

from wufei.demo.figures import COUNTIES
from wufei.registry.models import Region, WasteStream
from wufei.routing.build import RULES, fleet, stream_sites
from wufei.routing.choices import PlanStream
from wufei.routing.models import Round, RoundStop

# Sites per round today, where the fleet is shared across counties (invented, typical). A
# kitchen tanker empties its restaurants in the 2.5-hour window after lunch and again after
# dinner: about 15 sites a round, or the round cannot keep the windows it is compared against.
SITES_PER_ROUND = {PlanStream.KITCHEN: 15, PlanStream.MEDICAL: 30}


def district_order(sites) -> list:
    return sorted(sites, key=lambda s: (s.region.name, s.name, s.pk))


def split(items: list, parts: int) -> list[list]:
    """``items`` in ``parts`` contiguous runs of near-equal length (longer ones first)."""
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for k in range(parts):
        end = start + size + (1 if k < extra else 0)
        out.append(items[start:end])
        start = end
    return out


def rounds_generate(seed: int) -> dict[str, int]:
    """Create the fixed rounds of every county and planned stream; returns row counts keyed by
    model label, as the generator's other counts are (the demo report names the model)."""
    rounds, stops = [], []
    for county_spec in COUNTIES:
        county = Region.objects.filter(adcode=county_spec.adcode).first()
        if county is None:
            continue
        for code in PlanStream.values:
            rule = RULES[code]
            sites = district_order(stream_sites(rule, county))
            vehicles = fleet(rule, county)
            if not sites or not vehicles:
                continue
            rng = random.Random(f"{seed}:rounds:{county.adcode}:{code}")
            rng.shuffle(vehicles)
            per_round = SITES_PER_ROUND.get(code)
            count = len(vehicles) if per_round is None else math.ceil(len(sites) / per_round)
            count = max(1, min(count, len(vehicles), len(sites)))
            stream = WasteStream.objects.get(code=code)
            for number, (vehicle, run) in enumerate(
                zip(vehicles, split(sites, count), strict=False), start=1
            ):
                round_ = Round(
                    vehicle=vehicle,
                    county=county,
                    stream=stream,
                    name=f"{county.name}{stream.name}{number}号线（{vehicle.plate}）",
                )
                rounds.append(round_)
                stops.extend(RoundStop(round=round_, seq=k, site=s) for k, s in enumerate(run, 1))
    Round.objects.bulk_create(rounds)
    for stop in stops:
        stop.round_id = stop.round.pk
    RoundStop.objects.bulk_create(stops, batch_size=2000)
    return {"routing.Round": len(rounds), "routing.RoundStop": len(stops)}
