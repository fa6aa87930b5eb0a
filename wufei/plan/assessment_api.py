"""Read-only REST endpoints of the assessment under ``/api/v1/``: unit scores (filter by
period) and enterprise credit (filter by year and level), each with its items; scoped like
the pages (an enterprise's token sees its own credit only)."""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from wufei.core.api import ScopedReadOnlyViewSet
from wufei.plan.choices import CreditLevel
from wufei.plan.models import CreditScore, Score


class ScoreSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    # declared: the model's small/positive integer bounds differ between SQLite and PostgreSQL
    rank = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Score
        fields = [
            "id",
            "unit",
            "unit_name",
            "period_start",
            "period_end",
            "total",
            "rank",
            "items",
            "computed_at",
        ]


class CreditScoreSerializer(serializers.ModelSerializer):
    party_name = serializers.CharField(source="party.name", read_only=True)
    # declared: the model's small/positive integer bounds differ between SQLite and PostgreSQL
    year = serializers.IntegerField(read_only=True)

    class Meta:
        model = CreditScore
        fields = ["id", "party", "party_name", "year", "score", "level", "items", "computed_at"]


class ScoreFilterSet(df.FilterSet):
    period_start = df.DateFilter(label=_("考核期起"))
    period_end = df.DateFilter(label=_("考核期止"))

    class Meta:
        model = Score
        fields = ["period_start", "period_end", "unit"]


class CreditScoreFilterSet(df.FilterSet):
    level = df.ChoiceFilter(label=_("信用等级"), choices=CreditLevel.choices)

    class Meta:
        model = CreditScore
        fields = ["year", "level", "party"]


class ScoreViewSet(ScopedReadOnlyViewSet):
    """Assessment scores (考核得分) with every item explained."""

    scoped_model = Score
    ordering = ("-period_end", "rank", "pk")
    select_related = ("unit",)
    serializer_class = ScoreSerializer
    filterset_class = ScoreFilterSet


class CreditScoreViewSet(ScopedReadOnlyViewSet):
    """Enterprise environmental credit (企业环境信用) per party and year."""

    scoped_model = CreditScore
    ordering = ("-year", "score", "pk")
    select_related = ("party",)
    serializer_class = CreditScoreSerializer
    filterset_class = CreditScoreFilterSet


ROUTES = [("plan/scores", ScoreViewSet), ("plan/credit", CreditScoreViewSet)]
