"""The sorting lookup under ``/api/v1/sorting/lookup/``: everybody reads and searches
(``?q=`` ranks like the public page), administrators and city officials add and change items
through the same services as the pages."""

from __future__ import annotations

import django_filters as df
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from wufei.core.api import InputSerializer, ScopedViewSet
from wufei.iot.choices import WasteClass
from wufei.sorting import lookup
from wufei.sorting.models import SortingItem

PUBLIC_ACTIONS = ("list", "retrieve", "suggest")

Q_PARAM = OpenApiParameter(
    "q",
    OpenApiTypes.STR,
    description=_(
        "查询的物品名称：按名称完全一致、别名一致、开头一致、包含、模糊（字相同）依次排序"
    ),
)


class SortingItemSerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()
    waste_class_label = serializers.CharField(source="get_waste_class_display", read_only=True)
    public_url = serializers.SerializerMethodField()
    match = serializers.SerializerMethodField(
        help_text=_("按 q 查询时的匹配方式：name、alias、prefix、substring、fuzzy 等")
    )

    class Meta:
        model = SortingItem
        fields = [
            "id",
            "name",
            "aliases",
            "waste_class",
            "waste_class_label",
            "group",
            "instruction",
            "source",
            "is_active",
            "updated_at",
            "public_url",
            "match",
        ]

    def get_aliases(self, obj) -> list[str]:
        return lookup.split_aliases(obj.aliases)

    def get_public_url(self, obj) -> str | None:
        return reverse("sortguide:item", args=[obj.pk]) if obj.is_active else None

    def get_match(self, obj) -> str | None:
        return self.context.get("matches", {}).get(obj.pk)


class SortingItemInput(InputSerializer):
    aliases = serializers.CharField(required=False, allow_blank=True, max_length=400)

    class Meta:
        model = SortingItem
        fields = ["name", "aliases", "waste_class", "group", "instruction", "source"]
        extra_kwargs = {
            "name": {"validators": []},  # uniqueness: the service's duplicate_name
            "waste_class": {"required": True},
        }


class SortingItemFilterSet(df.FilterSet):
    waste_class = df.ChoiceFilter(choices=WasteClass.choices)

    class Meta:
        model = SortingItem
        fields = ["waste_class", "group", "is_active"]


class SortingItemViewSet(ScopedViewSet):
    """Entries of the sorting lookup; ``?q=`` searches, best match first."""

    scoped_model = SortingItem
    serializer_class = SortingItemSerializer
    input_serializer_class = SortingItemInput
    filterset_class = SortingItemFilterSet
    ordering = ("waste_class", "name", "pk")
    create_service = staticmethod(lookup.item_create)
    update_service = staticmethod(lookup.item_update)

    def get_queryset(self):
        rows = super().get_queryset()
        if not lookup.is_editor(self.request.user):
            rows = rows.filter(is_active=True)
        return rows

    def get_throttles(self):
        if self.action in PUBLIC_ACTIONS:
            return [AnonRateThrottle()]
        return super().get_throttles()

    @extend_schema(parameters=[Q_PARAM])
    def list(self, request, *args, **kwargs):
        text = request.query_params.get("q", "").strip()
        if not text:
            return super().list(request, *args, **kwargs)
        allowed = set(self.filter_queryset(self.get_queryset()).values_list("pk", flat=True))
        found = [
            m for m in lookup.search(text, limit=None, active_only=False) if m.item.pk in allowed
        ]
        page = self.paginate_queryset([m.item for m in found])
        context = {**self.get_serializer_context(), "matches": {m.item.pk: m.how for m in found}}
        data = self.serializer_class(page, many=True, context=context).data
        return self.get_paginated_response(data)

    @extend_schema(
        parameters=[Q_PARAM],
        description=_("输入物品名称时的候选词（最多 8 个，按查询排序）。"),
        responses=inline_serializer(
            "LookupSuggestion",
            {
                "q": serializers.CharField(),
                "names": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def suggest(self, request):
        """Names to offer while someone types (up to 8)."""
        text = request.query_params.get("q", "")
        return Response({"q": text, "names": lookup.suggest(text)})


ROUTES = [("sorting/lookup", SortingItemViewSet)]
