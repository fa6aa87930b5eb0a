"""Forms of the declaration pages, and the one FilterSet of the list (pages and API).

The entry form has a header (declarant, period, note) and a grid of figures: one row per
item (value and unit) for most kinds, one row per waste code (a value per item) for the
per-code kinds. It turns the grid into the services' ``LineInput`` list and puts each
service error back on the cell it concerns (``lines.3.unit`` → the unit of that line).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import django_filters as df
from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.core.errors import FieldError
from wufei.core.filters import IdFilter, YearFilter
from wufei.core.forms import CHOOSE, SEARCH_THRESHOLD, SearchSelect
from wufei.core.pages import page_for
from wufei.registry.filtersets import RegionFilter
from wufei.registry.models import Party, Region
from wufei.registry.selectors import party_list
from wufei.stats import units
from wufei.stats.choices import DeclarationStatus
from wufei.stats.declaration_import import MODES
from wufei.stats.declaration_kinds import KINDS, PARTY, Kind, kind_choices
from wufei.stats.declarations import REGION_LEVELS, DeclarationInput, LineInput
from wufei.stats.models import Declaration

YEARS_BACK = 12
CODE_ROWS = 5
MAX_CODE_ROWS = 60


class DeclarationFilterSet(df.FilterSet):
    kind = df.ChoiceFilter(label=_("申报类型"), choices=kind_choices)
    status = df.ChoiceFilter(label=_("状态"), choices=DeclarationStatus.choices)
    year = YearFilter(label=_("年度"), field_name="period_start", lookup_expr="year")
    region = RegionFilter("region", label=_("区划"))
    party = IdFilter(label=_("申报单位"), field_name="party_id")

    class Meta:
        model = Declaration
        fields = ["kind", "status", "year", "region", "party"]


# --- the entry form -------------------------------------------------------------------------


def year_choices() -> list[tuple[int, int]]:
    last = timezone.localdate().year - 1
    return [(y, y) for y in range(last, last - YEARS_BACK, -1)]


class HeaderForm(forms.Form):
    """Who and when: the party (party kinds, officials), the region (other kinds, city
    officials), the year, the month (kinds declared monthly) and a note."""

    party = forms.ModelChoiceField(label=_("申报单位"), queryset=Party.objects.none())
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none())
    year = forms.TypedChoiceField(label=_("年度"), coerce=int)
    month = forms.TypedChoiceField(label=_("月份"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, actor, kind: Kind, editing: Declaration | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.kind, self.editing = actor, kind, editing
        role = role_of(actor)
        cast(forms.ChoiceField, self.fields["year"]).choices = year_choices()
        if kind.monthly:
            months = [(m, _t("%(m)s月") % {"m": m}) for m in range(1, 13)]
            whole = [("", _t("全年"))] if len(kind.periods) > 1 else []
            cast(forms.ChoiceField, self.fields["month"]).choices = [*whole, *months]
            self.fields["month"].required = len(kind.periods) == 1
        else:
            del self.fields["month"]
        officials = (Role.ADMIN, Role.CITY_OFFICIAL, Role.COUNTY_OFFICIAL)
        if kind.declarant == PARTY and role in officials:
            self._parties(cast(forms.ModelChoiceField, self.fields["party"]))
        else:
            del self.fields["party"]
        if kind.declarant != PARTY and role in (Role.ADMIN, Role.CITY_OFFICIAL):
            region = cast(forms.ModelChoiceField, self.fields["region"])
            region.queryset = (
                Region.objects.filter(level__in=REGION_LEVELS).defer("boundary").order_by("adcode")
            )
            region.required = False
            region.empty_label = _t("全市")
        else:
            del self.fields["region"]
        if editing is not None:  # who and when are fixed once drafted
            for name in ("party", "region", "year", "month"):
                self.fields.pop(name, None)

    def _parties(self, field: forms.ModelChoiceField) -> None:
        """The parties in the actor's scope; past a few hundred, a searchable select."""
        field.queryset = party_list(actor=self.actor).order_by("name")
        field.empty_label = CHOOSE
        page = page_for(Party)
        rows = list(field.queryset[: SEARCH_THRESHOLD + 1])
        if page is None or len(rows) <= SEARCH_THRESHOLD:
            return
        shown = rows[:SEARCH_THRESHOLD]
        current = self["party"].value()
        if current and all(str(r.pk) != str(current) for r in shown):
            shown += list(field.queryset.filter(pk=current))
        field.widget = SearchSelect(page.url("options"))
        field.widget.choices = [("", CHOOSE), *((r.pk, str(r)) for r in shown)]


@dataclass(frozen=True)
class Cell:
    """Where a line of the grid came from: its value, unit and waste-code fields."""

    value: str
    unit: str
    code: str | None = None


class LinesForm(forms.Form):
    """The grid of figures. Values are free text (the service parses and explains them)."""

    def __init__(self, *args, kind: Kind, rows: int = CODE_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.rows = rows if kind.per_code else 0
        if kind.per_code:
            for n in range(rows):
                self.fields[f"c{n}"] = forms.CharField(label=_("废物代码"), required=False)
                self.fields[f"u{n}"] = _unit_field(units.MASS)
                for item in kind.items:
                    self.fields[f"v{n}_{item.code}"] = _value_field(item.label)
        else:
            for item in kind.items:
                self.fields[f"v_{item.code}"] = _value_field(item.label)
                self.fields[f"u_{item.code}"] = _unit_field(item.unit)

    def grid(self) -> list[dict]:
        """Rows for the template: per-code rows with their cells, or one row per item."""
        if self.kind.per_code:
            return [
                {
                    "code": self[f"c{n}"],
                    "unit": self[f"u{n}"],
                    "values": [self[f"v{n}_{item.code}"] for item in self.kind.items],
                }
                for n in range(self.rows)
            ]
        return [
            {"item": item, "value": self[f"v_{item.code}"], "unit": self[f"u_{item.code}"]}
            for item in self.kind.items
        ]

    def lines(self) -> tuple[list[LineInput], list[Cell]]:
        """The filled cells as lines, and for each line the fields it came from."""
        data = self.cleaned_data
        lines, cells = [], []
        if self.kind.per_code:
            for n in range(self.rows):
                code = (data.get(f"c{n}") or "").strip()
                for item in self.kind.items:
                    value = (data.get(f"v{n}_{item.code}") or "").strip()
                    if value:
                        lines.append(LineInput(item.code, value, data.get(f"u{n}", ""), code))
                        cells.append(Cell(f"v{n}_{item.code}", f"u{n}", f"c{n}"))
        else:
            for item in self.kind.items:
                value = (data.get(f"v_{item.code}") or "").strip()
                if value:
                    lines.append(LineInput(item.code, value, data.get(f"u_{item.code}", "")))
                    cells.append(Cell(f"v_{item.code}", f"u_{item.code}"))
        return lines, cells


def _value_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
    )


def _unit_field(kind: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("单位"), required=False, choices=[(u, u) for u in units.units_of(kind)]
    )


def initial_lines(declaration: Declaration, kind: Kind) -> tuple[dict, int]:
    """The grid's initial values for an existing declaration, and its number of code rows."""
    initial: dict[str, str] = {}
    lines = list(declaration.lines.select_related("waste_code").order_by("pk"))
    if not kind.per_code:
        for line in lines:
            initial[f"v_{line.item}"] = _typed(line.entered_value)
            initial[f"u_{line.item}"] = line.entered_unit
        return initial, 0
    rows: dict[str, int] = {}
    for line in lines:
        code = line.waste_code.code if line.waste_code_id else ""
        n = rows.setdefault(code, len(rows))
        initial[f"c{n}"] = code
        initial[f"u{n}"] = line.entered_unit
        initial[f"v{n}_{line.item}"] = _typed(line.entered_value)
    return initial, min(max(CODE_ROWS, len(rows) + 2), MAX_CODE_ROWS)


def _typed(value) -> str:
    return f"{value.normalize():f}"


def declaration_input(header: HeaderForm, lines: list[LineInput]) -> DeclarationInput:
    data = header.cleaned_data
    return DeclarationInput(
        kind=header.kind.code,
        year=data.get("year"),
        month=data.get("month"),
        party=data.get("party"),
        region=data.get("region"),
        lines=lines,
        note=data.get("note", ""),
        origin=_t("页面填报"),
    )


def put_errors(
    header: HeaderForm, grid: LinesForm, cells: list[Cell], errors: Iterable[FieldError]
) -> None:
    """Each service error on its cell (a line's value, unit or code) or header field."""
    for error in errors:
        parts = (error.field or "").split(".")
        target_form: forms.Form = header
        name = parts[0] if parts[0] in header.fields else None
        if parts[0] == "lines":
            target_form, name = grid, None
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(cells):
                cell = cells[int(parts[1])]
                name = {"unit": cell.unit, "waste_code": cell.code}.get(parts[2], cell.value)
        if name is not None and name in target_form.errors:
            continue  # one message per cell is enough
        target_form.add_error(name, str(error.message))


# --- review and import ------------------------------------------------------------------------


class ReviewForm(forms.Form):
    note = forms.CharField(
        label=_("审核意见"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("申报类型"))
    file = forms.FileField(label=_("Excel 文件（.xlsx）"))
    mode = forms.ChoiceField(
        label=_("导入方式"),
        choices=list(MODES.items()),
        initial="all_or_nothing",
        widget=forms.RadioSelect,
    )
    as_draft = forms.BooleanField(label=_("导入为草稿（不提交）"), required=False)

    def __init__(self, *args, kinds: Iterable[Kind], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = kind_choices(kinds)

    @property
    def kind_obj(self) -> Kind:
        return KINDS[self.cleaned_data["kind"]]
