"""Forms of the manifest pages: they parse input for a service; the service decides.

Every action form knows its manifest and its actor and has ``perform()``, which calls one
service. The view catches the service's typed errors and puts them on the form
(``wufei.core.forms.add_errors``), so a refusal shows the service's Chinese message and
nothing is written.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.core.errors import FieldError
from wufei.core.forms import CHOOSE, add_errors
from wufei.core.pages import region_choices
from wufei.manifests import corrections, selectors, services
from wufei.manifests.filtersets import ManifestFilterSet
from wufei.manifests.flows import Flow, flow_choices
from wufei.manifests.models import Manifest
from wufei.registry.models import (
    Facility,
    Site,
    TreatmentMethod,
    Vehicle,
    WasteCode,
    WasteStream,
)
from wufei.trace.choices import ContainerKind
from wufei.trace.services import NewContainer

MAX_CONTAINERS = 10
OFFICIAL_ROLES = (
    Role.ADMIN,
    Role.CITY_OFFICIAL,
    Role.COUNTY_OFFICIAL,
    Role.DEPARTMENT_OFFICIAL,
    Role.GUIDE,
)
KG = {"min_value": Decimal("0"), "max_digits": 14, "decimal_places": 3}


def _all(choices) -> list[tuple[str, str]]:
    return [("", _t("全部")), *choices]


def _label(name: str):
    return Manifest._meta.get_field(name).verbose_name


def flow_streams(flow: Flow) -> QuerySet[WasteStream]:
    """The streams a flow carries: its roots and everything below them."""
    roots = list(WasteStream.objects.filter(code__in=flow.streams).values_list("pk", flat=True))
    return WasteStream.objects.filter(pk__in=WasteStream.descendant_ids(roots)).order_by(
        "sort_order", "code"
    )


def flow_methods(flow: Flow) -> list[TreatmentMethod]:
    """The treatment methods that may complete a manifest of ``flow``."""
    return [
        m for m in TreatmentMethod.objects.order_by("code") if flow.allows_method(m.code, m.family)
    ]


def preselect(field: forms.ModelChoiceField) -> None:
    """With exactly one choice (one site, one vehicle), choose it: fewer taps on a phone."""
    only = list(field.queryset[:2])
    if len(only) == 1:
        field.initial = only[0].pk


def waste_code_of(text: str) -> WasteCode | None:
    """The newest version of the national-list code typed (``900-041-49``), or ``None``."""
    return WasteCode.objects.filter(code=text.strip()).order_by("-valid_from").first()


# --- the list's filters -------------------------------------------------------------------

PAGE_FILTERS = ("number", "flow", "state", "stream", "created_after", "created_before", "region")


class ManifestFilters:
    """The API's ``ManifestFilterSet`` bound to the page's query, its form made for people:
    choices with 全部, streams by name, date pickers, counties only for officials."""

    def __init__(self, query, *, actor, queryset: QuerySet):
        self.actor = actor
        self.data = query.copy()
        for key in list(self.data):
            if key not in PAGE_FILTERS:
                self.data.pop(key)
        self.filterset = self._bind(self.data, queryset)
        self.form = self.filterset.form
        self.valid = self.form.is_valid()

    def _bind(self, data, queryset) -> ManifestFilterSet:
        filterset = ManifestFilterSet(data, queryset=queryset)
        form = filterset.form
        for name in list(form.fields):
            if name not in PAGE_FILTERS:
                del form.fields[name]
        fields = form.fields
        fields["number"].widget.input_type = "search"
        fields["number"].widget.attrs["placeholder"] = _t("输入联单编号")
        fields["flow"] = forms.ChoiceField(
            label=fields["flow"].label, required=False, choices=_all(flow_choices())
        )
        fields["stream"] = forms.ChoiceField(
            label=fields["stream"].label,
            required=False,
            choices=_all(
                WasteStream.objects.order_by("sort_order", "code").values_list("code", "name")
            ),
        )
        for name in ("created_after", "created_before"):
            fields[name].widget = forms.DateInput(attrs={"type": "date"})
        if role_of(self.actor) in OFFICIAL_ROLES:
            fields["region"] = forms.ChoiceField(
                label=fields["region"].label, required=False, choices=region_choices(self.actor)
            )
        else:
            del fields["region"]
        return filterset

    @property
    def rows(self) -> QuerySet:
        """The rows the filters leave; none when a filter is invalid (as the API's 400)."""
        return self.filterset.qs if self.valid else self.filterset.queryset.none()

    def rows_any_state(self) -> QuerySet:
        """The same rows whatever their state (for the count per state)."""
        if not self.valid:
            return self.filterset.queryset.none()
        data = self.data.copy()
        data.pop("state", None)
        return self._bind(data, self.filterset.queryset).qs

    @property
    def state(self) -> list[str]:
        return self.form.cleaned_data.get("state") or [] if self.valid else []

    def active(self) -> list[tuple[str, str]]:
        """(label, shown value) of each filter in use, for chips and the export's header."""
        if not self.valid:
            return []
        out = []
        for name, value in self.form.cleaned_data.items():
            if value in (None, "", [], ()):
                continue
            field = self.form.fields[name]
            if isinstance(field, forms.ChoiceField):
                labels = dict(field.choices)
                values = value if isinstance(value, list) else [value]
                shown = "、".join(str(labels.get(v, v)) for v in values)
            elif hasattr(value, "tzinfo"):
                shown = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
            else:
                shown = str(value)
            out.append((str(field.label), shown))
        return out


# --- the generator's form ------------------------------------------------------------------


class ManifestForm(forms.Form):
    """The generator's manifest: parties, waste, the containers (a formset), the key."""

    flow = forms.ChoiceField(label=_("联单类型"), widget=forms.HiddenInput)
    stream = forms.ModelChoiceField(label=_label("stream"), queryset=WasteStream.objects.none())
    waste_code = forms.CharField(
        label=_label("waste_code"),
        required=False,
        max_length=16,
        help_text=_("《国家危险废物名录》代码，如 900-041-49。"),
    )
    generator_site = forms.ModelChoiceField(
        label=_label("generator_site"), required=False, queryset=Site.objects.none()
    )
    transporter = forms.ModelChoiceField(label=_label("transporter"), queryset=None)
    receiver = forms.ModelChoiceField(label=_label("receiver"), queryset=None)
    receiver_facility = forms.ModelChoiceField(
        label=_label("receiver_facility"), required=False, queryset=Facility.objects.none()
    )
    description = forms.CharField(label=_label("description"), required=False, max_length=200)
    note = forms.CharField(label=_label("note"), required=False, max_length=200)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, actor, flow: Flow, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("flow", flow.key)
        kwargs["initial"].setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.actor, self.flow_def = actor, flow
        self.fields["flow"].choices = flow_choices()
        self.fields["stream"].queryset = flow_streams(flow)
        if flow.code_required:
            self.fields["waste_code"].required = True
        else:
            self.fields["waste_code"].help_text = ""
        self.fields["generator_site"].queryset = Site.objects.filter(
            party_id=getattr(actor, "party_id", None), is_active=True
        ).order_by("name")
        self.fields["transporter"].queryset = selectors.counterparties(
            flow_key=flow.key, signer="transporter"
        )
        receivers = selectors.counterparties(flow_key=flow.key, signer="receiver")
        self.fields["receiver"].queryset = receivers
        facilities = Facility.objects.filter(site__party__in=receivers.values("pk"))
        if flow.receiver_facilities:
            facilities = facilities.filter(kind__in=flow.receiver_facilities)
        facility = self.fields["receiver_facility"]
        facility.queryset = facilities.select_related("site__party").order_by(
            "site__party__name", "name"
        )
        facility.label_from_instance = lambda f: f"{f.site.party.name} · {f.name}"
        for name in ("stream", "generator_site"):
            preselect(self.fields[name])
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.empty_label = CHOOSE

    def clean_flow(self):
        if self.cleaned_data["flow"] != self.flow_def.key:
            raise forms.ValidationError(_t("联单类型与页面不一致，请重新打开填报页面。"))
        return self.cleaned_data["flow"]

    def clean_waste_code(self):
        text = self.cleaned_data["waste_code"].strip()
        if not text:
            return None
        code = waste_code_of(text)
        if code is None:
            raise forms.ValidationError(_t("废物代码 %(code)s 不存在。") % {"code": text})
        return code

    def manifest_input(self, rows: list[ContainerRow]) -> services.ManifestInput:
        data = self.cleaned_data
        return services.ManifestInput(
            flow=self.flow_def.key,
            stream=data["stream"],
            waste_code=data["waste_code"],
            description=data["description"],
            generator_site=data["generator_site"],
            transporter=data["transporter"],
            receiver=data["receiver"],
            receiver_facility=data["receiver_facility"],
            containers=[
                NewContainer(kind=r.container_kind, stream=data["stream"], mass_kg=r.container_mass)
                for r in rows
                if not r.trace_code
            ],
            carry=[r.trace_code for r in rows if r.trace_code],
            note=data["note"],
            idempotency_key=data["idempotency_key"],
        )


class ContainerRow(forms.Form):
    """One container: a new one (kind and mass) or one the generator holds (its code)."""

    kind = forms.ChoiceField(label=_("容器类型"), required=False)
    mass_kg = forms.DecimalField(label=_("质量（千克）"), required=False, **KG)
    code = forms.CharField(
        label=_("已有追溯码"),
        required=False,
        max_length=20,
        help_text=_("已贴码的容器填追溯码，类型和质量可不填。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", CHOOSE), *ContainerKind.choices]
        self.fields["mass_kg"].widget.attrs.update({"inputmode": "decimal", "step": "0.001"})

    @property
    def container_kind(self) -> str:
        return self.cleaned_data.get("kind") or ""

    @property
    def container_mass(self):
        return self.cleaned_data.get("mass_kg")

    @property
    def trace_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()

    def clean(self):
        data = super().clean()
        if self.trace_code or not (data.get("kind") or data.get("mass_kg") is not None):
            return data
        if not data.get("kind"):
            self.add_error("kind", _t("请选择容器类型。"))
        if data.get("mass_kg") is None:
            self.add_error("mass_kg", _t("请填写质量（千克）。"))
        return data

    @property
    def filled(self) -> bool:
        return bool(self.trace_code or self.container_kind)


ContainerFormSet = forms.formset_factory(
    ContainerRow,
    extra=MAX_CONTAINERS,
    max_num=MAX_CONTAINERS,
    absolute_max=MAX_CONTAINERS,
    validate_max=True,
)


def put_container_errors(
    form: ManifestForm, rows: list[ContainerRow], errors: list[FieldError]
) -> None:
    """Errors of ``containers.<i>.<field>`` on the i-th new-container row; others on the form."""
    new_rows = [r for r in rows if not r.trace_code]
    rest = []
    for error in errors:
        parts = (error.field or "").split(".")
        if parts[0] == "containers" and len(parts) == 3 and int(parts[1]) < len(new_rows):
            row = new_rows[int(parts[1])]
            row.add_error(parts[2] if parts[2] in row.fields else None, str(error.message))
        else:
            rest.append(error)
    add_errors(form, rest)


# --- the actions on a manifest -------------------------------------------------------------


class ActionForm(forms.Form):
    """A form of one transition: ``perform()`` calls its service (which may refuse)."""

    def __init__(self, *args, actor, manifest: Manifest, revision=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.manifest, self.revision = actor, manifest, revision

    def perform(self):
        raise NotImplementedError

    def refuse(self, errors) -> None:
        add_errors(self, errors)


class SubmitForm(ActionForm):
    def perform(self):
        return services.manifest_submit(actor=self.actor, manifest=self.manifest)


class CancelForm(ActionForm):
    reason = forms.CharField(label=_("撤销原因"), max_length=200)

    def perform(self):
        return services.manifest_cancel(
            actor=self.actor, manifest=self.manifest, reason=self.cleaned_data["reason"]
        )


class PickUpForm(ActionForm):
    signing_code = forms.CharField(
        label=_("交接码"),
        max_length=6,
        help_text=_("请移出单位经办人出示 6 位交接码。"),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}
        ),
    )
    pickup_kg = forms.DecimalField(label=_("起运量（千克）"), **KG)
    vehicle = forms.ModelChoiceField(label=_("车辆"), queryset=Vehicle.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pickup_kg"].widget.attrs.update({"inputmode": "decimal", "step": "0.001"})
        vehicle = self.fields["vehicle"]
        vehicle.queryset = Vehicle.objects.filter(
            party_id=self.manifest.transporter_id, is_active=True
        ).order_by("plate")
        vehicle.empty_label = CHOOSE
        preselect(vehicle)

    def perform(self):
        data = self.cleaned_data
        return services.manifest_pick_up(
            actor=self.actor,
            manifest=self.manifest,
            signing_code_entered=data["signing_code"],
            pickup_kg=data["pickup_kg"],
            vehicle=data["vehicle"],
        )


class DepartForm(ActionForm):
    def perform(self):
        return services.manifest_depart(actor=self.actor, manifest=self.manifest)


class ReceiveForm(ActionForm):
    received_kg = forms.DecimalField(label=_("接收过磅量（千克）"), **KG)
    accepted_kg = forms.DecimalField(
        label=_("接收量（千克）"),
        required=False,
        help_text=_("不填则全部接收；填 0 为拒收。"),
        **KG,
    )
    reason = forms.CharField(
        label=_("部分接收/拒收原因"),
        required=False,
        max_length=200,
        help_text=_("接收量少于过磅量时必填。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("received_kg", "accepted_kg"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.001"})
        bridge = getattr(self.manifest, "bridge_in_kg", None)
        if bridge is not None:  # the receiver's weighbridge already weighed the load
            self.fields["received_kg"].initial = bridge
            self.fields["received_kg"].help_text = _("已按进场地磅净重预填，请核对。")

    def perform(self):
        data = self.cleaned_data
        return services.manifest_receive(
            actor=self.actor,
            manifest=self.manifest,
            received_kg=data["received_kg"],
            accepted_kg=data["accepted_kg"],
            reason=data["reason"],
        )


class CompleteForm(ActionForm):
    method = forms.ModelChoiceField(label=_("利用处置方式"), queryset=TreatmentMethod.objects)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        method = self.fields["method"]
        allowed = [m.pk for m in flow_methods(self.manifest.flow_def)]
        method.queryset = TreatmentMethod.objects.filter(pk__in=allowed).order_by("code")
        method.label_from_instance = lambda m: f"{m.code} {m.name}"
        method.empty_label = CHOOSE

    def perform(self):
        return services.manifest_complete(
            actor=self.actor, manifest=self.manifest, method=self.cleaned_data["method"]
        )


def correctable_fields(m: Manifest) -> list[tuple[str, str]]:
    """The fields a correction of ``m`` may change now (those the manifest has recorded)."""
    order = corrections.STATE_ORDER
    if m.state not in order:
        return []
    reached = order.index(m.state)
    return [
        (name, str(_label(name)))
        for name, since in corrections.CORRECTABLE.items()
        if order.index(since) <= reached
    ]


class CorrectionForm(ActionForm):
    field = forms.ChoiceField(label=_("更正项"))
    value = forms.CharField(
        label=_("更正为"),
        max_length=200,
        help_text=_("重量填千克数；废物代码填代码；利用处置方式填方式代码（如 D10）。"),
    )
    reason = forms.CharField(label=_("更正原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = correctable_fields(self.manifest) or [
            (name, str(_label(name))) for name in corrections.CORRECTABLE
        ]
        self.fields["field"].choices = [("", CHOOSE), *choices]

    def perform(self):
        data = self.cleaned_data
        return corrections.correction_propose(
            actor=self.actor,
            manifest=self.manifest,
            changes={data["field"]: data["value"].strip()},
            reason=data["reason"],
        )

    def refuse(self, errors) -> None:
        # The service names the corrected field (``pickup_kg``); here it is the value.
        names = set(corrections.CORRECTABLE) | {"changes"}
        add_errors(
            self,
            [FieldError("value", e.code, e.message) if e.field in names else e for e in errors],
        )


class ApproveForm(ActionForm):
    def perform(self):
        return corrections.correction_approve(actor=self.actor, revision=self.revision)


class RejectForm(ActionForm):
    reason = forms.CharField(label=_("不同意的理由"), max_length=200)

    def perform(self):
        return corrections.correction_reject(
            actor=self.actor, revision=self.revision, reason=self.cleaned_data["reason"]
        )
