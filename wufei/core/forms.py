"""Forms of the pages: they parse input for a service and show its errors next to the fields.

A :class:`ServiceForm` is a ``ModelForm`` for layout and parsing only. Model validation is
the service's (one write path, stable error codes): the form hands its cleaned data to the
service and maps a typed :class:`~wufei.core.errors.Invalid` back onto its fields, so a
person sees the same Chinese message the API returns, next to the field it concerns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from django import forms
from django.db.models import Model, Q
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.errors import FieldError, Invalid

SEARCH_THRESHOLD = 200
CHOOSE = _("—— 请选择 ——")


class SearchSelect(forms.Select):
    """A select that lists a few of many rows, with a search box fetching the others."""

    template_name = "core/widgets/search_select.html"

    def __init__(self, options_url: str, attrs=None):
        super().__init__(attrs)
        self.options_url = options_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["options_url"] = self.options_url
        return context


def add_errors(form: forms.Form, errors: Iterable[FieldError]) -> None:
    """Put each service error on its field (``waste_codes``, ``lon``) or on the form."""
    for error in errors:
        name = (error.field or "").split(".")[0]
        form.add_error(name if name in form.fields else None, str(error.message))


class ServiceForm(forms.ModelForm):
    """Parses the fields a service takes; the service validates and writes.

    ``narrow`` maps a relation field to a ``Q`` its choices must meet (e.g. only GPS units);
    choices of scoped models are always limited to the rows the actor may view.
    """

    narrow: ClassVar[dict[str, Q]] = {}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                if name in self.narrow:
                    field.queryset = field.queryset.filter(self.narrow[name])
                if not isinstance(field, forms.ModelMultipleChoiceField):
                    field.empty_label = CHOOSE
                self._scope_choices(name, field)
            elif isinstance(field, forms.TypedChoiceField):
                field.choices = [(v, CHOOSE if v == "" else label) for v, label in field.choices]
            if isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            elif isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 4

    def _scope_choices(self, name: str, field: forms.ModelChoiceField) -> None:
        from wufei.core.pages import is_scoped, page_for

        model = field.queryset.model
        if not is_scoped(model):
            return
        field.queryset = restrict(field.queryset, self.actor, Action.VIEW)
        page = page_for(model)
        if page is None or isinstance(field, forms.ModelMultipleChoiceField):
            return
        rows = list(field.queryset[: SEARCH_THRESHOLD + 1])
        if len(rows) <= SEARCH_THRESHOLD:
            return
        # Many rows: show the first ones and the current value; search finds the others.
        current = self[name].value()
        shown = rows[:SEARCH_THRESHOLD]
        if current and all(str(r.pk) != str(current) for r in shown):
            shown += list(field.queryset.filter(pk=current))
        field.widget = SearchSelect(page.url("options"))
        field.widget.choices = [("", field.empty_label), *((r.pk, str(r)) for r in shown)]

    def _post_clean(self) -> None:
        """No model validation here: the service runs it, with its own error codes."""

    def service_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}

    def submit(self, service: Callable[..., Model], **kwargs) -> Model | None:
        """Call ``service(actor=, data=, **kwargs)``; on ``Invalid`` keep the errors, give None."""
        try:
            return service(actor=self.actor, data=self.service_data(), **kwargs)
        except Invalid as exc:
            add_errors(self, exc.errors)
            return None

    def save(self, commit=True):
        raise TypeError("a ServiceForm never saves itself: call submit(service)")


class CodesField(forms.CharField):
    """Codes typed one per line or separated by commas, spaces or 、 → a list of strings."""

    widget = forms.Textarea

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        for separator in ",，、;；\n\r\t":
            text = text.replace(separator, " ")
        return [part.strip().upper() for part in text.split(" ") if part.strip()]

    def prepare_value(self, value):
        if isinstance(value, (list, tuple)):
            return "\n".join(str(getattr(v, "code", v)) for v in value)
        return value
