from django import forms
from django.utils.translation import gettext_lazy as _

from wufei.registry.models import Device


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("名称"), max_length=64, help_text=_("如：企业 ERP 对接、地磅 1 号")
    )
    device = forms.ModelChoiceField(
        label=_("绑定设备"),
        required=False,
        queryset=Device.objects.none(),
        help_text=_("设备令牌只用于该设备上报数据；企业系统对接可不选。"),
    )
    days = forms.IntegerField(
        label=_("有效天数"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("留空为长期有效；可随时吊销。"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        devices = Device.objects.filter(party_id=actor.party_id, is_active=True)
        self.fields["device"].queryset = devices.order_by("serial")
        if actor.party_id is None:
            del self.fields["device"]
