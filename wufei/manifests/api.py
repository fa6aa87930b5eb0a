"""REST endpoints of the manifest engine under ``/api/v1/``; thin: parse, call one service,
answer the manifest as the actor may see it. Refusals are the services' typed errors,
mapped once by ``wufei.core.api.exception_handler``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from wufei.accounts.choices import Action
from wufei.accounts.scoping import may
from wufei.core.api import _ERROR_DESCRIPTIONS, ErrorSerializer, ScopedQuerysetMixin
from wufei.core.errors import FieldError, Invalid
from wufei.core.permissions import ScopedActionPermission
from wufei.manifests import selectors, services
from wufei.manifests.corrections import correction_approve, correction_propose, correction_reject
from wufei.manifests.filtersets import ManifestFilterSet
from wufei.manifests.models import Manifest
from wufei.manifests.serializers import (
    CompleteSerializer,
    CorrectionSerializer,
    ManifestCreateSerializer,
    ManifestDetailSerializer,
    ManifestSerializer,
    PickUpSerializer,
    ReasonSerializer,
    ReceiveSerializer,
    RevisionSerializer,
)

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
IDEMPOTENCY_KEY_MAX = 64

ERROR_DESCRIPTIONS = {
    **_ERROR_DESCRIPTIONS,
    409: _("联单当前状态不允许此步骤，或幂等键已用于内容不同的请求（见 code）"),
}


def _answers(ok, *errors: int, success: int = 200) -> dict:
    """OpenAPI responses: the success body, and the error body for each error status."""
    responses = {success: ok}
    for code in errors:
        responses[code] = OpenApiResponse(ErrorSerializer, ERROR_DESCRIPTIONS[code])
    return responses


class MayViewManifests(ScopedActionPermission):
    """Signing steps are POSTs, but a driver, who may add nothing, signs pick-ups: anyone who
    may see manifests may ask; the service decides whether the actor signs this step."""

    def has_permission(self, request, view) -> bool:
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(_("请先登录或提供有效的 API 令牌。"))
        return may(request.user, Action.VIEW, view.scoped_model)


def signing_step(description, *, request=None, answer=ManifestDetailSerializer, success=200):
    """A POST detail action that signs one step, documented with its request and answer."""

    def decorate(method):
        url_path = method.__name__.replace("_", "-")
        method = action(
            detail=True, methods=["post"], url_path=url_path, permission_classes=[MayViewManifests]
        )(method)
        # After ``action``, which replaces the method's ``kwargs`` where the schema is kept.
        return extend_schema(
            request=request,
            responses=_answers(answer, 400, 401, 403, 404, 409, success=success),
            description=description,
        )(method)

    return decorate


def _parse(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _idempotency_key(request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise Invalid(
            [
                FieldError(
                    "idempotency_key",
                    "too_long",
                    _("幂等键最长 %(n)s 个字符。") % {"n": IDEMPOTENCY_KEY_MAX},
                )
            ]
        )
    return key


def _in_changes(exc: Invalid) -> Invalid:
    """A correction's field errors named as the request names them (``changes.pickup_kg``)."""
    top = ("changes", "reason", None)
    return Invalid(
        [
            e if e.field in top else FieldError(f"changes.{e.field}", e.code, e.message)
            for e in exc.errors
        ]
    )


class ManifestViewSet(ScopedQuerysetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Manifests: list and detail as the actor may see them; create, and one POST per step."""

    scoped_model = Manifest
    ordering = ("-created_at", "-id")
    serializer_class = ManifestSerializer
    filterset_class = ManifestFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            selectors.manifest_list(actor=self.request.user)
            .select_related("generator_site", "receiver_facility", "driver")
            .order_by(*self.ordering)
        )

    def _answer(self, pk: int, **kwargs) -> Response:
        m = selectors.manifest_get(actor=self.request.user, pk=pk)
        context = self.get_serializer_context()
        return Response(ManifestDetailSerializer(m, context=context).data, **kwargs)

    @extend_schema(responses=_answers(ManifestDetailSerializer, 401, 403, 404))
    def retrieve(self, request, pk=None):
        return self._answer(int(pk))

    @extend_schema(
        request=ManifestCreateSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description=_(
                    "幂等键（最长 64 字符）：同一单位以同一键重发相同请求，返回第一次的结果"
                    "（200）且不写入任何数据；以同一键发送不同内容返回 409。"
                ),
            ),
            OpenApiParameter(
                REPLAYED_HEADER,
                str,
                OpenApiParameter.HEADER,
                response=[200],
                description=_("为 true 表示这是对先前同一请求的重放结果"),
            ),
        ],
        responses={
            **_answers(ManifestDetailSerializer, 400, 401, 403, 409, success=201),
            200: OpenApiResponse(
                ManifestDetailSerializer, _("同一幂等键的重放：第一次填报的联单，未写入任何数据")
            ),
        },
        description=_(
            "移出单位填报联单（草稿，或 submit 为真时立即提交）。运输单位和接收单位只能从持有"
            "本类联单有效许可的单位中选择，其他 id 与不存在的 id 一样返回 400。"
        ),
    )
    def create(self, request):
        serializer = ManifestCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        m, created = services.manifest_create(
            actor=request.user,
            data=serializer.manifest_input(idempotency_key=_idempotency_key(request)),
            submit=serializer.validated_data["submit"],
        )
        if created:
            return self._answer(m.pk, status=status.HTTP_201_CREATED)
        return self._answer(m.pk, headers={REPLAYED_HEADER: "true"})

    @signing_step(_("移出单位提交草稿：检查运输、接收单位的许可，生成起运交接码。"))
    def submit(self, request, pk=None):
        services.manifest_submit(actor=request.user, manifest=int(pk))
        return self._answer(int(pk))

    @signing_step(
        _("移出单位撤销尚未起运的联单（须填写原因）。"),
        request=ReasonSerializer,
    )
    def cancel(self, request, pk=None):
        data = _parse(ReasonSerializer, request)
        services.manifest_cancel(actor=request.user, manifest=int(pk), reason=data["reason"])
        return self._answer(int(pk))

    @signing_step(
        _("运输单位（驾驶员）起运签收：输入移出单位出示的交接码、起运量和本单位车辆。"),
        request=PickUpSerializer,
    )
    def pick_up(self, request, pk=None):
        m = selectors.manifest_get(actor=request.user, pk=int(pk))
        data = _parse(PickUpSerializer, request, manifest=m)
        services.manifest_pick_up(
            actor=request.user,
            manifest=m.pk,
            signing_code_entered=data["signing_code"],
            pickup_kg=data["pickup_kg"],
            vehicle=data["vehicle"],
        )
        return self._answer(m.pk)

    @signing_step(_("运输单位确认车辆出发，联单进入运输中。"))
    def depart(self, request, pk=None):
        services.manifest_depart(actor=request.user, manifest=int(pk))
        return self._answer(int(pk))

    @signing_step(
        _("接收单位过磅接收：全部接收、部分接收或拒收（接收量为 0）；后两者须填写原因。"),
        request=ReceiveSerializer,
    )
    def receive(self, request, pk=None):
        data = _parse(ReceiveSerializer, request)
        services.manifest_receive(
            actor=request.user,
            manifest=int(pk),
            received_kg=data["received_kg"],
            accepted_kg=data.get("accepted_kg"),
            reason=data.get("reason", ""),
        )
        return self._answer(int(pk))

    @signing_step(
        _("接收单位填写利用处置方式，联单完成。"),
        request=CompleteSerializer,
    )
    def complete(self, request, pk=None):
        data = _parse(CompleteSerializer, request)
        services.manifest_complete(actor=request.user, manifest=int(pk), method=data["method"])
        return self._answer(int(pk))

    @signing_step(
        _("联单上的单位提出更正（新版本）；联单上各单位都确认后生效，原内容保留。"),
        request=CorrectionSerializer,
        answer=RevisionSerializer,
        success=201,
    )
    def corrections(self, request, pk=None):
        data = _parse(CorrectionSerializer, request)
        try:
            revision = correction_propose(
                actor=request.user, manifest=int(pk), changes=data["changes"], reason=data["reason"]
            )
        except Invalid as exc:
            raise _in_changes(exc) from exc
        return Response(RevisionSerializer(revision).data, status=status.HTTP_201_CREATED)


class RevisionViewSet(ScopedQuerysetMixin, viewsets.GenericViewSet):
    """Corrections awaiting the parties: approve or reject (visible as the manifest is)."""

    scoped_model = Manifest
    serializer_class = RevisionSerializer
    lookup_value_regex = r"\d+"

    @signing_step(_("联单上的单位确认更正；最后一方确认后更正生效。"), answer=RevisionSerializer)
    def approve(self, request, pk=None):
        revision = correction_approve(actor=request.user, revision=int(pk))
        return Response(RevisionSerializer(revision).data)

    @signing_step(
        _("联单上的单位不同意更正（须填写理由），更正作废。"),
        request=ReasonSerializer,
        answer=RevisionSerializer,
    )
    def reject(self, request, pk=None):
        data = _parse(ReasonSerializer, request)
        revision = correction_reject(actor=request.user, revision=int(pk), reason=data["reason"])
        return Response(RevisionSerializer(revision).data)


ROUTES = [
    ("manifests", ManifestViewSet),
    ("manifest-revisions", RevisionViewSet),
]
