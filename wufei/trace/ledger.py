"""The hash chain: how an event is hashed, appended and verified.

An event's hash is SHA-256 over its predecessor's hash and a canonical JSON of its own
content (chain, sequence, kind, time in UTC to the microsecond, actor, party, payload), so
changing, removing or inserting any event breaks the chain at that point. The owner row of
each chain (a manifest, a container) keeps the chain's head, so removing the last events of
a chain is caught too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.trace.models import ChainOwner, LedgerEvent

GENESIS = "0" * 64

# Models whose rows head a chain, with the field holding the chain's name.
_CHAIN_OWNERS: list[tuple[type[models.Model], str]] = []


def register_chain_owner(model: type[models.Model], field: str) -> None:
    if (model, field) not in _CHAIN_OWNERS:
        _CHAIN_OWNERS.append((model, field))


def chain_owners() -> list[tuple[type[models.Model], str]]:
    from wufei.trace.models import Container

    return [(Container, "code"), *_CHAIN_OWNERS]


def _default(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"cannot hash {type(value).__name__}")


def canonical(value) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def jsonable(value):
    """``value`` as it will read back from the JSON column (Decimals and times as text)."""
    return json.loads(canonical(value))


def event_hash(
    *, prev_hash: str, chain: str, seq: int, kind: str, at: datetime, actor_id, party_id, payload
) -> str:
    body = canonical(
        {
            "chain": chain,
            "seq": seq,
            "kind": kind,
            "at": at,
            "actor": actor_id,
            "party": party_id,
            "payload": payload,
        }
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def content_hash(content: object) -> str:
    """The hash a signature covers: the canonical JSON of a document's content."""
    return hashlib.sha256(canonical(content).encode()).hexdigest()


def build_event(
    owner: ChainOwner,
    kind: str,
    *,
    actor=None,
    party_id: int | None = None,
    payload: dict | None = None,
    at: datetime | None = None,
) -> LedgerEvent:
    """The next event of ``owner``'s chain, unsaved; advances the owner's head in memory.

    The caller holds the owner row locked (``select_for_update``) and saves it in the same
    transaction, so two writers can never extend one chain from the same head (and the
    unique (chain, seq) constraint would refuse the second if they tried).
    """
    at = at or timezone.now()
    payload = jsonable(payload or {})
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    seq = owner.ledger_seq + 1
    prev = owner.ledger_head or GENESIS
    chain = owner.ledger_chain
    digest = event_hash(
        prev_hash=prev,
        chain=chain,
        seq=seq,
        kind=kind,
        at=at,
        actor_id=actor_id,
        party_id=party_id,
        payload=payload,
    )
    owner.ledger_seq = seq
    owner.ledger_head = digest
    return LedgerEvent(
        chain=chain,
        seq=seq,
        kind=kind,
        at=at,
        actor_id=actor_id,
        party_id=party_id,
        payload=payload,
        prev_hash=prev,
        hash=digest,
    )


def append(owner: ChainOwner, kind: str, **kwargs) -> LedgerEvent:
    """Build and insert the next event of ``owner``'s chain (see :func:`build_event`)."""
    event = build_event(owner, kind, **kwargs)
    event.save(force_insert=True)
    return event


# --- verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int | None
    event_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.chain}#{self.seq}" if self.seq is not None else self.chain
        ident = f" (id {self.event_id})" if self.event_id is not None else ""
        return f"{where}{ident}: {self.reason}"


@dataclass
class Verification:
    events: int = 0
    chains: int = 0
    owners: int = 0
    first_break: Break | None = None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _events() -> Iterator[tuple]:
    return (
        LedgerEvent.objects.order_by("chain", "seq")
        .values_list(
            "id",
            "chain",
            "seq",
            "kind",
            "at",
            "actor_id",
            "party_id",
            "payload",
            "prev_hash",
            "hash",
        )
        .iterator(chunk_size=5000)
    )


def verify(*, stop_at_first: bool = True) -> Verification:
    """Recompute every chain; report the first broken link (in chain order)."""
    result = Verification()
    heads: dict[str, tuple[int, str]] = {}
    chain, expected_seq, prev = None, 0, GENESIS

    def broken(b: Break) -> bool:
        if result.first_break is None:
            result.first_break = b
        return stop_at_first

    for event_id, ch, seq, kind, at, actor_id, party_id, payload, prev_hash, digest in _events():
        result.events += 1
        if ch != chain:
            if chain is not None:
                heads[chain] = (expected_seq, prev)
            chain, expected_seq, prev = ch, 0, GENESIS
            result.chains += 1
        expected_seq += 1
        if seq != expected_seq:
            if broken(Break(ch, seq, event_id, _("序号不连续：应为 %(n)s") % {"n": expected_seq})):
                return result
            expected_seq = seq
        if prev_hash != prev and broken(
            Break(ch, seq, event_id, _("前一事件哈希与链上前一事件不符"))
        ):
            return result
        recomputed = event_hash(
            prev_hash=prev_hash,
            chain=ch,
            seq=seq,
            kind=kind,
            at=at,
            actor_id=actor_id,
            party_id=party_id,
            payload=payload,
        )
        if recomputed != digest and broken(
            Break(ch, seq, event_id, _("事件内容与其哈希不符（内容被改动）"))
        ):
            return result
        prev = digest
    if chain is not None:
        heads[chain] = (expected_seq, prev)

    for model, field in chain_owners():
        rows = model._default_manager.values_list(field, "ledger_seq", "ledger_head")
        for name, seq, head in rows.iterator(chunk_size=5000):
            result.owners += 1
            found = heads.pop(name, (0, GENESIS))
            if seq == 0 and found[0] == 0:
                continue
            if found != (seq, head) and broken(
                Break(
                    name,
                    found[0] or None,
                    None,
                    _("链头不符：记录为第 %(seq)s 个事件，台账为第 %(found)s 个")
                    % {"seq": seq, "found": found[0]},
                )
            ):
                return result
    for name in heads:  # events whose owner row is gone
        if broken(Break(name, None, None, _("台账链没有对应的联单或容器"))):
            return result
    return result
