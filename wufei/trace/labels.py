"""Printable container labels: an A4 sheet of 3 × 8 labels (70 × 37 mm, Avery 3474 layout)
as SVG, each with the QR code of the public trace page ``<site>/t/<code>``, the code in large
monospace, the waste, the mass, the holder and the date of registration.

The sheet is SVG only: a PDF of several labels with Chinese text would need a PDF writer
with CJK fonts (a new dependency); browsers print the SVG sheet to paper or PDF at true size.
One QR code alone is also offered as PDF (segno writes it).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

import segno
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import restrict
from wufei.core.errors import FieldError, Invalid
from wufei.trace import codes as trace_codes
from wufei.trace.models import Container

PAGE_W, PAGE_H = 210, 297  # A4, millimetres
COLUMNS, ROWS = 3, 8
LABEL_W, LABEL_H = 70, 37
TOP = (PAGE_H - ROWS * LABEL_H) / 2
PER_PAGE = COLUMNS * ROWS
QR_SIZE = 27  # mm, quiet zone included
TEXT_X = 31  # mm from the label's left edge
TEXT_W = LABEL_W - TEXT_X - 2
MAX_CODES = PER_PAGE * 10  # ten sheets per request


@dataclass(frozen=True)
class Label:
    code: str
    url: str
    waste: str
    mass: str
    holder: str
    date: str


def trace_path(code: str) -> str:
    return f"/t/{code}"


def trace_url(code: str, request=None) -> str:
    """The absolute public trace URL a label's QR code carries."""
    if request is not None:
        return request.build_absolute_uri(trace_path(code))
    return getattr(settings, "WUFEI_SITE_URL", "").rstrip("/") + trace_path(code)


def mass_text(kg: Decimal) -> str:
    return f"{kg.normalize():f} kg"


def label_of(container: Container, request=None) -> Label:
    waste = str(container.stream)
    if container.waste_code_id:
        waste = f"{container.waste_code.code} {waste}"
    return Label(
        code=container.code,
        url=trace_url(container.code, request),
        waste=waste,
        mass=mass_text(container.mass_kg),
        holder=container.holder.name,
        date=timezone.localtime(container.created_at).strftime("%Y-%m-%d %H:%M"),
    )


def labels_for(*, actor, code_list: Sequence[str], request=None) -> list[Label]:
    """Labels of the named containers the actor may see, in the order named."""
    wanted = list(dict.fromkeys(trace_codes.normalise(c) for c in code_list if c.strip()))
    if not wanted:
        raise Invalid([FieldError("codes", "required", _("请至少指定一个容器。"))])
    if len(wanted) > MAX_CODES:
        raise Invalid(
            [
                FieldError(
                    "codes",
                    "too_many",
                    _("一次最多打印 %(n)s 个标签。") % {"n": MAX_CODES},
                )
            ]
        )
    rows = restrict(Container.objects.all(), actor, Action.VIEW).select_related(
        "stream", "waste_code", "holder"
    )
    found = {c.code: c for c in rows.filter(code__in=wanted)}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise Invalid(
            [
                FieldError(
                    "codes",
                    "unknown_code",
                    _("追溯码 %(code)s 不存在。") % {"code": "、".join(missing)},
                )
            ]
        )
    return [label_of(found[c], request) for c in wanted]


def _width(text: str, size: float) -> float:
    """Approximate printed width: CJK characters one em, others about half."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.55 for ch in text)


def fit(text: str, width: float, size: float) -> str:
    """``text`` cut (with …) to fit ``width`` mm at font size ``size`` mm."""
    if _width(text, size) <= width:
        return text
    while text and _width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def qr_path(data: str, size: float, x: float, y: float) -> str:
    """The QR code of ``data`` as one SVG path, ``size`` mm square at (x, y), quiet zone in."""
    qr = segno.make(data, error="m", micro=False)
    rows = list(qr.matrix_iter(scale=1, border=2))
    module = size / len(rows)
    runs = []
    for row_no, row in enumerate(rows):
        start = None
        for col, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.append(f"M{start} {row_no}h{col - start}v1h-{col - start}z")
                start = None
    return (
        f'<path transform="translate({x:.2f} {y:.2f}) scale({module:.4f})" '
        f'd="{"".join(runs)}" fill="#000" shape-rendering="crispEdges"/>'
    )


def _text(x: float, y: float, size: float, text: str, *, mono=False, bold=False) -> str:
    family = (
        "'DejaVu Sans Mono','Consolas',monospace"
        if mono
        else "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
    )
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{x:.2f}" y="{y:.2f}" font-size="{size}" font-family="{family}"{weight}>'
        f"{escape(text)}</text>"
    )


def _label(label: Label, x: float, y: float) -> str:
    tx = x + TEXT_X
    parts = [
        f'<rect x="{x:.2f}" y="{y:.2f}" width="{LABEL_W}" height="{LABEL_H}" fill="none" '
        'stroke="#bbb" stroke-width="0.2" stroke-dasharray="1 1"/>',
        qr_path(label.url, QR_SIZE, x + 2, y + 2),
        _text(x + 3, y + LABEL_H - 3.5, 2.4, _("扫码查看去向")),
        _text(tx, y + 7, 4.2, label.code, mono=True, bold=True),
        _text(tx, y + 13, 2.8, fit(label.waste, TEXT_W, 2.8)),
        _text(tx, y + 19.5, 4, label.mass, bold=True),
        _text(tx, y + 25.5, 2.8, fit(label.holder, TEXT_W, 2.8)),
        _text(tx, y + 31, 2.6, label.date, mono=True),
    ]
    return f'<g data-code="{escape(label.code)}">{"".join(parts)}</g>'


def sheet_svg(labels: Sequence[Label]) -> str:
    """One A4 page of at most 24 labels, left to right, top to bottom."""
    if len(labels) > PER_PAGE:
        raise ValueError(f"at most {PER_PAGE} labels fit on one page")
    cells = []
    for i, label in enumerate(labels):
        col, row = i % COLUMNS, i // COLUMNS
        cells.append(_label(label, col * LABEL_W, TOP + row * LABEL_H))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{PAGE_W}mm" height="{PAGE_H}mm" viewBox="0 0 {PAGE_W} {PAGE_H}">'
        f'<rect width="{PAGE_W}" height="{PAGE_H}" fill="#fff"/>{"".join(cells)}</svg>'
    )


def sheets(labels: Sequence[Label]) -> list[str]:
    """As many A4 pages as the labels need."""
    return [sheet_svg(labels[i : i + PER_PAGE]) for i in range(0, len(labels), PER_PAGE)] or [
        sheet_svg([])
    ]


def page_of(pages: Sequence[str], raw) -> tuple[int, str]:
    """(number, svg) of the page asked for (``?page=``), clamped to the pages there are."""
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        number = 1
    number = min(max(number, 1), len(pages))
    return number, pages[number - 1]


def qr_pdf(url: str) -> bytes:
    """The QR code of one URL as a PDF (segno), for printers that take PDF only."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="pdf", scale=10, border=2)
    return out.getvalue()
