"""Column specs and the Excel export every list page offers (``?format=xlsx``).

A :class:`Column` says what a list shows: a header and how to get the value from a row
(a dotted attribute path or a function). The same columns render the HTML table and the
workbook, so an export always has exactly the columns (and, given the same queryset, the
rows) of the page it came from. Later apps build their lists from the same spec.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_SHEET_TITLE_MAX = 31


@dataclass(frozen=True)
class Column:
    """One column of a list: ``header`` and ``value`` (a dotted path or ``f(row)``).

    A path's last step shows a choice field's label (``kind`` gives ``get_kind_display()``)
    and calls a method (``get_effective_status_display``). ``link`` (``f(row) -> url``) and
    ``tone`` (``f(row) -> "ok" | "warn" | "bad" | "info" | "muted"``, a badge colour) are
    used by pages only; ``width`` is the Excel column width in characters.
    """

    header: Any
    value: str | Callable[[Any], Any]
    link: Callable[[Any], str | None] | None = None
    width: int = 16
    numeric: bool = False
    tone: Callable[[Any], str | None] | None = None

    def get(self, obj) -> Any:
        if callable(self.value):
            return self.value(obj)
        return resolve(obj, self.value)

    def url(self, obj) -> str | None:
        return self.link(obj) if self.link is not None else None

    def tone_of(self, obj) -> str | None:
        return self.tone(obj) if self.tone is not None else None


def resolve(obj, path: str) -> Any:
    """Follow ``a.b.c`` from ``obj``; ``None`` anywhere on the way gives ``None``."""
    value = obj
    for name in path.split("."):
        if value is None:
            return None
        display = getattr(value, f"get_{name}_display", None)
        value = display() if display is not None else getattr(value, name)
        if callable(value) and not isinstance(value, Model):
            value = value()
    return value


DISPLAY_ATTRIBUTES = ("name", "code", "plate", "serial", "number", "adcode")


def label_of(model: type[Model], path: str) -> Any:
    """The (lazy) verbose name for ``path``: ``region.name`` on Party gives 注册地.

    A relation followed by a display attribute (name, code, …) is labelled by the relation.
    """
    names = path.split(".")
    label: Any = names[-1]
    for position, name in enumerate(names):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            break
        label = field.verbose_name
        last = position == len(names) - 1
        if last or not field.is_relation or names[position + 1] in DISPLAY_ATTRIBUTES:
            break
        model = field.related_model
    return label


def column(model: type[Model], path: str, header: Any = None, **kwargs) -> Column:
    """A column of ``model`` at ``path``, headed by its field's verbose name by default."""
    return Column(label_of(model, path) if header is None else header, path, **kwargs)


def plain(value: Any) -> Any:
    """A value as a person reads it in a cell (yes/no, lists joined, local time)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, (date, int, float, Decimal)):
        return value
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(plain(v)) for v in value)
    return str(value)


def _cell(sheet, value: Any, *, bold: bool = False, fill: PatternFill | None = None):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    if bold:
        cell.font = Font(bold=True)
    if fill is not None:
        cell.fill = fill
    if isinstance(value, datetime):
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def write_xlsx(
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable,
    filters: Sequence[tuple[str, str]] = (),
    generated_at: datetime | None = None,
) -> tuple[bytes, int]:
    """A workbook: a title row, a row naming the filters and the time, headers, then rows.

    Returns the file's bytes and the number of data rows written. Write-only mode keeps
    memory flat for large lists.
    """
    generated_at = timezone.localtime(generated_at or timezone.now())
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A4"
    title_cell = _cell(sheet, title)
    title_cell.font = Font(bold=True, size=14)
    sheet.append([title_cell])
    conditions = "；".join(f"{label}：{value}" for label, value in filters) or _("全部")
    note = _("筛选条件：%(filters)s　　导出时间：%(time)s") % {
        "filters": conditions,
        "time": generated_at.strftime("%Y-%m-%d %H:%M:%S"),
    }
    note_cell = _cell(sheet, note)
    note_cell.alignment = Alignment(wrap_text=False)
    sheet.append([note_cell])
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    sheet.append([_cell(sheet, str(c.header), bold=True, fill=header_fill) for c in columns])
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, plain(c.get(row))) for c in columns])
        count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(title)).strip()
    return (cleaned or "Sheet")[:EXCEL_SHEET_TITLE_MAX]


def xlsx_response(
    *,
    title: str,
    columns: Sequence[Column],
    rows: Iterable,
    filters: Sequence[tuple[str, str]] = (),
    filename: str | None = None,
) -> HttpResponse:
    """An attachment response with the workbook (file name in UTF-8, RFC 6266)."""
    now = timezone.localtime()
    content, count = write_xlsx(
        title=title, columns=columns, rows=rows, filters=filters, generated_at=now
    )
    name = filename or f"{title}-{now:%Y%m%d-%H%M%S}.xlsx"
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    response["X-Row-Count"] = str(count)
    return response
