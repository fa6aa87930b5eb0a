"""The demo city's assessment scores and enterprise credit, computed by the engines (no
number is made up here): scores for every calendar year with ledger activity (the pilot's
2019 and 2020 among them) and for the last four quarters up to ``today``, and every
enterprise's credit for the last full year.

Run it after the plan (F) and inspections (H) generators and the manifests: it reads their
milestones, notices, reports, projects, alerts, findings and orders.
"""

from __future__ import annotations

from datetime import date

from django.db.models.functions import ExtractYear

from wufei.plan import assessment, credit
from wufei.plan.models import Milestone, Notice, ProgressReport

QUARTERS = 4


def _active_years(today: date) -> list[int]:
    years: set[int] = set()
    for model, field in ((Milestone, "due_on"), (Notice, "deadline"), (ProgressReport, "period")):
        years.update(
            model.objects.annotate(y=ExtractYear(field))
            .filter(**{f"{field}__lte": today})
            .values_list("y", flat=True)
            .distinct()
        )
    return sorted(years)


def assessment_generate(*, seed: int, today: date) -> dict[str, int]:
    """Scores and credit of the demo city as of ``today`` (``seed`` is not needed: the
    engines are deterministic over the generated records); returns row counts."""
    assessment.load_scoring_rules()
    credit.load_credit_rules()
    periods = [(date(y, 1, 1), date(y, 12, 31)) for y in _active_years(today)]
    year_ago = date(today.year - 1, today.month, 1)
    periods += [q for q in assessment.quarters(year_ago, today) if q[0] <= today][-QUARTERS:]
    scores = 0
    for start, end in dict.fromkeys(periods):
        scores += len(assessment.assess(period_start=start, period_end=end, today=today))
    credits = credit.credit_evaluate(year=today.year - 1, today=today)
    return {"plan.Score": scores, "plan.CreditScore": len(credits)}
