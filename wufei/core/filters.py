"""Number filters of list pages and the API that refuse what no row can match.

django-filter's ``NumberFilter`` takes any decimal: ``?generator=1e30`` reached SQLite as an
integer it cannot bind (a 500), ``?year=-5`` a date no calendar has (a 500 on both databases).
These filters take whole numbers in a range instead, so such a value is a 400 naming the field
(``min_value``, ``max_value``, ``invalid``), the same on both databases.
"""

from __future__ import annotations

import django_filters as df
from django import forms
from drf_spectacular.drainage import set_override

ID_MAX = 2**63 - 1  # the largest BigAutoField id either database holds


class WholeNumberFilter(df.NumberFilter):
    """A whole number between ``min_value`` and ``max_value`` (both required)."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int, max_value: int, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        # published as an integer with its bounds (not any number), under its label
        schema: dict[str, object] = {"type": "integer", "minimum": min_value, "maximum": max_value}
        if self.label is not None:
            schema["description"] = self.label
        set_override(self, "field", schema)


class IdFilter(WholeNumberFilter):
    """A row's id (of the field named, or of the filter's own name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=ID_MAX, **kwargs)


class YearFilter(WholeNumberFilter):
    """A calendar year; with ``lookup_expr="year"`` on a date field, the dates of that year."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=9999, **kwargs)
