"""Reads of residents' reports: the officials' scoped lists and counts, and the follow page's
public view of one report by its code (only what the reporter may know)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, QuerySet
from django.utils import timezone

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.cases.models import Report, ReportEvent, ReportKind, ReportStage
from wufei.cases.reports import ACTION_LABELS, OPEN_STAGES, normalise_code, overdue_q
from wufei.core.errors import NotFound


def report_list(*, actor) -> QuerySet[Report]:
    rows = Report.objects.select_related(
        "region", "region__parent", "stream", "department", "assigned_party", "alert"
    )
    return restrict(rows, actor, Action.VIEW)


def report_get(*, actor, pk: int) -> Report:
    report = report_list(actor=actor).filter(pk=pk).first()
    if report is None:
        raise NotFound()
    return report


def events_of(report: Report) -> QuerySet[ReportEvent]:
    return report.events.select_related("actor").order_by("at", "id")


def overdue(*, actor, now: datetime | None = None) -> QuerySet[Report]:
    return report_list(actor=actor).filter(overdue_q(now or timezone.now()))


def stage_counts(rows: QuerySet[Report]) -> dict[str, int]:
    return dict(rows.order_by().values_list("stage").annotate(n=Count("id")))


def open_points(*, actor) -> list[dict]:
    """Reports still in progress, for the officials' map."""
    rows = report_list(actor=actor).filter(stage__in=(*OPEN_STAGES, ReportStage.ANSWERED))
    return [
        {
            "id": r.pk,
            "code": r.code,
            "kind": r.get_kind_display(),
            "stage": r.stage,
            "value": [float(r.lon), float(r.lat)],
        }
        for r in rows[:5000]
    ]


# --- the public view ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEvent:
    at: datetime
    label: str
    stage_label: str
    note: str


@dataclass(frozen=True)
class PublicReport:
    """What anyone holding the code sees: no coordinates, no phone, no source key, no names of
    the people handling it, no internal links (the IoT alert)."""

    code: str
    kind: str
    kind_label: str
    stage: str
    stage_label: str
    created_at: datetime
    place: str
    description: str
    department: str
    answer: str
    rating: int | None
    rating_comment: str
    closed_at: datetime | None
    events: list[PublicEvent] = field(default_factory=list)

    @property
    def can_rate(self) -> bool:
        return self.stage == ReportStage.ANSWERED

    @property
    def finished(self) -> bool:
        return self.stage in (ReportStage.CLOSED, ReportStage.REJECTED)


PUBLIC_FIELDS = (
    "code",
    "kind",
    "kind_label",
    "stage",
    "stage_label",
    "created_at",
    "place",
    "description",
    "department",
    "answer",
    "rating",
    "rating_comment",
    "closed_at",
    "events",
)


def _place(report: Report) -> str:
    region = report.region
    county = region.county
    if county is not None and county.pk != region.pk:
        return f"{county.name} {region.name}"
    return region.name


def public_report(code: str) -> PublicReport:
    report = (
        Report.objects.select_related("region", "region__parent", "department")
        .filter(code=normalise_code(code))
        .first()
    )
    if report is None or not code:
        raise NotFound(_not_found_message())
    events = [
        PublicEvent(
            at=e.at,
            label=str(ACTION_LABELS.get(e.action, e.action)),
            stage_label=str(e.get_stage_display()),
            note=e.note if e.action != "rate" else "",
        )
        for e in report.events.filter(public=True).order_by("at", "id")
    ]
    return PublicReport(
        code=report.code,
        kind=report.kind,
        kind_label=str(ReportKind(report.kind).label),
        stage=report.stage,
        stage_label=str(report.get_stage_display()),
        created_at=report.created_at,
        place=_place(report),
        description=report.description,
        department=str(report.department) if report.department else "",
        answer=report.answer,
        rating=report.rating,
        rating_comment=report.rating_comment,
        closed_at=report.closed_at,
        events=events,
    )


def _not_found_message() -> str:
    from django.utils.translation import gettext as _

    return _("没有这个查询码，请核对后重新输入。")
