"""Forms of the ledger pages. They parse; the services decide (their ``Invalid`` errors are
put back on the fields with ``wufei.core.forms.add_errors``)."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from wufei.plan.choices import MeetingKind
from wufei.plan.ledger_services import MAX_ATTACHMENTS
from wufei.plan.models import Task, Unit


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.docx,.xlsx,.jpg,.jpeg,.png"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ReportForm(forms.Form):
    period = forms.DateField(
        label=_("报送月份"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )
    text = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 5}))
    figures = forms.CharField(
        label=_("数据"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一项：名称, 数值, 单位（如：排查单位, 120, 家）"),
    )
    claims_done = forms.BooleanField(label=_("节点已完成，申请销号"), required=False)
    files = MultipleFileField(
        label=_("附件"),
        required=False,
        help_text=_("pdf、docx、xlsx、jpg、png，每个不超过 5 MB，最多 %(n)s 个")
        % {"n": MAX_ATTACHMENTS},
    )

    def clean_figures(self) -> list[dict]:
        """One figure per line, ``label, value[, unit]`` (Chinese or ASCII commas), or JSON."""
        raw = self.cleaned_data["figures"].strip()
        if not raw:
            return []
        if raw.startswith("["):
            try:
                return json.loads(raw)
            except ValueError as exc:
                raise forms.ValidationError(_("数据格式有误。")) from exc
        out = []
        for line in raw.splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if not any(parts):
                continue
            if len(parts) < 2:
                raise forms.ValidationError(_("每行须为：名称, 数值, 单位。"))
            out.append(
                {"label": parts[0], "value": parts[1], "unit": parts[2] if len(parts) > 2 else ""}
            )
        return out


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("反馈情况"), widget=forms.Textarea(attrs={"rows": 4}))


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点名称"), max_length=160)
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.all())
    due_on = forms.DateField(label=_("完成时限"), widget=forms.DateInput(attrs={"type": "date"}))
    weight = forms.IntegerField(label=_("权重"), min_value=1, initial=1)


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(label=_("会议类型"), choices=MeetingKind.choices)
    title = forms.CharField(label=_("会议名称"), max_length=120)
    held_on = forms.DateField(label=_("会议日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("地点"), max_length=80, required=False)
    chaired_by = forms.CharField(label=_("主持"), max_length=80, required=False)
    attendees = forms.CharField(
        label=_("参会单位与人员"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    summary = forms.CharField(
        label=_("会议纪要"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("议定事项"), widget=forms.Textarea(attrs={"rows": 2}))
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.all())
    due_on = forms.DateField(label=_("完成时限"), widget=forms.DateInput(attrs={"type": "date"}))


class ToLedgerForm(forms.Form):
    """Turn a decision into a milestone of a task, or a new sub-task under it."""

    AS_MILESTONE, AS_SUBTASK = "milestone", "subtask"
    task = forms.ModelChoiceField(label=_("纳入任务"), queryset=Task.objects.none())
    as_what = forms.ChoiceField(
        label=_("纳入方式"),
        choices=[(AS_MILESTONE, _("作为该任务的节点")), (AS_SUBTASK, _("作为该任务的子任务"))],
    )
    number = forms.CharField(
        label=_("子任务编号"), max_length=16, required=False, help_text=_("如 23.3")
    )
    title = forms.CharField(label=_("名称（默认为议定事项）"), max_length=120, required=False)

    def __init__(self, *args, tasks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].queryset = tasks

    def clean(self):
        data = super().clean()
        if data.get("as_what") == self.AS_SUBTASK and not data.get("number"):
            self.add_error("number", _("作为子任务时请填写编号。"))
        return data
