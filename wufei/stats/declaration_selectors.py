"""Reads of declarations, each scoped to what the actor may see."""

from __future__ import annotations

from django.db.models import QuerySet

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.errors import NotFound
from wufei.core.models import ChangeLog
from wufei.core.selectors import change_history
from wufei.registry.selectors import light_regions
from wufei.stats.choices import DeclarationStatus
from wufei.stats.declaration_kinds import KINDS, Kind
from wufei.stats.declarations import may_declare, may_review, submitters
from wufei.stats.models import Declaration, DeclarationLine

LIST_RELATED = ("party", "department", "region", "stream", "created_by", "reviewed_by")
REVIEW_LIMIT = 200


def declaration_list(*, actor) -> QuerySet[Declaration]:
    rows = light_regions(Declaration.objects.select_related(*LIST_RELATED), "region")
    return restrict(rows, actor, Action.VIEW)


def declaration_get(*, actor, pk: int) -> Declaration:
    found = declaration_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


def declaration_lines(declaration: Declaration) -> QuerySet[DeclarationLine]:
    return declaration.lines.select_related("waste_code", "stream", "category").order_by(
        "waste_code__code", "pk"
    )


def declaration_history(*, actor, declaration: Declaration) -> QuerySet[ChangeLog]:
    """Who drafted, changed, submitted and reviewed it, newest first (for those who may
    change it: its declarants and its reviewers)."""
    return change_history(actor=actor, obj=declaration)


def declarable_kinds(*, actor) -> list[Kind]:
    """The kinds ``actor`` may declare (for some party or region)."""
    return [k for k in KINDS.values() if may_declare(actor, k)]


def to_review(*, actor) -> list[Declaration]:
    """Submitted declarations the actor may accept or return, oldest first."""
    rows = declaration_list(actor=actor).filter(status=DeclarationStatus.SUBMITTED)
    waiting = list(rows.order_by("submitted_at", "pk")[:REVIEW_LIMIT])
    by = submitters(d.pk for d in waiting)
    return [d for d in waiting if may_review(actor, d, submitted=by.get(d.pk, set()))]
