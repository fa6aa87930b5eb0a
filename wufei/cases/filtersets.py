"""One FilterSet per list, serving the pages and the API."""

from datetime import date

import django_filters as df
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.cases.models import (
    ChecklistKind,
    DumpSite,
    DumpSiteKind,
    DumpSiteState,
    Inspection,
    InspectionStatus,
    OrderStatus,
    RectificationOrder,
)
from wufei.cases.selectors import overdue_q
from wufei.core.filters import IdFilter
from wufei.registry.filtersets import RegionFilter, SearchFilter


class InspectionFilterSet(df.FilterSet):
    q = SearchFilter("party__name", "site__name", "dump_site__name", "inspectors")
    status = df.ChoiceFilter(label=_("状态"), choices=InspectionStatus.choices)
    kind = df.ChoiceFilter(
        label=_("检查表"), field_name="checklist__kind", choices=ChecklistKind.choices
    )
    region = RegionFilter("region")
    campaign = IdFilter(label=_("督查行动"), widget=df.widgets.forms.HiddenInput)
    inspected_from = df.DateFilter(
        label=_("检查日期自"), field_name="inspected_on", lookup_expr="gte"
    )
    inspected_to = df.DateFilter(label=_("至"), field_name="inspected_on", lookup_expr="lte")

    class Meta:
        model = Inspection
        fields = ["q", "status", "kind", "region", "campaign", "inspected_from", "inspected_to"]


def today() -> date:
    return timezone.localdate()


class OrderFilterSet(df.FilterSet):
    q = SearchFilter("number", "party__name", "requirement")
    status = df.ChoiceFilter(label=_("状态"), choices=OrderStatus.choices)
    overdue = df.BooleanFilter(label=_("已逾期"), method="by_overdue")
    region = RegionFilter("region")
    party = IdFilter(label=_("单位"), widget=df.widgets.forms.HiddenInput)

    class Meta:
        model = RectificationOrder
        fields = ["q", "status", "overdue", "region", "party"]

    def by_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        q = overdue_q(today())
        return queryset.filter(q) if value else queryset.exclude(q)


class DumpSiteFilterSet(df.FilterSet):
    q = SearchFilter("name", "address", "waste")
    kind = df.ChoiceFilter(label=_("类型"), choices=DumpSiteKind.choices)
    state = df.ChoiceFilter(label=_("整治状态"), choices=DumpSiteState.choices)
    region = RegionFilter("region")

    class Meta:
        model = DumpSite
        fields = ["q", "kind", "state", "region"]
