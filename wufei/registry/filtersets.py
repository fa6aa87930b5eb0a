"""One FilterSet per model, serving both the list pages and the API."""

import django_filters as df
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wufei.core.filters import WholeNumberFilter
from wufei.registry.choices import HazardTrait
from wufei.registry.models import (
    CodeList,
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Region,
    Site,
    Vehicle,
    WasteCode,
    WasteStream,
)
from wufei.registry.selectors import permits_expiring


class RegionFilter(df.CharFilter):
    """Rows in a region or anywhere below it, by adcode (411002 matches its towns too).

    With several paths a row matches if any of its regions does (a device at a site in one
    county, of a party registered in another, is in both).
    """

    def __init__(self, *paths: str, **kwargs):
        self.paths = paths
        kwargs.setdefault("label", _("区划"))
        super().__init__(method=self.by_region, **kwargs)

    def by_region(self, queryset, name, value):
        region = Region.objects.filter(adcode=value).first()
        if region is None:
            return queryset.none()
        q = Q()
        for path in self.paths:
            q |= Q(**{f"{path}__path__startswith": region.path})
        return queryset.filter(q)


class SearchFilter(df.CharFilter):
    def __init__(self, *fields: str, **kwargs):
        self.fields = fields
        kwargs.setdefault("label", _("关键词"))
        super().__init__(method=self.search, **kwargs)

    def search(self, queryset, name, value):
        q = Q()
        for field in self.fields:
            q |= Q(**{f"{field}__icontains": value})
        return queryset.filter(q)


class PartyFilterSet(df.FilterSet):
    q = SearchFilter("name", "credit_code", "address")
    region = RegionFilter("region")
    role = df.ChoiceFilter(
        label=_("角色"),
        method="by_role",
        choices=[
            (f.removeprefix("is_"), Party._meta.get_field(f).verbose_name)
            for f in Party.ROLE_FIELDS
        ],
    )

    class Meta:
        model = Party
        fields = ["q", "region", "role", "is_active", "is_small_micro", "industry_code"]

    def by_role(self, queryset, name, value):
        return queryset.filter(**{f"is_{value}": True})


class SiteFilterSet(df.FilterSet):
    q = SearchFilter("name", "address", "party__name")
    region = RegionFilter("region")

    class Meta:
        model = Site
        fields = ["q", "kind", "region", "party", "is_active"]


class FacilityFilterSet(df.FilterSet):
    q = SearchFilter("name", "site__name", "site__party__name")
    region = RegionFilter("site__region")
    stream = df.ModelChoiceFilter(
        label=_("废物类别"),
        queryset=WasteStream.objects.all(),
        field_name="capacities__stream",
        to_field_name="code",
        distinct=True,
    )

    class Meta:
        model = Facility
        fields = ["q", "kind", "status", "region", "stream"]


class CapacityFilterSet(df.FilterSet):
    region = RegionFilter("facility__site__region")
    stream = df.ModelChoiceFilter(
        label=_("废物类别"), queryset=WasteStream.objects.all(), to_field_name="code"
    )

    class Meta:
        model = FacilityCapacity
        fields = ["facility", "stream", "method", "region"]


class PermitFilterSet(df.FilterSet):
    q = SearchFilter("number", "party__name", "issuer")
    region = RegionFilter("party__region")
    stream = df.ModelChoiceFilter(
        label=_("废物类别"), queryset=WasteStream.objects.all(), to_field_name="code"
    )
    valid_on = df.DateFilter(label=_("有效于"), method="by_valid_on")
    expires_within = WholeNumberFilter(
        label=_("N 天内到期"), method="by_expires_within", min_value=0, max_value=3650
    )

    class Meta:
        model = Permit
        fields = ["q", "kind", "status", "stream", "party", "region", "valid_on", "expires_within"]

    def by_valid_on(self, queryset, name, value):
        return queryset.filter(valid_from__lte=value, valid_to__gte=value)

    def by_expires_within(self, queryset, name, value):
        return permits_expiring(queryset, within_days=int(value))


class VehicleFilterSet(df.FilterSet):
    q = SearchFilter("plate", "party__name")
    region = RegionFilter("party__region")

    class Meta:
        model = Vehicle
        fields = ["q", "kind", "party", "is_sealed", "is_hazmat_certified", "is_active", "region"]


class DeviceFilterSet(df.FilterSet):
    q = SearchFilter("serial", "party__name", "site__name")
    region = RegionFilter("site__region", "party__region")

    class Meta:
        model = Device
        fields = ["q", "kind", "party", "site", "is_active", "region"]


class WasteCodeFilterSet(df.FilterSet):
    q = SearchFilter("code", "name")
    category = df.CharFilter(label=_("大类"), field_name="category__code")
    stream = df.CharFilter(label=_("废物类别"), field_name="category__stream__code")
    trait = df.ChoiceFilter(label=_("危险特性"), choices=HazardTrait.choices, method="by_trait")

    class Meta:
        model = WasteCode
        fields = ["q", "category", "stream", "trait", "confidence", "code_list"]

    def by_trait(self, queryset, name, value):
        # ``hazard_traits`` is a comma-separated list: match whole items, so that "I"
        # (ignitability) does not match "In" (infectivity).
        return queryset.filter(
            Q(hazard_traits=value)
            | Q(hazard_traits__startswith=f"{value},")
            | Q(hazard_traits__endswith=f",{value}")
            | Q(hazard_traits__contains=f",{value},")
        )


class CodeListFilterSet(df.FilterSet):
    q = SearchFilter("name", "key", "source")

    class Meta:
        model = CodeList
        fields = ["q", "key", "confidence"]
