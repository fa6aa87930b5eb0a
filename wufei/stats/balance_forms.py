"""The balance table's parameters (GET, for the page, the API and the exports alike): year,
region, and the what-if scenario — added facilities, closed facilities, growth rates."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.errors import Invalid
from wufei.registry.choices import FacilityStatus, RegionLevel
from wufei.registry.models import Facility, Region, TreatmentMethod, WasteStream
from wufei.stats.balance import (
    AddedFacility,
    ClosedFacility,
    Scenario,
    balance_regions,
    within,
)
from wufei.stats.forecasts import top_streams

ADD_SLOTS = 2
ADD_FIELDS = ("stream", "method", "tonnes", "region", "from")
FIRST_YEAR, LAST_YEAR = 2000, 2100
TABLE_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.ZONE)
CLOSABLE = Facility.objects.filter(
    status=FacilityStatus.OPERATING, capacities__isnull=False
).distinct()


def default_year() -> int:
    return timezone.localdate().year - 1


class RegionChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class BalanceForm(forms.Form):
    """Year and region, growth rates per top-level stream (``growth_<code>``, in %), up to
    ``ADD_SLOTS`` added facilities (``add1_stream`` …) and closed facilities (``close``,
    ``close_from``)."""

    year = forms.IntegerField(label=_("年份"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    region = RegionChoice(
        label=_("区划"),
        queryset=Region.objects.filter(level__in=TABLE_LEVELS).defer("boundary").order_by("path"),
        to_field_name="adcode",
    )
    close = forms.ModelMultipleChoiceField(
        label=_("关停设施"),
        queryset=CLOSABLE,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    close_from = forms.IntegerField(
        label=_("关停起始年份"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
    )

    def __init__(self, data: QueryDict, *, actor):
        regions = balance_regions(actor)
        data = data.copy()
        if not data.get("year"):
            data["year"] = str(default_year())
        if not data.get("region") and regions:
            data["region"] = regions[0].adcode
        super().__init__(data)
        self.actor = actor
        # any city or county parses (the table refuses, 403, those the actor may not see);
        # the choices offered are the actor's
        self.fields["region"].widget.choices = [(r.adcode, r.name) for r in regions]
        close = cast(forms.ModelMultipleChoiceField, self.fields["close"])
        close.queryset = restrict(CLOSABLE, actor, Action.VIEW).order_by("name")
        self.growth_fields = []
        for stream in top_streams():
            name = f"growth_{stream.code}"
            self.fields[name] = forms.DecimalField(
                label=_("%(stream)s年增长率（%%）") % {"stream": stream.name},
                required=False,
                min_value=Decimal("-99.99"),
                max_value=Decimal(1000),
                decimal_places=2,
            )
            self.growth_fields.append(name)
        counties = Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.ZONE]).order_by(
            "path"
        )
        self.add_slots = []
        for i in range(1, ADD_SLOTS + 1):
            self.fields[f"add{i}_stream"] = forms.ModelChoiceField(
                label=_("新增设施%(n)s：废物类别") % {"n": i},
                queryset=WasteStream.objects.all(),
                to_field_name="code",
                required=False,
            )
            self.fields[f"add{i}_method"] = forms.ModelChoiceField(
                label=_("利用处置方式"),
                queryset=TreatmentMethod.objects.order_by("code"),
                to_field_name="code",
                required=False,
            )
            self.fields[f"add{i}_tonnes"] = forms.DecimalField(
                label=_("能力（吨/年）"), required=False, min_value=Decimal("0.001"), max_digits=14
            )
            self.fields[f"add{i}_region"] = RegionChoice(
                label=_("所在县（市、区）"),
                queryset=counties,
                to_field_name="adcode",
                required=False,
            )
            self.fields[f"add{i}_from"] = forms.IntegerField(
                label=_("投运年份"), required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
            )
            self.add_slots.append([self[f"add{i}_{name}"] for name in ADD_FIELDS])

    def clean(self):
        data = super().clean() or {}
        region = data.get("region")
        for i in range(1, ADD_SLOTS + 1):
            values = {name: data.get(f"add{i}_{name}") for name in ADD_FIELDS}
            if all(v in (None, "") for v in values.values()):
                continue
            for name, value in values.items():
                if value in (None, "") and f"add{i}_{name}" not in self.errors:
                    self.add_error(
                        f"add{i}_{name}",
                        ValidationError(_("请填写完整的新增设施信息。"), code="incomplete"),
                    )
            added = values["region"]
            if region is not None and added is not None and not within(added, region):
                self.add_error(
                    f"add{i}_region",
                    ValidationError(_("新增设施须位于所选区划内。"), code="outside_region"),
                )
        if data.get("close") and data.get("close_from") is None:
            self.add_error(
                "close_from", ValidationError(_("请填写关停起始年份。"), code="required")
            )
        return data

    def scenario(self) -> Scenario:
        data = self.cleaned_data
        added = tuple(
            AddedFacility(
                stream=data[f"add{i}_stream"],
                method=data[f"add{i}_method"],
                tonnes_per_year=data[f"add{i}_tonnes"],
                region=data[f"add{i}_region"],
                from_year=data[f"add{i}_from"],
            )
            for i in range(1, ADD_SLOTS + 1)
            if data.get(f"add{i}_stream") is not None
        )
        closed = tuple(
            ClosedFacility(facility.pk, data["close_from"]) for facility in data.get("close") or ()
        )
        growth = {
            name.removeprefix("growth_"): data[name] / 100
            for name in self.growth_fields
            if data.get(name) is not None
        }
        return Scenario(added=added, closed=closed, growth=growth)

    def parsed(self) -> tuple[int, Region, Scenario]:
        """Year, region and scenario, or :class:`Invalid` with the fields' errors."""
        if not self.is_valid():
            raise Invalid.from_django(ValidationError(self.errors.as_data()))
        return self.cleaned_data["year"], self.cleaned_data["region"], self.scenario()

    @property
    def scenario_fields(self):
        return [self[name] for name in self.growth_fields]
