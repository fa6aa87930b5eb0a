"""Filters of the manifest list, serving the API (and any page that lists manifests)."""

import django_filters as df
from django.utils.translation import gettext_lazy as _

from wufei.core.filters import IdFilter
from wufei.manifests.choices import State
from wufei.manifests.flows import flow_choices
from wufei.manifests.models import Manifest
from wufei.registry.filtersets import RegionFilter
from wufei.registry.models import WasteStream


class ManifestFilterSet(df.FilterSet):
    flow = df.ChoiceFilter(label=_("联单类型"), choices=flow_choices())
    state = df.MultipleChoiceFilter(label=_("状态"), choices=State.choices)
    stream = df.CharFilter(label=_("废物类别（含下级类别）"), method="by_stream")
    number = df.CharFilter(label=_("联单编号"), lookup_expr="icontains")
    # Party ids as plain numbers: an unknown id finds nothing (it is not an error that
    # would tell whether the party exists).
    generator = IdFilter(label=_("移出单位"), field_name="generator_id")
    transporter = IdFilter(label=_("运输单位"), field_name="transporter_id")
    receiver = IdFilter(label=_("接收单位"), field_name="receiver_id")
    region = RegionFilter("region", "receiver_region", label=_("区划（移出地或接收地）"))
    created_after = df.DateTimeFilter(
        label=_("填报时间不早于"), field_name="created_at", lookup_expr="gte"
    )
    created_before = df.DateTimeFilter(
        label=_("填报时间早于"), field_name="created_at", lookup_expr="lt"
    )
    received_after = df.DateTimeFilter(
        label=_("接收时间不早于"), field_name="received_at", lookup_expr="gte"
    )
    received_before = df.DateTimeFilter(
        label=_("接收时间早于"), field_name="received_at", lookup_expr="lt"
    )

    class Meta:
        model = Manifest
        fields = [
            "flow",
            "state",
            "stream",
            "number",
            "generator",
            "transporter",
            "receiver",
            "region",
            "created_after",
            "created_before",
            "received_after",
            "received_before",
        ]

    def by_stream(self, queryset, name, value):
        root = WasteStream.objects.filter(code=value).values_list("pk", flat=True).first()
        if root is None:
            return queryset.none()
        return queryset.filter(stream_id__in=WasteStream.descendant_ids([root]))
