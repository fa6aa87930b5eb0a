"""The IoT pages' filter and action forms (plain forms: the services do the checking)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wufei.core.pages import region_choices
from wufei.iot.choices import LinkStatus, QuarantineReason, QuarantineStatus, WasteClass
from wufei.registry.choices import DeviceKind

HEALTH_CHOICES = (
    ("ok", _("正常")),
    ("silent", _("离线")),
    ("never", _("从未上报")),
)


def _blank(choices, label) -> list:
    return [("", label), *choices]


class FilterForm(forms.Form):
    """A GET form whose filled fields are shown as chips above the results."""

    def active(self) -> list[tuple[str, str, str]]:
        if not self.is_valid():
            return []
        chips = []
        for name, value in self.cleaned_data.items():
            if value in ("", None):
                continue
            field = self.fields[name]
            shown = dict(getattr(field, "choices", ())).get(value, value)
            chips.append((name, str(field.label), str(shown)))
        return chips


class HealthFilter(FilterForm):
    kind = forms.ChoiceField(
        label=_("设备类型"), required=False, choices=_blank(DeviceKind.choices, _("全部"))
    )
    region = forms.ChoiceField(label=_("区划"), required=False)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=_blank(HEALTH_CHOICES, _("全部"))
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices(actor)


class QuarantineFilter(FilterForm):
    reason = forms.ChoiceField(
        label=_("原因"), required=False, choices=_blank(QuarantineReason.choices, _("全部"))
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=_blank(QuarantineStatus.choices, _("全部"))
    )
    serial = forms.CharField(label=_("设备编号"), required=False, max_length=64)


class TicketFilter(FilterForm):
    link_status = forms.ChoiceField(
        label=_("关联状态"), required=False, choices=_blank(LinkStatus.choices, _("全部"))
    )
    plate = forms.CharField(label=_("车牌号"), required=False, max_length=12)


class DepositFilter(FilterForm):
    waste_class = forms.ChoiceField(
        label=_("垃圾类别"), required=False, choices=_blank(WasteClass.choices, _("全部"))
    )
    household = forms.CharField(label=_("户码/卡号"), required=False, max_length=32)


class DiscardForm(forms.Form):
    note = forms.CharField(
        label=_("作废说明"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class TokenIssueForm(forms.Form):
    serial = forms.CharField(label=_("设备编号"), max_length=64)
