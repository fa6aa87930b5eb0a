"""One full lifecycle through the services, the signed ledger verifying at the end."""

import pytest

from wufei.manifests.choices import State
from wufei.manifests.tests.world import hazardous_world, run_to
from wufei.trace import ledger

pytestmark = pytest.mark.django_db


def test_a_manifest_runs_to_completion_and_the_ledger_verifies():
    w = hazardous_world()
    m = run_to(w, State.COMPLETED)
    assert m.state == State.COMPLETED
    assert m.ledger_seq == 6
    assert ledger.verify().ok
