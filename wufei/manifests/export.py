"""The manifest list as an Excel workbook: the list's filters, every scoped row, capped.

The workbook is built by ``wufei.core.export`` in write-only mode from a server-side
iterator (2,000 rows a fetch), so memory stays flat; it is not streamed to the client
(openpyxl writes the zip at the end), so an export stops at ``EXPORT_LIMIT`` rows and says
so in its header line. Narrow the filters (a date range, a county) for more.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.core.export import Column, column, xlsx_response
from wufei.manifests.models import Manifest

EXPORT_LIMIT = 50_000
EXPORT_CHUNK = 2_000


def weight_gap(m: Manifest) -> Decimal | None:
    """(received − picked up) / picked up, in per cent, one decimal."""
    if not m.pickup_kg or m.received_kg is None:
        return None
    return ((m.received_kg - m.pickup_kg) * 100 / m.pickup_kg).quantize(Decimal("0.1"))


def _mc(path: str, **kwargs) -> Column:
    return column(Manifest, path, **kwargs)


COLUMNS = (
    _mc("number", width=22),
    _mc("flow", width=22),
    _mc("version", width=6, numeric=True),
    _mc("state", width=12),
    _mc("stream.name"),
    _mc("waste_code.code", width=12),
    _mc("description", width=24),
    _mc("generator.name", width=28),
    _mc("region.name", width=10),
    _mc("transporter.name", width=28),
    _mc("vehicle.plate", width=12),
    _mc("receiver.name", width=28),
    _mc("receiver_facility.name", width=24),
    _mc("declared_kg", numeric=True, width=12),
    _mc("pickup_kg", numeric=True, width=12),
    _mc("received_kg", numeric=True, width=12),
    _mc("accepted_kg", numeric=True, width=12),
    Column(gettext_lazy("磅差（%）"), weight_gap, numeric=True, width=10),
    _mc("method.name", width=20),
    _mc("created_at", width=19),
    _mc("submitted_at", width=19),
    _mc("picked_up_at", width=19),
    _mc("received_at", width=19),
    _mc("completed_at", width=19),
)


def manifest_workbook(rows: QuerySet[Manifest], filters: list[tuple[str, str]]) -> HttpResponse:
    """The attachment: ``rows`` (already scoped and filtered), at most ``EXPORT_LIMIT``."""
    total = rows.count()
    shown = list(filters)
    if total > EXPORT_LIMIT:
        shown.append(
            (
                _("注意"),
                _("共 %(total)s 条，仅导出前 %(limit)s 条，请缩小筛选范围")
                % {"total": total, "limit": EXPORT_LIMIT},
            )
        )
    rows = rows.select_related("receiver_facility")[:EXPORT_LIMIT]
    return xlsx_response(
        title=_("电子联单"),
        columns=COLUMNS,
        rows=rows.iterator(chunk_size=EXPORT_CHUNK),
        filters=shown,
    )
