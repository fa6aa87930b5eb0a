"""Reads of inspections and enforcement, scoped to the actor: an enterprise sees its own
inspections and orders, a county official the county's, the city everything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may, restrict
from wufei.cases.models import (
    Campaign,
    Checklist,
    DumpSite,
    Finding,
    Inspection,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
    Reinspection,
    Severity,
)

OPEN_STATUSES = (OrderStatus.OPEN, OrderStatus.FAILED)


def campaign_list(*, actor) -> QuerySet[Campaign]:
    """Campaigns in the actor's scope, and for an actor bound to a region (a county) also the
    campaigns covering it (the city's 大督查), whose progress they then see for their county."""
    rows = Campaign.objects.select_related("region")
    visible = restrict(rows, actor, Action.VIEW)
    region = getattr(actor, "region", None) if getattr(actor, "is_authenticated", False) else None
    if region is None or not may(actor, Action.VIEW, Campaign):
        return visible
    covering = [p for p in region.path.split("/") if p]
    return rows.filter(Q(pk__in=visible.values("pk")) | Q(region__adcode__in=covering))


def checklist_list(*, actor) -> QuerySet[Checklist]:
    return restrict(Checklist.objects.filter(is_active=True), actor, Action.VIEW)


def inspection_list(*, actor) -> QuerySet[Inspection]:
    rows = Inspection.objects.select_related(
        "campaign", "checklist", "site", "dump_site", "party", "region"
    ).annotate(finding_count=Count("findings"))
    return restrict(rows, actor, Action.VIEW).order_by("-inspected_on", "-id")


def finding_list(*, actor) -> QuerySet[Finding]:
    rows = Finding.objects.select_related("inspection", "inspection__region", "item")
    return restrict(rows, actor, Action.VIEW)


def overdue_q(today: date) -> Q:
    """Orders still to rectify whose deadline has passed."""
    return Q(status__in=OPEN_STATUSES, deadline__lt=today)


def order_list(*, actor) -> QuerySet[RectificationOrder]:
    rows = RectificationOrder.objects.select_related(
        "finding", "finding__inspection", "party", "region"
    )
    return restrict(rows, actor, Action.VIEW)


def orders_overdue(*, actor, today: date) -> QuerySet[RectificationOrder]:
    return order_list(actor=actor).filter(overdue_q(today))


def reinspections_of(order: RectificationOrder) -> QuerySet[Reinspection]:
    return order.reinspections.order_by("inspected_on", "id")


def dump_site_list(*, actor) -> QuerySet[DumpSite]:
    return restrict(DumpSite.objects.select_related("region", "party"), actor, Action.VIEW)


@dataclass
class Progress:
    """A campaign's (or any set of inspections') progress, as the campaign page shows it."""

    inspections: int = 0
    submitted: int = 0
    findings: dict[str, int] = field(default_factory=dict)  # by severity
    orders_open: int = 0
    orders_overdue: int = 0
    orders_reported: int = 0
    orders_closed: int = 0

    @property
    def finding_total(self) -> int:
        return sum(self.findings.values())

    @property
    def findings_by_severity(self) -> list[tuple[str, str, int]]:
        return [
            (value, str(label), self.findings.get(value, 0)) for value, label in Severity.choices
        ]


def progress(*, actor, inspections: QuerySet[Inspection], today: date) -> Progress:
    """Counts over ``inspections`` as far as ``actor`` may see them (four small queries)."""
    visible = restrict(inspections, actor, Action.VIEW)
    counts = visible.order_by().aggregate(
        total=Count("pk"), submitted=Count("pk", filter=Q(status=InspectionStatus.SUBMITTED))
    )
    findings = {
        row["severity"]: row["n"]
        for row in restrict(Finding.objects.filter(inspection__in=visible), actor, Action.VIEW)
        .order_by()
        .values("severity")
        .annotate(n=Count("pk"))
    }
    orders = (
        restrict(
            RectificationOrder.objects.filter(finding__inspection__in=visible), actor, Action.VIEW
        )
        .order_by()
        .aggregate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=overdue_q(today)),
            reported=Count("pk", filter=Q(status=OrderStatus.REPORTED)),
            closed=Count("pk", filter=Q(status=OrderStatus.CLOSED)),
        )
    )
    return Progress(
        inspections=counts["total"],
        submitted=counts["submitted"],
        findings=findings,
        orders_open=orders["open"],
        orders_overdue=orders["overdue"],
        orders_reported=orders["reported"],
        orders_closed=orders["closed"],
    )


def dump_site_counts(rows: QuerySet[DumpSite]) -> dict[tuple[str, str], int]:
    """(kind, state) → count, for the register's summary table."""
    return {
        (r["kind"], r["state"]): r["n"]
        for r in rows.order_by().values("kind", "state").annotate(n=Count("pk"))
    }
