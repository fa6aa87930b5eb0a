"""REST endpoints of containers under ``/api/v1/containers/``: register, list, detail, pack,
unpack, transform and label sheets. Thin: parse, call ``wufei.trace.services``, render.

Also home of what the container pages share with the API: the FilterSet, the selector and
the parsing of a new container's fields (a waste code is given as its text, 900-041-49).
"""

from __future__ import annotations

import json
import re

import django_filters as df
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.api import ScopedQuerysetMixin, ScopedRelatedField
from wufei.registry.models import Facility, TreatmentMethod, WasteCode, WasteStream
from wufei.registry.services import resolve_waste_codes
from wufei.trace import codes, labels, services
from wufei.trace.choices import ContainerKind, ContainerState
from wufei.trace.models import Container

# --- shared with the pages ----------------------------------------------------------------


def container_list(*, actor) -> QuerySet[Container]:
    """Containers the actor may see, with what a list row shows."""
    rows = Container.objects.select_related(
        "stream", "waste_code", "holder", "origin", "region", "parent", "method"
    )
    return restrict(rows, actor, Action.VIEW)


def held(actor, states=None) -> QuerySet[Container]:
    """Containers held by the actor's party (none for officials), optionally in ``states``."""
    party_id = getattr(actor, "party_id", None)
    if party_id is None:
        return Container.objects.none()
    rows = container_list(actor=actor).filter(holder_id=party_id)
    return rows.filter(state__in=states) if states else rows


def waste_code_of(text: str | None, *, field: str = "waste_code") -> WasteCode | None:
    """The catalogue row in force today for a typed waste code (or None for no code)."""
    text = (text or "").strip()
    if not text:
        return None
    today = timezone.localdate()
    return resolve_waste_codes([text], start=today, end=today, field=field)[0]


def spec_of(data: dict, *, field_prefix: str = "") -> services.NewContainer:
    """A new container's fields (kind, stream, waste_code text, mass_kg, description)."""
    return services.NewContainer(
        kind=data["kind"],
        stream=data["stream"],
        mass_kg=data["mass_kg"],
        waste_code=waste_code_of(data.get("waste_code"), field=f"{field_prefix}waste_code"),
        description=data.get("description") or "",
    )


class StreamFilter(df.ModelChoiceFilter):
    """A stream by its code, with its sub-streams (household includes kitchen waste)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("废物类别"))
        kwargs.setdefault("to_field_name", "code")
        super().__init__(queryset=WasteStream.objects.all(), method=self.with_children, **kwargs)

    def with_children(self, queryset, name, value):
        return queryset.filter(stream_id__in=WasteStream.descendant_ids([value.pk]))


class ContainerFilterSet(df.FilterSet):
    q = df.CharFilter(label=_("追溯码或说明"), method="search")
    state = df.ChoiceFilter(label=_("状态"), choices=ContainerState.choices)
    kind = df.ChoiceFilter(label=_("容器类型"), choices=ContainerKind.choices)
    stream = StreamFilter()

    class Meta:
        model = Container
        fields = ["q", "state", "kind", "stream"]

    def search(self, queryset, name, value):
        code = codes.normalise(value)
        return queryset.filter(Q(code__startswith=code) | Q(description__icontains=value))


# --- serializers ------------------------------------------------------------------------


class ContainerSerializer(serializers.ModelSerializer):
    stream = serializers.SlugRelatedField(slug_field="code", read_only=True)
    waste_code = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="adcode", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    method = serializers.SlugRelatedField(slug_field="code", read_only=True)
    origin_name = serializers.CharField(source="origin.name", read_only=True)
    holder_name = serializers.CharField(source="holder.name", read_only=True)
    trace_url = serializers.SerializerMethodField()

    class Meta:
        model = Container
        fields = [
            "id",
            "code",
            "kind",
            "stream",
            "waste_code",
            "description",
            "mass_kg",
            "origin",
            "origin_name",
            "holder",
            "holder_name",
            "region",
            "state",
            "parent",
            "method",
            "facility",
            "created_at",
            "settled_at",
            "trace_url",
        ]

    def get_trace_url(self, obj) -> str:
        return labels.trace_url(obj.code, self.context.get("request"))


class NewContainerSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContainerKind.choices)
    stream = serializers.SlugRelatedField(slug_field="code", queryset=WasteStream.objects.all())
    waste_code = serializers.CharField(
        max_length=16, required=False, allow_blank=True, help_text=_("如 900-041-49")
    )
    mass_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


_codes = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)


class PackSerializer(serializers.Serializer):
    children = _codes
    kind = serializers.ChoiceField(choices=ContainerKind.choices, default=ContainerKind.BIG_BOX)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class UnpackSerializer(serializers.Serializer):
    parent = serializers.CharField(max_length=40)
    children = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, help_text=_("默认全部拆出")
    )


class TransformSerializer(serializers.Serializer):
    inputs = _codes
    outputs = NewContainerSerializer(many=True, allow_empty=False)
    loss_kg = serializers.DecimalField(max_digits=14, decimal_places=3, default=0)
    method = serializers.SlugRelatedField(slug_field="code", queryset=TreatmentMethod.objects.all())
    facility = ScopedRelatedField(queryset=Facility.objects.all(), required=False, allow_null=True)
    loss_note = serializers.CharField(max_length=200, required=False, allow_blank=True)


# --- the SVG label sheet -----------------------------------------------------------------


class SVGRenderer(renderers.BaseRenderer):
    """``image/svg+xml`` for the sheet; errors (a dict) stay the JSON error body."""

    media_type = "image/svg+xml"
    format = "svg"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode()
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False, default=str).encode()


CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


def requested_codes(query) -> list[str]:
    """``codes=A,B`` (or repeated ``codes``, or one a line) from a query string."""
    return [c for value in query.getlist("codes") for c in CODE_SEPARATORS.split(value) if c]


# --- the viewset ---------------------------------------------------------------------------


class ContainerViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Containers the actor may see; writes sign for the actor's party on the ledger."""

    scoped_model = Container
    ordering = ("-created_at", "-pk")
    select_related = ("stream", "waste_code", "holder", "origin", "region", "parent", "method")
    serializer_class = ContainerSerializer
    filterset_class = ContainerFilterSet
    lookup_field = "code"

    def get_object(self):
        self.kwargs[self.lookup_field] = codes.normalise(self.kwargs[self.lookup_field])
        return super().get_object()

    def _parse(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, rows, *, many=False, status_code=status.HTTP_200_OK):
        if many:
            found = {c.pk: c for c in self.get_queryset().filter(pk__in=[r.pk for r in rows])}
            rows = [found[r.pk] for r in rows]
        else:
            rows = self.get_queryset().get(pk=rows.pk)
        data = self.serializer_class(rows, many=many, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    @extend_schema(request=NewContainerSerializer, responses={201: ContainerSerializer})
    def create(self, request, *args, **kwargs):
        """Register a container at the actor's party (its label can then be printed)."""
        data = self._parse(NewContainerSerializer)
        container = services.container_register(actor=request.user, spec=spec_of(data))
        return self._answer(container, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=PackSerializer, responses={201: ContainerSerializer})
    @action(detail=False, methods=["post"])
    def pack(self, request):
        """Pack held containers into a new one (小箱进大箱); answers the new container."""
        data = self._parse(PackSerializer)
        parent = services.containers_pack(
            actor=request.user,
            children=data["children"],
            kind=data["kind"],
            description=data.get("description", ""),
        )
        return self._answer(parent, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=UnpackSerializer, responses={200: ContainerSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def unpack(self, request):
        """Take containers out of a held parent (all by default); answers those taken out."""
        data = self._parse(UnpackSerializer)
        taken = services.containers_unpack(
            actor=request.user, parent=data["parent"], children=data.get("children") or None
        )
        return self._answer(taken, many=True)

    @extend_schema(request=TransformSerializer, responses={201: ContainerSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def transform(self, request):
        """Treat held inputs into output lots; inputs = outputs + losses within 0.5 %."""
        data = self._parse(TransformSerializer)
        outputs = services.containers_transform(
            actor=request.user,
            inputs=data["inputs"],
            outputs=[
                spec_of(o, field_prefix=f"outputs.{i}.") for i, o in enumerate(data["outputs"])
            ],
            loss_kg=data["loss_kg"],
            method=data["method"],
            facility=data.get("facility"),
            loss_note=data.get("loss_note", ""),
        )
        return self._answer(outputs, many=True, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("codes", str, description=_("追溯码，逗号分隔"), required=True),
            OpenApiParameter("page", int, description=_("第几页（每页 24 个标签）")),
        ],
        responses={(200, "image/svg+xml"): str},
    )
    @action(detail=False, methods=["get"], url_path="labels", renderer_classes=[SVGRenderer])
    def labels(self, request, format=None):
        """An A4 sheet (SVG) of labels with QR codes: GET /api/v1/containers/labels.svg?codes=…"""
        rows = labels.labels_for(
            actor=request.user, code_list=requested_codes(request.query_params), request=request
        )
        pages = labels.sheets(rows)
        _number, svg = labels.page_of(pages, request.query_params.get("page"))
        response = Response(svg)
        response["X-Label-Pages"] = str(len(pages))
        return response


ROUTES = [("containers", ContainerViewSet)]
