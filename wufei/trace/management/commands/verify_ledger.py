"""``wufei verify-ledger``: recompute every hash chain; exit 1 at the first broken link."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from wufei.trace import ledger


class Command(BaseCommand):
    help = "校验台账哈希链：逐条重算每个事件的哈希并核对链头。Verify the ledger's hash chains."

    def handle(self, *args, **options):
        result = ledger.verify()
        self.stdout.write(
            _("已校验 %(events)s 个事件、%(chains)s 条链、%(owners)s 个联单/容器。")
            % {"events": result.events, "chains": result.chains, "owners": result.owners}
        )
        if result.ok:
            self.stdout.write(self.style.SUCCESS(_("台账完整")))
            return
        b = result.first_break
        self.stderr.write(
            _("台账被改动：链 %(chain)s，序号 %(seq)s，事件 id %(id)s：%(reason)s")
            % {
                "chain": b.chain,
                "seq": b.seq if b.seq is not None else "—",
                "id": b.event_id if b.event_id is not None else "—",
                "reason": b.reason,
            }
        )
        sys.exit(1)
