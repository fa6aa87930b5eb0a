"""What operators do with the device stream: replay or discard quarantined messages, and issue
or revoke the tokens that let a device post over HTTP."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.models import ApiToken
from wufei.accounts.scoping import ensure_permitted
from wufei.accounts.services import api_token_create, api_token_revoke
from wufei.core.errors import FieldError, Invalid, WufeiError
from wufei.core.services import log_change
from wufei.iot.choices import Channel, QuarantineStatus
from wufei.iot.intake import Incoming, Intake, Outcome, Refused
from wufei.iot.models import QuarantinedMessage
from wufei.registry.models import Device


class AlreadyHandled(WufeiError):
    code = "already_handled"
    status = 409


def _pending(item: QuarantinedMessage) -> QuarantinedMessage:
    locked = QuarantinedMessage.objects.select_for_update().get(pk=item.pk)
    if locked.status != QuarantineStatus.PENDING:
        raise AlreadyHandled(
            _("该报文已处理（%(status)s）。") % {"status": locked.get_status_display()}
        )
    return locked


def quarantine_replay(*, actor, item: QuarantinedMessage, intake: Intake | None = None) -> Outcome:
    """Run a held message through the intake again, as received (after the operator registered
    the device, corrected its kind, and so on). Accepted or duplicate: the item is closed as
    replayed; refused again: it stays pending with the new reason."""
    ensure_permitted(actor, Action.CHANGE, item)
    with transaction.atomic():
        locked = _pending(item)
        message = Incoming(
            topic=locked.topic,
            payload=bytes(locked.payload),
            received_at=locked.received_at,
            channel=Channel.REPLAY,
        )
        intake = intake or Intake()
        try:
            intake.decode(message)
        except Refused as refusal:  # still refused: it stays pending, with today's reason
            locked.reason = refusal.reason
            locked.field, locked.detail = refusal.field[:40], refusal.detail[:300]
            locked.save(update_fields=["reason", "field", "detail"])
            return Outcome(
                "quarantined", reason=refusal.reason, field=refusal.field, detail=refusal.detail
            )
        result = intake.store([message])
        outcome = result.outcomes[0]
        locked.status = QuarantineStatus.REPLAYED
        locked.handled_at, locked.handled_by = timezone.now(), actor
        locked.note = str(outcome.status)
        locked.save(update_fields=["status", "handled_at", "handled_by", "note"])
        log_change(actor=actor, obj=locked, action="change", data={"replayed": outcome.status})
    return outcome


def quarantine_discard(*, actor, item: QuarantinedMessage, note: str) -> QuarantinedMessage:
    """Close a held message without storing it; the reason is kept with it."""
    ensure_permitted(actor, Action.CHANGE, item)
    if not note.strip():
        raise Invalid([FieldError("note", "required", _("请说明作废原因。"))])
    with transaction.atomic():
        locked = _pending(item)
        locked.status = QuarantineStatus.DISCARDED
        locked.handled_at, locked.handled_by = timezone.now(), actor
        locked.note = note.strip()[:300]
        locked.save(update_fields=["status", "handled_at", "handled_by", "note"])
        log_change(actor=actor, obj=locked, action="change", data={"discarded": locked.note})
    return locked


def token_issue(*, actor, device: Device) -> tuple[str, ApiToken]:
    """A token for ``device`` to post messages over HTTP, owned by the device's own unit: the
    actor must be an account of the party that owns it. Returns the clear key (shown once)."""
    ensure_permitted(actor, Action.CHANGE, device)
    if getattr(actor, "party_id", None) != device.party_id:
        raise Invalid(
            [
                FieldError(
                    "device", "device_not_owned", _("只有设备所属单位的账户可以为设备签发令牌。")
                )
            ]
        )
    token, key = api_token_create(
        actor=actor,
        user=actor,
        name=_("设备 %(serial)s") % {"serial": device.serial},
        device=device,
    )
    return key, token


def token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if token.device is not None:
        ensure_permitted(actor, Action.CHANGE, token.device)
    return api_token_revoke(actor=actor, token=token)
