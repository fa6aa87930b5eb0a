"""Plain-text tables for the demo commands (aligned for Chinese characters)."""

from __future__ import annotations

import unicodedata

from django.apps import apps
from django.utils.translation import gettext as _


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(header: tuple[str, ...], rows: list[tuple]) -> str:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(c + " " * (w - width(c)) for c, w in zip(row, widths, strict=True))

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])]).rstrip()


def model_label(label: str) -> str:
    """``registry.Party`` → 单位; ``registry.Permit.waste_codes`` (or the through model
    ``registry.Permit_waste_codes``) → 许可证 · 核准废物代码."""
    app_label, _sep, rest = label.partition(".")
    model_name, _sep, field = rest.partition(".")
    model = apps.get_model(app_label, model_name)
    owner = model._meta.auto_created  # the model of an automatic many-to-many table
    if owner:
        field = next(f.name for f in owner._meta.many_to_many if f.remote_field.through is model)
        model = owner
    name = str(model._meta.verbose_name_plural)
    if field:
        name += f" · {model._meta.get_field(field).verbose_name}"
    return name


def counts_table(counts: dict[str, int]) -> str:
    rows = [(model_label(label), label, f"{n:,}") for label, n in counts.items()]
    rows.append((_("合计"), "", f"{sum(counts.values()):,}"))
    return table((_("数据"), _("模型"), _("行数")), rows)
