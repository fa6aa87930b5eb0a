"""Writes of the demo app: generate the synthetic city, and remove it again.

Generation writes tens of thousands of registry rows, so it does not go through the
registry's one-row services: it builds the rows, checks each as those services would
(``wufei.demo.builder``) and inserts them in batches inside one transaction. One change-log
row records each generation and each reset.
"""

from __future__ import annotations

from contextlib import contextmanager
from time import perf_counter

from django.db import connection, transaction
from django.db.models.deletion import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Role
from wufei.accounts.models import User
from wufei.alerts.models import Alert, AlertAction
from wufei.core.errors import NotPermitted, WufeiError
from wufei.core.services import log_change
from wufei.demo.assessment import assessment_generate
from wufei.demo.bulletins import bulletins_generate
from wufei.demo.city import CityGenerator
from wufei.demo.figures import SCALES
from wufei.demo.inspections import inspections_generate, inspections_reset
from wufei.demo.models import GeneratedParty, Generation
from wufei.demo.outreach import outreach_generate, outreach_reset
from wufei.demo.plan import plan_generate, plan_reset
from wufei.demo.reports import reports_generate, reports_reset
from wufei.demo.routing import rounds_generate
from wufei.demo.sorting import sorting_generate, sorting_reset
from wufei.demo.statistics import DEMO_ORIGIN, statistics_derive
from wufei.iot.models import READING_MODELS, QuarantinedMessage
from wufei.manifests.models import Manifest, ManifestItem, ManifestRevision
from wufei.plan.models import Article, Bulletin, CreditScore, Score
from wufei.registry.models import Device, Facility, Party, Permit, Site, Vehicle
from wufei.routing.models import Round, RoutePlan
from wufei.stats.models import (
    Declaration,
    Forecast,
    IndicatorTarget,
    IndicatorValue,
    Rollup,
    RollupDirty,
    RollupMonth,
)
from wufei.stats.rollups import rebuild
from wufei.trace.models import Container, ContainerLink, LedgerEvent


class CityExists(WufeiError):
    code = "demo_city_exists"
    status = 409
    default_message = _("数据库中已有生成的演示城市。")


class CityInUse(WufeiError):
    code = "demo_city_in_use"
    status = 409
    default_message = _("生成的演示数据已被其他记录引用，无法删除。")


def _ensure_system_or_admin(actor) -> None:
    """``None`` is the system itself (the ``wufei`` commands); otherwise an administrator."""
    if actor is not None and not (actor.is_superuser or actor.role == Role.ADMIN):
        raise NotPermitted()


def current_generation() -> Generation | None:
    return Generation.objects.order_by("-created_at").first()


def city_generate(*, actor, scale: str, seed: int, derive: bool = False) -> Generation:
    """Generate the demo city at ``scale`` from ``seed`` (refused if one exists). ``derive``
    also builds what the nightly jobs would — rollups, indicator values, forecasts — as the
    ``generate`` and ``demo`` commands do; tests of the generator leave it out (the forecasts
    alone take half a minute at city scale)."""
    _ensure_system_or_admin(actor)
    if scale not in SCALES:
        raise WufeiError(_("未知的规模：%(scale)s。") % {"scale": scale}, code="unknown_scale")
    started = perf_counter()
    with transaction.atomic():
        existing = Generation.objects.select_for_update().first()
        if existing is not None:
            raise CityExists(
                _(
                    "数据库中已有生成的演示城市（规模 %(scale)s，种子 %(seed)s，生成于 %(time)s）。"
                    "如需重新生成，请加 --reset：只删除此前生成的数据，参考数据保持不变。"
                )
                % {
                    "scale": existing.scale,
                    "seed": existing.seed,
                    "time": timezone.localtime(existing.created_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
        generation = Generation.objects.create(scale=scale, seed=seed)
        generator = CityGenerator(scale=scale, seed=seed, generation=generation)
        generation.counts = generator.run()
        today = timezone.localdate(generation.created_at)
        generation.counts.update(rounds_generate(seed))
        generation.counts.update(inspections_generate(seed=seed, today=today))
        generation.counts.update(plan_generate(seed=seed, today=today))
        generation.counts.update(sorting_generate(seed=seed, scale=scale, today=today))
        generation.counts.update(reports_generate(seed=seed, scale=scale, today=today))
        generation.counts.update(outreach_generate(seed=seed, scale=scale, today=today))
        if derive:
            generation.counts.update(statistics_derive(today))
            # These read the indicator values the statistics just derived.
            generation.counts.update(assessment_generate(seed=seed, today=today))
            generation.counts.update(bulletins_generate(seed=seed, today=today))
        generation.anchors = generator.anchor_ids()
        generation.seconds = round(perf_counter() - started, 3)
        generation.save(update_fields=["counts", "anchors", "seconds"])
        log_change(
            actor=actor,
            obj=generation,
            action="create",
            data={"scale": scale, "seed": seed, "counts": generation.counts},
        )
    _refresh_planner_statistics()
    return generation


def _refresh_planner_statistics() -> None:
    """After a bulk load PostgreSQL's row estimates are stale until autovacuum comes by, and
    its plans for scoped lists are 2-3x slower meanwhile (docs/benchmarks.md): analyse now."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@contextmanager
def _ledger_deletable():
    """On PostgreSQL the ledger refuses DELETE (trace migration 0002); the reset removes the
    generated chains only, inside its transaction, with the trigger off meanwhile."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            # Deferred foreign-key checks still pending in this transaction would make
            # PostgreSQL refuse the ALTER ("pending trigger events"): run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE trace_ledgerevent DISABLE TRIGGER ledger_append_only")
    try:
        yield
    finally:
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("ALTER TABLE trace_ledgerevent ENABLE TRIGGER ledger_append_only")


def city_reset(*, actor) -> dict[str, int]:
    """Remove every generated row (and the demo logins bound to generated units); keep the
    reference data and everything else. Returns the rows removed per model."""
    _ensure_system_or_admin(actor)
    removed: dict[str, int] = {}
    generated = GeneratedParty.objects.values("party_id")
    manifests = Manifest.objects.filter(generator__in=generated)
    containers = Container.objects.filter(origin__in=generated)
    steps = (
        # Derived statistics first (they point at generated facilities); rebuilt afterwards
        # from whatever raw records remain. Then the demo's declarations and targets.
        Rollup.objects.all(),
        RollupMonth.objects.all(),
        RollupDirty.objects.all(),
        IndicatorValue.objects.all(),
        Forecast.objects.all(),
        Score.objects.all(),
        CreditScore.objects.filter(party__in=generated),
        Article.objects.filter(bulletin__created_by__isnull=True),  # the demo's bulletins
        Bulletin.objects.filter(created_by__isnull=True),
        Declaration.objects.filter(origin=DEMO_ORIGIN),
        Declaration.objects.filter(party__in=generated),
        IndicatorTarget.objects.filter(note__startswith=DEMO_ORIGIN),
        # The manifests and containers of the generated units (wufei.demo.manifests), with
        # their alerts, links and ledger chains, before the units themselves.
        AlertAction.objects.filter(alert__party__in=generated),
        Alert.objects.filter(party__in=generated),
        # Readings of the generated devices (a weigh ticket may name a generated manifest),
        # and the route plans and fixed rounds of the generated fleet.
        *(
            model._default_manager.filter(device__party__in=generated)
            for model in READING_MODELS.values()
        ),
        QuarantinedMessage.objects.filter(device__party__in=generated),
        RoutePlan.objects.filter(routes__vehicle__party__in=generated),
        Round.objects.filter(vehicle__party__in=generated),
        ManifestRevision.objects.filter(manifest__in=manifests),
        ManifestItem.objects.filter(manifest__in=manifests),
        ManifestItem.objects.filter(container__in=containers),
        ContainerLink.objects.filter(source__in=containers),
        ContainerLink.objects.filter(target__in=containers),
        LedgerEvent.objects.filter(chain__in=manifests.values("number")),
        LedgerEvent.objects.filter(chain__in=containers.values("code")),
        Container.objects.filter(origin__in=generated, parent__isnull=False),
        Container.objects.filter(origin__in=generated),
        manifests,
        User.objects.filter(party__in=generated),
        Vehicle.objects.filter(party__in=generated),
        Permit.objects.filter(party__in=generated),
        Device.objects.filter(party__in=generated),
        Facility.objects.filter(site__party__in=generated),
        Site.objects.filter(party__in=generated),
        Party.objects.filter(pk__in=generated),
        Generation.objects.all(),
    )
    try:
        with transaction.atomic():
            for generation in Generation.objects.select_for_update():
                log_change(
                    actor=actor,
                    obj=generation,
                    action="deactivate",
                    data={"scale": generation.scale, "seed": generation.seed},
                )
            with _ledger_deletable():
                # The plan's demo activity and the inspections point at generated units and
                # sites; their generators know what they made.
                removed.update(sorting_reset())
                removed.update(reports_reset())
                removed.update(outreach_reset())
                removed.update(plan_reset())
                removed.update(inspections_reset())
                for queryset in steps:
                    _, per_model = queryset.delete()
                    for label, count in per_model.items():
                        removed[label] = removed.get(label, 0) + count
    except ProtectedError as exc:
        blockers = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
        raise CityInUse(
            _(
                "生成的演示数据已被其他记录引用（%(what)s），无法只删除生成的数据；"
                "请改用一个新的数据库。"
            )
            % {"what": "、".join(str(b) for b in blockers)}
        ) from exc
    rebuild()
    return {label: count for label, count in removed.items() if count}
