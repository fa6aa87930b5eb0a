"""Forms of the indicator pages: they parse input for the services and show their errors."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wufei.core.forms import ServiceForm
from wufei.registry.models import Region
from wufei.stats.indicators import CUSTOM_FIELDS, TARGET_REGION_LEVELS
from wufei.stats.models import Indicator, IndicatorTarget


class IndicatorForm(ServiceForm):
    class Meta:
        model = Indicator
        fields = list(CUSTOM_FIELDS)
        widgets = {
            "formula": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
            "source": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "code": _("留空则自动编号（custom-1、custom-2…）；保存后不能修改。"),
            "formula": _(
                "可用数字、下方统计量代码、+ − × ÷、括号，以及 base(统计量)（基准年）、"
                "prev(统计量)（上一年）。例：straw_utilised / straw_collectable * 100"
            ),
            "base_year": _("公式中使用 base() 时必填。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False
        self.fields["formula"].required = True
        if self.instance.pk:
            self.fields["code"].disabled = True

    def clean_code(self) -> str:
        return self.instance.code if self.instance.pk else self.cleaned_data.get("code", "")


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name}"


class TargetForm(ServiceForm):
    indicator = IndicatorChoiceField(
        label=_("指标"),
        queryset=Indicator.objects.filter(is_active=True).order_by("sort_order", "code"),
    )

    class Meta:
        model = IndicatorTarget
        fields = ["indicator", "year", "region", "value", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        region = self.fields["region"]
        if not isinstance(region, forms.ModelChoiceField):
            raise TypeError("region is a foreign key")
        regions = Region.objects.filter(level__in=TARGET_REGION_LEVELS).defer("boundary")
        own = getattr(self.actor, "region", None)
        if own is not None:
            regions = regions.filter(path__startswith=own.path)
        region.queryset = regions.order_by("path")
