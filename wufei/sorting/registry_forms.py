"""Forms and filters of the sorting registry pages: they parse input for the registry services
(which validate) and narrow the lists; one FilterSet per list serves the pages and the API."""

from __future__ import annotations

from typing import ClassVar

import django_filters as df
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Action, Role
from wufei.accounts.models import User
from wufei.accounts.scoping import restrict
from wufei.core.filters import IdFilter
from wufei.core.forms import CHOOSE
from wufei.registry.choices import RegionLevel, SiteKind
from wufei.registry.filtersets import RegionFilter, SearchFilter
from wufei.registry.forms import RegionScopedForm
from wufei.sorting import registry_selectors as selectors
from wufei.sorting.models import (
    Community,
    CommunityKind,
    Guide,
    Household,
    Station,
    StationCheck,
    StationKind,
    Training,
)
from wufei.sorting.registry_services import (
    COMMUNITY_FIELDS,
    SEQ_MAX,
    STATION_FIELDS,
    AttendanceRow,
    schedule_text,
)

# --- filters -------------------------------------------------------------------------------------


class StreetFilter(df.ChoiceFilter):
    """Rows in one street (town), by adcode; the choices are the streets the actor sees."""

    def __init__(self, path: str, **kwargs):
        self.path = path
        kwargs.setdefault("label", _("街道（乡镇）"))
        super().__init__(method=self.by_street, choices=(), **kwargs)

    def by_street(self, queryset, name, value: str):
        return queryset.filter(**{f"{self.path}__adcode": value})


class ActorFilterSet(df.FilterSet):
    """Fills the street filter's choices with the streets the requesting actor sees."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        street = self.filters.get("street")
        if street is not None:
            actor = getattr(request, "user", None)
            # On the filter's own form field, not in ``extra``: once a field has been built on
            # the class's base filter (drf-spectacular does so generating the schema), every
            # filter set deep-copies it, choices and all, and ``extra`` is no longer read.
            street.field.choices = [(r.adcode, r.name) for r in selectors.streets(actor=actor)]


class CommunityFilterSet(ActorFilterSet):
    q = SearchFilter("name", "committee__name")
    region = RegionFilter("region", label=_("县（市、区）"))
    street = StreetFilter("region")
    kind = df.ChoiceFilter(label=_("类型"), choices=CommunityKind.choices)
    is_pilot = df.BooleanFilter(label=_("分类试点"))
    is_active = df.BooleanFilter(label=_("有效"))

    class Meta:
        model = Community
        fields = ["q", "region", "street", "kind", "is_pilot", "is_active"]


class HouseholdFilterSet(ActorFilterSet):
    q = SearchFilter("code", "card_number", "unit")
    region = RegionFilter("community__region", label=_("县（市、区）"))
    street = StreetFilter("community__region")
    community = IdFilter(label=_("小区（村）"), widget=df.widgets.forms.HiddenInput)
    is_active = df.BooleanFilter(label=_("有效"))

    class Meta:
        model = Household
        fields = ["q", "region", "street", "community", "is_active"]


class StationFilterSet(ActorFilterSet):
    q = SearchFilter("name", "community__name")
    kind = df.ChoiceFilter(label=_("类型"), choices=StationKind.choices)
    region = RegionFilter("region", label=_("县（市、区）"))
    street = StreetFilter("region")
    community = IdFilter(label=_("小区（村）"), widget=df.widgets.forms.HiddenInput)
    is_active = df.BooleanFilter(label=_("有效"))

    class Meta:
        model = Station
        fields = ["q", "kind", "region", "street", "community", "is_active"]


class GuideFilterSet(ActorFilterSet):
    q = SearchFilter("name")
    region = RegionFilter("region", label=_("县（市、区）"))
    street = StreetFilter("region")
    station = IdFilter(
        label=_("投放点"), field_name="stations", widget=df.widgets.forms.HiddenInput
    )
    is_active = df.BooleanFilter(label=_("在岗"))
    is_volunteer = df.BooleanFilter(label=_("志愿者"))

    class Meta:
        model = Guide
        fields = ["q", "region", "street", "station", "is_active", "is_volunteer"]


class CheckFilterSet(ActorFilterSet):
    q = SearchFilter("station__name", "note")
    region = RegionFilter("station__region", label=_("县（市、区）"))
    street = StreetFilter("station__region")
    station = IdFilter(label=_("投放点"), widget=df.widgets.forms.HiddenInput)
    community = IdFilter(
        label=_("小区（村）"), field_name="station__community", widget=df.widgets.forms.HiddenInput
    )
    guide = IdFilter(label=_("督导员"), widget=df.widgets.forms.HiddenInput)
    overflowing = df.BooleanFilter(label=_("满溢"))
    mixed = df.BooleanFilter(label=_("混投混放"))
    checked_from = df.DateFilter(
        label=_("检查日期自"), field_name="checked_at", lookup_expr="date__gte"
    )
    checked_to = df.DateFilter(label=_("至"), field_name="checked_at", lookup_expr="date__lte")

    class Meta:
        model = StationCheck
        fields = [
            "q",
            "region",
            "street",
            "station",
            "community",
            "guide",
            "overflowing",
            "mixed",
            "checked_from",
            "checked_to",
        ]


class TrainingFilterSet(ActorFilterSet):
    q = SearchFilter("title", "place", "trainer")
    region = RegionFilter("region", label=_("县（市、区）"))
    held_from = df.DateFilter(label=_("日期自"), field_name="held_on", lookup_expr="gte")
    held_to = df.DateFilter(label=_("至"), field_name="held_on", lookup_expr="lte")

    class Meta:
        model = Training
        fields = ["q", "region", "held_from", "held_to"]


# --- forms of the ModelPages ---------------------------------------------------------------------


class TownForm(RegionScopedForm):
    """The region is a street (town) inside the actor's own region."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        field = self.fields.get("region")
        if field is not None:
            field.queryset = field.queryset.filter(level=RegionLevel.TOWN)
            field.label = _("所在街道（乡镇）")


class CommunityForm(TownForm):
    narrow: ClassVar[dict[str, Q]] = {
        "site": Q(kind__in=(SiteKind.COMMUNITY, SiteKind.VILLAGE)),
        "committee": Q(is_community=True),
    }

    class Meta:
        model = Community
        fields = list(COMMUNITY_FIELDS)


class StationForm(TownForm):
    schedule = forms.CharField(
        label=_("投放时段"),
        required=False,
        help_text=_("如 07:00-09:00, 18:00-21:00；留空表示全天。"),
    )

    class Meta:
        model = Station
        fields = list(STATION_FIELDS)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        self.fields["region"].required = False
        self.fields["region"].help_text = _("选择小区（村）时可留空，自动取其所在街道。")
        instance = kwargs.get("instance")
        if instance is not None and instance.pk and not self.is_bound:
            self.initial["schedule"] = (
                ", ".join(f"{a}-{b}" for a, b in instance.schedule) if instance.schedule else ""
            )


class GuideForm(TownForm):
    class Meta:
        model = Guide
        fields = [
            "name",
            "phone_masked",
            "region",
            "user",
            "stations",
            "is_volunteer",
            "joined_on",
            "is_active",
        ]
        help_texts = {"phone_masked": _("可填 11 位手机号，将脱敏保存。")}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        users = User.objects.filter(role=Role.GUIDE, is_active=True).select_related("region")
        region = getattr(actor, "region", None)
        if region is not None:
            users = users.filter(region__path__startswith=region.path)
        self.fields["user"].queryset = users.order_by("username")
        self.fields["user"].required = False
        stations = self.fields["stations"]
        stations.queryset = stations.queryset.filter(is_active=True).select_related("region")
        stations.label_from_instance = lambda s: f"{s.region.name} · {s.name}"
        stations.widget.attrs["size"] = 8


class TrainingForm(RegionScopedForm):
    class Meta:
        model = Training
        fields = ["title", "held_on", "place", "trainer", "region", "hours"]


# --- forms of the registry's own pages -----------------------------------------------------------


def _communities(actor):
    """Active communities the actor sees (the service checks the right to register there)."""
    return restrict(
        Community.objects.filter(is_active=True).select_related("region"), actor, Action.VIEW
    ).order_by("region__adcode", "name")


class HouseholdsRegisterForm(forms.Form):
    """Register many households of one community at once (codes continue the sequence)."""

    count = forms.IntegerField(
        label=_("登记户数"),
        min_value=1,
        max_value=SEQ_MAX + 1,
        required=False,
        help_text=_("填写门牌时可留空，按门牌行数登记。"),
    )
    unit_labels = forms.CharField(
        label=_("门牌（每行一户，可留空）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "1号楼1单元101\n1号楼1单元102"}),
    )
    with_cards = forms.BooleanField(label=_("同时发放卡号"), required=False)

    def clean(self):
        data = super().clean()
        text = data.get("unit_labels") or ""
        units = [line.strip() for line in text.splitlines() if line.strip()]
        count = data.get("count")
        if units:
            data["unit_labels"] = units
            if count is None:
                data["count"] = len(units)
        else:
            data["unit_labels"] = None
            if count is None:
                self.add_error("count", _("请填写登记户数或门牌。"))
        return data


class HouseholdForm(forms.Form):
    """One household: the community, the door label and a phone (kept masked)."""

    community = forms.ModelChoiceField(label=_("小区（村）"), queryset=Community.objects.none())
    unit = forms.CharField(label=_("门牌"), required=False, max_length=80)
    phone = forms.CharField(
        label=_("联系电话"),
        required=False,
        max_length=20,
        help_text=_("可不填；填写 11 位手机号将脱敏保存为 138****1234。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    with_card = forms.BooleanField(label=_("同时发放卡号"), required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["community"]
        field.queryset = _communities(actor)
        field.empty_label = CHOOSE
        field.label_from_instance = lambda c: f"{c.region.name} · {c.name}"


class HouseholdEditForm(forms.Form):
    unit = forms.CharField(label=_("门牌"), required=False, max_length=80)
    phone = forms.CharField(
        label=_("联系电话"),
        required=False,
        max_length=20,
        help_text=_("填写 11 位手机号将脱敏保存；留空即删除。"),
    )


class ShiftPlanForm(forms.Form):
    station = forms.ModelChoiceField(label=_("投放点"), queryset=Station.objects.none())
    start = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, guide: Guide, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["station"]
        field.queryset = guide.stations.filter(is_active=True)
        field.empty_label = CHOOSE
        field.label_from_instance = lambda s: f"{s.name}（{schedule_text(s.schedule)}）"


class StationCheckForm(forms.Form):
    """The phone form of a station check (桶边督导)."""

    station = forms.ModelChoiceField(label=_("投放点"), queryset=Station.objects.none())
    score = forms.IntegerField(
        label=_("得分（0-100）"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 100}),
    )
    bins_clean = forms.BooleanField(label=_("桶体整洁"), required=False, initial=True)
    signage_ok = forms.BooleanField(label=_("标识齐全"), required=False, initial=True)
    overflowing = forms.BooleanField(label=_("满溢"), required=False)
    mixed = forms.BooleanField(label=_("混投混放"), required=False)
    note = forms.CharField(
        label=_("说明"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.FileField(
        label=_("照片（JPG/PNG，不超过5 MB）"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png", "capture": "environment"}
        ),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["station"]
        field.queryset = restrict(
            Station.objects.filter(is_active=True).select_related("community"),
            actor,
            Action.VIEW,
        ).order_by("name")
        field.empty_label = CHOOSE
        field.label_from_instance = lambda s: str(s)


def attendance_rows(data, guides) -> list[AttendanceRow]:
    """One :class:`AttendanceRow` per guide listed on the attendance form: ``present_<pk>`` is a
    checkbox, ``passed_<pk>`` is "" (not tested), "yes" or "no". Guides not ticked present and
    not previously recorded are left out."""
    rows = []
    for guide in guides:
        present = data.get(f"present_{guide.pk}") in ("on", "1", "true")
        passed = {"yes": True, "no": False}.get(data.get(f"passed_{guide.pk}", ""))
        recorded = data.get(f"recorded_{guide.pk}") == "1"
        if present or recorded or passed is not None:
            rows.append(AttendanceRow(guide=guide, present=present, passed=passed))
    return rows
