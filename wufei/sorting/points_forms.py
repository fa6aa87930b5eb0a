"""Forms and filters of the points pages: they parse input for one service each; the services
validate (the same refusals and codes as the API) and the errors come back onto the fields."""

from __future__ import annotations

from datetime import datetime, timedelta

import django_filters as df
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from wufei.core.filters import IdFilter
from wufei.iot.choices import WasteClass
from wufei.registry.filtersets import RegionFilter, SearchFilter
from wufei.sorting import points_selectors as selectors
from wufei.sorting.models import (
    Drop,
    DropSource,
    Flag,
    FlagKind,
    FlagStatus,
    RuleKind,
)
from wufei.sorting.points import _day_start

CORRECT_CHOICES = (("", _("未检查")), ("1", _("正确")), ("0", _("不正确")))


def _tristate(value: str):
    return {"1": True, "0": False}.get(value)


class DropForm(forms.Form):
    """The guide's phone page: the code (scanned or typed), the class, the weight, the check."""

    household_code = forms.CharField(
        label=_("户码或卡号"),
        max_length=32,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "data-code": ""}
        ),
    )
    waste_class = forms.ChoiceField(
        label=_("垃圾类别"),
        choices=WasteClass.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    weight_kg = forms.CharField(
        label=_("重量（千克）"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "1.5"}),
    )
    correct = forms.TypedChoiceField(
        label=_("分类是否正确"),
        choices=CORRECT_CHOICES,
        coerce=_tristate,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    station = forms.ModelChoiceField(label=_("投放点"), queryset=None, required=False)
    photo = forms.FileField(
        label=_("照片（可选，JPG/PNG，不超过5 MB）"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png", "capture": "environment"}
        ),
    )
    # The moment the page was opened: a second tap on 提交 sends the same moment, and the
    # service answers it with the drop already recorded.
    opened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = selectors.station_choices(actor=actor).exclude(
            kind__in=("redemption",)
        )
        self.fields["station"].empty_label = _("—— 不指定 ——")


class RedemptionForm(forms.Form):
    household_code = forms.CharField(label=_("户码或卡号"), max_length=32)
    station = forms.ModelChoiceField(label=_("兑换点"), queryset=None)
    item = forms.CharField(label=_("兑换物品"), max_length=64)
    points = forms.CharField(
        label=_("积分"), max_length=8, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = selectors.redemption_stations(actor=actor)
        self.fields["station"].empty_label = _("—— 请选择 ——")


class CorrectionForm(forms.Form):
    note = forms.CharField(label=_("更正原因"), max_length=150)


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("核查结论"),
        choices=(
            ("confirm", _("确认违规（冲正该次投放积分）")),
            ("clear", _("核查无误（保留积分）")),
        ),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("核查意见"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LimitForm(forms.Form):
    value = forms.CharField(label=_("取值"), max_length=20)


class RuleForm(forms.Form):
    code = forms.SlugField(label=_("规则代码"), max_length=32, help_text=_("如 kitchen-drop。"))
    name = forms.CharField(label=_("名称"), max_length=64)
    kind = forms.ChoiceField(label=_("规则类型"), choices=RuleKind.choices)
    waste_class = forms.ChoiceField(
        label=_("垃圾类别"),
        choices=[("", _("所有类别")), *WasteClass.choices],
        required=False,
    )
    points = forms.CharField(
        label=_("积分"), max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    valid_from = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class RuleVersionForm(forms.Form):
    points = forms.CharField(
        label=_("新积分"), max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    valid_from = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    name = forms.CharField(label=_("名称（可不改）"), max_length=64, required=False)


# --- filters --------------------------------------------------------------------------------


class DayFilter(df.DateFilter):
    """Drops from (or up to and including) a local day."""

    def __init__(self, *, upto: bool = False, **kwargs):
        self.upto = upto
        super().__init__(method=self.by_day, **kwargs)

    def by_day(self, queryset, name, value):
        if value is None:
            return queryset
        if self.upto:
            return queryset.filter(dropped_at__lt=_day_start(value) + timedelta(days=1))
        return queryset.filter(dropped_at__gte=_day_start(value))


class DropFilterSet(df.FilterSet):
    q = SearchFilter("household_code", "community__name")
    region = RegionFilter("community__region")
    community = df.ChoiceFilter(label=_("小区（村）"), choices=(), field_name="community_id")
    waste_class = df.ChoiceFilter(label=_("垃圾类别"), choices=WasteClass.choices)
    source = df.ChoiceFilter(label=_("来源"), choices=DropSource.choices)
    unmatched = df.BooleanFilter(
        label=_("仅未登记户码"), field_name="household", lookup_expr="isnull"
    )
    flagged = df.BooleanFilter(label=_("有异常标记"), method="by_flagged")
    checked = df.BooleanFilter(
        label=_("经督导员检查"), field_name="correct", lookup_expr="isnull", exclude=True
    )
    dropped_from = DayFilter(label=_("投放日期自"))
    dropped_to = DayFilter(label=_("至"), upto=True)
    household = IdFilter(label=_("住户"), widget=df.widgets.forms.HiddenInput)

    class Meta:
        model = Drop
        fields = [
            "q",
            "region",
            "community",
            "waste_class",
            "source",
            "unmatched",
            "flagged",
            "checked",
            "dropped_from",
            "dropped_to",
            "household",
        ]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        actor = getattr(request, "user", None)
        rows = selectors.community_choices(actor=actor).order_by("name")[:500]
        # On the field, not in ``extra`` (see registry_forms.ActorFilterSet).
        self.filters["community"].field.choices = [(c.pk, c.name) for c in rows]

    def by_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        flagged = Exists(Flag.objects.filter(drop_id=OuterRef("pk")))
        return queryset.filter(flagged) if value else queryset.exclude(flagged)


class FlagFilterSet(df.FilterSet):
    q = SearchFilter("household__code", "drop__household_code", "guide__name", "detail")
    status = df.ChoiceFilter(label=_("状态"), choices=FlagStatus.choices)
    kind = df.ChoiceFilter(label=_("类型"), choices=FlagKind.choices)
    region = RegionFilter("drop__community__region")
    household = IdFilter(label=_("住户"), widget=df.widgets.forms.HiddenInput)

    class Meta:
        model = Flag
        fields = ["q", "status", "kind", "region", "household"]


def opened_moment(form: DropForm, now: datetime) -> datetime:
    """The drop's time: when the page was opened (if recent), else now."""
    opened = form.cleaned_data.get("opened_at")
    if opened is None or not timedelta(0) <= now - opened <= timedelta(minutes=30):
        return now
    return opened
