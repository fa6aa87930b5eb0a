"""Forms of the registry pages: parse input for the registry services (which validate)."""

from typing import ClassVar

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wufei.core.forms import CodesField, ServiceForm
from wufei.registry import inputs
from wufei.registry.choices import DeviceKind
from wufei.registry.models import (
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Region,
    Site,
    Vehicle,
    WasteCategory,
)


class RegionScopedForm(ServiceForm):
    """Offers only the regions inside the actor's own region (a county official's county)."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        field = self.fields.get("region")
        region = getattr(actor, "region", None)
        if field is not None and region is not None:
            field.queryset = Region.objects.filter(path__startswith=region.path)
        if field is not None:
            field.queryset = field.queryset.order_by("path")
            field.label_from_instance = lambda r: f"{r.adcode} {r.name}"


class PartyForm(RegionScopedForm):
    class Meta:
        model = Party
        fields = inputs.PARTY


class SiteForm(RegionScopedForm):
    class Meta:
        model = Site
        fields = inputs.SITE


class PermitForm(ServiceForm):
    waste_codes = CodesField(
        label=_("核准废物代码"),
        required=False,
        help_text=_("每行一个，或以逗号分隔，如 900-041-49。"),
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("核准大类"),
        required=False,
        queryset=WasteCategory.objects.order_by("code"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Permit
        fields = inputs.PERMIT


class VehicleForm(ServiceForm):
    narrow: ClassVar[dict[str, Q]] = {"gps_device": Q(kind=DeviceKind.GPS)}

    class Meta:
        model = Vehicle
        fields = inputs.VEHICLE


class DeviceForm(ServiceForm):
    class Meta:
        model = Device
        fields = inputs.DEVICE


class FacilityForm(ServiceForm):
    class Meta:
        model = Facility
        fields = inputs.FACILITY


class CapacityForm(ServiceForm):
    class Meta:
        model = FacilityCapacity
        fields = inputs.CAPACITY
