"""Forms of the outreach pages. They parse input for a service; the services validate (the same
refusals and codes as the API) and the errors come back onto the fields. The public forms
carry the human check (a small sum and a honeypot) of ``wufei.cases.human_check``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.cases.human_check import HumanCheckMixin
from wufei.core.forms import ServiceForm
from wufei.outreach.models import Event, EventKind
from wufei.outreach.services import COMMENT_MAX, PEOPLE_MAX, survey_regions
from wufei.outreach.survey import QUESTIONS
from wufei.registry.models import Region

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


class EventForm(ServiceForm):
    """An event as its organiser describes it; an enterprise hosts only its own 企业开放日."""

    class Meta:
        model = Event
        fields = [
            "kind",
            "title",
            "host",
            "region",
            "place",
            "starts_at",
            "ends_at",
            "booking_closes_at",
            "capacity",
            "description",
        ]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, actor=actor, **kwargs)
        for name in ("starts_at", "ends_at", "booking_closes_at"):
            self.fields[name].widget = _datetime_input()
        regions = Region.objects.all()
        region = getattr(actor, "region", None)
        if region is not None:  # a county official: the county and its towns
            regions = regions.filter(path__startswith=region.path)
        self.fields["region"].queryset = regions.order_by("path")
        if role_of(actor) == Role.ENTERPRISE:
            self.fields["kind"].choices = [(EventKind.OPEN_DAY, EventKind.OPEN_DAY.label)]
            del self.fields["host"]
        self.fields["capacity"].widget.attrs["min"] = 1
        self.fields["description"].widget.attrs["rows"] = 6


class BookingForm(HumanCheckMixin, forms.Form):
    """The public booking form on the event page (phone-first)."""

    name = forms.CharField(label=_("联系人"), max_length=32)
    phone = forms.CharField(
        label=_("手机号码"),
        max_length=20,
        help_text=_("仅用于活动联系，平台只保存隐去中间四位的号码。"),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13912345678"}
        ),
    )
    people = forms.TypedChoiceField(
        label=_("人数"),
        coerce=int,
        choices=[(n, n) for n in range(1, PEOPLE_MAX + 1)],
        initial=1,
    )

    field_order = ["name", "phone", "people", "human_answer", "website", "human_token"]


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("预约码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class SurveyForm(HumanCheckMixin, forms.Form):
    """The five questions (1–5 each), the county and an optional comment."""

    region = forms.ModelChoiceField(
        label=_("您所在的县（市、区）"),
        queryset=Region.objects.none(),
        empty_label=_("请选择"),
        required=False,  # the service answers a missing county with its own code
    )
    comment = forms.CharField(
        label=_("您的意见和建议（选填）"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = survey_regions()
        for code, (question, answers) in QUESTIONS.items():
            self.fields[code] = forms.TypedChoiceField(
                label=question,
                coerce=int,
                choices=[(i, label) for i, label in enumerate(answers, start=1)],
                widget=forms.RadioSelect,
                required=False,  # the service answers a missing score with its own code
            )
        self.order_fields(
            ["region", *QUESTIONS, "comment", "human_answer", "website", "human_token"]
        )

    def scores(self) -> dict:
        return {code: self.cleaned_data.get(code) for code in QUESTIONS}
