"""Alert rules over the device streams, one module per family.

Each rule is a function of the readings (and the manifests or devices they concern) that
raises or clears alerts through ``wufei.alerts.services``, which are idempotent per rule and
subject: the watcher may re-run a rule over the same readings (it rereads an overlap window
because ingest workers commit out of order) without raising anything twice. Every rule takes
the run's ``Thresholds`` and returns how many findings it fired and alerts it cleared.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Tally:
    fired: int = 0  # findings; raising is idempotent, so a re-run fires again harmlessly
    cleared: int = 0

    def __iadd__(self, other: Tally) -> Tally:
        self.fired += other.fired
        self.cleared += other.cleared
        return self
