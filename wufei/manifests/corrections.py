"""Corrections: a new version of a manifest that every party named on it must approve.

The proposer's party approves by proposing. While a correction is pending no other can be
proposed. When the last party approves, the fields change, the version goes up and the
ledger says so; the content every party signed before stays in the revisions.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.alerts.choices import Rule
from wufei.alerts.services import alert_clear
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted
from wufei.manifests import rules
from wufei.manifests.choices import RevisionStatus, State
from wufei.manifests.models import Manifest, ManifestRevision
from wufei.manifests.services import (
    TransitionRefused,
    check_method,
    content,
    lock_visible,
    manifest_subject,
    raise_findings,
    receipt_findings,
    sign,
)
from wufei.registry.models import TreatmentMethod, WasteCode
from wufei.trace import ledger
from wufei.trace.choices import EventKind
from wufei.trace.services import check_mass, check_waste

# What a correction may change, and the state from which each field has a value.
CORRECTABLE = {
    "description": State.DRAFT,
    "waste_code": State.DRAFT,
    "pickup_kg": State.PICKED_UP,
    "received_kg": State.RECEIVED,
    "accepted_kg": State.RECEIVED,
    "method": State.COMPLETED,
}
STATE_ORDER = [
    State.DRAFT,
    State.SUBMITTED,
    State.PICKED_UP,
    State.IN_TRANSIT,
    State.RECEIVED,
    State.COMPLETED,
]


def named_parties(m: Manifest) -> list[int]:
    return list(dict.fromkeys([m.generator_id, m.transporter_id, m.receiver_id]))


def _lock_for(actor, manifest: Manifest | int) -> Manifest:
    pk = manifest.pk if isinstance(manifest, Manifest) else manifest
    m = lock_visible(actor, pk)
    if role_of(actor) != Role.ENTERPRISE or actor.party_id not in named_parties(m):
        raise NotPermitted(_("只有联单上的单位可以提出或确认更正。"), code="not_signer")
    return m


def _clean_changes(m: Manifest, changes: dict) -> dict:
    """Validated values for the fields to change (model instances for the foreign keys)."""
    if not changes:
        raise Invalid([FieldError("changes", "required", _("请填写要更正的内容。"))])
    errors, clean = [], {}
    for name in changes:
        if name not in CORRECTABLE:
            errors.append(
                FieldError(name, "not_correctable", _("“%(name)s”不能更正。") % {"name": name})
            )
        elif m.state not in STATE_ORDER or STATE_ORDER.index(m.state) < STATE_ORDER.index(
            CORRECTABLE[name]
        ):
            errors.append(FieldError(name, "not_yet_recorded", _("联单尚未到达可更正此项的环节。")))
    if errors:
        raise Invalid(errors)
    for name, value in changes.items():
        try:
            if name in ("pickup_kg", "received_kg"):
                clean[name] = check_mass(value, field=name)
            elif name == "accepted_kg":
                clean[name] = Decimal(str(value)).quantize(Decimal("0.001"))
            elif name == "waste_code":
                code = (
                    value
                    if isinstance(value, WasteCode)
                    else WasteCode.objects.filter(code=str(value)).order_by("-valid_from").first()
                )
                if code is None:
                    raise Invalid([FieldError(name, "unknown_code", _("废物代码不存在。"))])
                check_waste(m.stream, code, field=name)
                clean[name] = code
            elif name == "method":
                method = (
                    value
                    if isinstance(value, TreatmentMethod)
                    else TreatmentMethod.objects.filter(code=str(value)).first()
                )
                if method is None:
                    raise Invalid([FieldError(name, "unknown_method", _("利用处置方式不存在。"))])
                clean[name] = check_method(m.flow_def, method)
            else:
                clean[name] = str(value)[:200]
        except Invalid as exc:
            errors.extend(exc.errors)
    received = clean.get("received_kg", m.received_kg)
    accepted = clean.get("accepted_kg", m.accepted_kg)
    if received is not None and accepted is not None and not (0 < accepted <= received):
        errors.append(
            FieldError("accepted_kg", "accepted_out_of_range", _("接收量须大于 0 且不超过过磅量。"))
        )
    if errors:
        raise Invalid(errors)
    return clean


def _as_json(clean: dict) -> dict:
    return ledger.jsonable({k: (v.pk if hasattr(v, "pk") else v) for k, v in clean.items()})


def correction_propose(
    *, actor, manifest: Manifest | int, changes: dict, reason: str
) -> ManifestRevision:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid([FieldError("reason", "required", _("请填写更正原因。"))])
    with transaction.atomic():
        m = _lock_for(actor, manifest)
        if m.state in (State.DRAFT, State.CANCELLED):
            raise TransitionRefused(_("草稿或已撤销的联单无需更正。"))
        if m.revisions.filter(status=RevisionStatus.PENDING).exists():
            raise TransitionRefused(_("已有待确认的更正，请先处理。"), code="correction_pending")
        clean = _clean_changes(m, changes)
        now = timezone.now()
        if not m.revisions.exists():  # keep what everybody signed before the first correction
            original = content(m)
            ManifestRevision.objects.create(
                manifest=m,
                version=m.version,
                status=RevisionStatus.APPLIED,
                content=ledger.jsonable(original),
                content_hash=ledger.content_hash(original),
                reason=_("原始版本"),
                proposed_by=m.created_by,
                proposed_at=m.created_at,
                decided_at=m.created_at,
            )
        # A rejected proposal keeps its number: the next one takes the next free number.
        last = m.revisions.aggregate(v=Max("version"))["v"] or m.version
        version = max(last, m.version) + 1
        proposed = {**content(m), **_as_json(clean), "version": version}
        revision = ManifestRevision.objects.create(
            manifest=m,
            version=version,
            content=ledger.jsonable(proposed),
            content_hash=ledger.content_hash(proposed),
            changes=_as_json(clean),
            reason=reason[:200],
            proposed_by=actor,
            proposed_at=now,
            approvals={str(actor.party_id): {"actor": actor.pk, "at": now.isoformat()}},
        )
        ledger.append(
            m,
            EventKind.CORRECTION_PROPOSED,
            actor=actor,
            party_id=actor.party_id,
            at=now,
            payload={
                "version": revision.version,
                "changes": revision.changes,
                "reason": revision.reason,
                "content": revision.content_hash,
            },
        )
        _maybe_apply(m, revision, actor=actor, at=now)
    return revision


def _lock_revision(actor, revision: ManifestRevision | int) -> tuple[Manifest, ManifestRevision]:
    pk = revision.pk if isinstance(revision, ManifestRevision) else revision
    rev = ManifestRevision.objects.filter(pk=pk).first()
    if rev is None:
        raise NotFound()
    m = _lock_for(actor, rev.manifest_id)
    rev = ManifestRevision.objects.select_for_update().get(pk=pk)
    if rev.status != RevisionStatus.PENDING:
        raise TransitionRefused(_("该更正已处理。"), code="correction_decided")
    return m, rev


def correction_approve(*, actor, revision: ManifestRevision | int) -> ManifestRevision:
    with transaction.atomic():
        m, rev = _lock_revision(actor, revision)
        if str(actor.party_id) in rev.approvals:
            raise TransitionRefused(_("本单位已同意该更正。"), code="already_approved")
        now = timezone.now()
        rev.approvals[str(actor.party_id)] = {"actor": actor.pk, "at": now.isoformat()}
        rev.save(update_fields=["approvals"])
        ledger.append(
            m,
            EventKind.CORRECTION_APPROVED,
            actor=actor,
            party_id=actor.party_id,
            at=now,
            payload={"version": rev.version, "content": rev.content_hash},
        )
        _maybe_apply(m, rev, actor=actor, at=now)
    return rev


def correction_reject(*, actor, revision: ManifestRevision | int, reason: str) -> ManifestRevision:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid([FieldError("reason", "required", _("请填写不同意的理由。"))])
    with transaction.atomic():
        m, rev = _lock_revision(actor, revision)
        now = timezone.now()
        rev.status, rev.decided_at = RevisionStatus.REJECTED, now
        rev.approvals[str(actor.party_id)] = {
            "actor": actor.pk,
            "at": now.isoformat(),
            "rejected": reason[:200],
        }
        rev.save(update_fields=["status", "decided_at", "approvals"])
        ledger.append(
            m,
            EventKind.CORRECTION_REJECTED,
            actor=actor,
            party_id=actor.party_id,
            at=now,
            payload={"version": rev.version, "reason": reason[:200]},
        )
        m.save(update_fields=["ledger_seq", "ledger_head"])
    return rev


def _maybe_apply(m: Manifest, rev: ManifestRevision, *, actor, at) -> bool:
    if any(str(p) not in rev.approvals for p in named_parties(m)):
        m.save(update_fields=["ledger_seq", "ledger_head"])
        return False
    for name, value in rev.changes.items():
        if name == "waste_code":
            m.waste_code_id = value
        elif name == "method":
            m.method_id = value
        elif name in ("pickup_kg", "received_kg", "accepted_kg"):
            setattr(m, name, Decimal(str(value)))
        else:
            setattr(m, name, value)
    m.version = rev.version
    rev.status, rev.decided_at = RevisionStatus.APPLIED, at
    rev.save(update_fields=["status", "decided_at"])
    sign(
        m,
        EventKind.CORRECTION_APPLIED,
        actor=actor,
        party_id=actor.party_id,
        at=at,
        payload={"changes": rev.changes},
    )
    if m.received_kg is not None and m.state in (State.RECEIVED, State.COMPLETED):
        raise_findings(m, receipt_findings(m, m.flow_def, at), at)
        if rules.weight_gap(m.flow_def, m.pickup_kg or Decimal(0), m.received_kg) is None:
            alert_clear(
                rule=Rule.WEIGHT_GAP,
                subject=manifest_subject(m),
                note=_("更正为第 %(v)s 版后磅差在允许范围内。") % {"v": m.version},
                at=at,
            )
    return True
