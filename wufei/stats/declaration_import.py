"""Declarations from Excel: a template per kind, and the import of a filled one.

The file is in long format, one row per figure: the declarant (an enterprise's credit code
for party kinds, a region code for the others), the year (and month, for kinds declared
monthly), the waste code (per-code kinds), the item (its code or Chinese label), the value
and its unit. Rows of one (declarant, period) make one declaration; a group with any bad
row is rejected whole, so no declaration is half-written.

Every row is checked by the same functions as the entry form and the API
(``wufei.stats.declarations``), and each problem is reported with its row, column, code and
Chinese message. ``all_or_nothing`` (the default) writes nothing when any row is bad;
``good_rows_only`` writes the good groups and lists the rejected rows. Declarations are
created submitted (or, on request, as drafts), all in one transaction.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from wufei.core.errors import FieldError, Invalid, NotPermitted, WufeiError
from wufei.registry.choices import RegionLevel
from wufei.registry.models import Party, Region
from wufei.registry.selectors import light_regions
from wufei.stats import units
from wufei.stats.declaration_kinds import PARTY, PERIOD_LABELS, SOURCE_LABELS, Kind, item_stream
from wufei.stats.declarations import (
    DeclarationInput,
    LineInput,
    Problem,
    already_declared,
    already_declared_error,
    check_lines,
    check_rules,
    codes_for,
    declarant_of,
    declaration_create,
    period_label,
    period_of,
)
from wufei.stats.models import Declaration

ALL_OR_NOTHING = "all_or_nothing"
GOOD_ROWS_ONLY = "good_rows_only"
MODES = {
    ALL_OR_NOTHING: gettext_lazy("全部正确才导入（有任何错误则不写入）"),
    GOOD_ROWS_ONLY: gettext_lazy("只导入无误的申报（有错误的申报整组不写入）"),
}
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
SHEET = "填报"
FIRST_DATA_ROW = 2
CODE_SHEET_LIMIT = 2000

# column key -> header (Chinese msgid)
HEADERS = {
    "credit_code": gettext_lazy("统一社会信用代码"),
    "region": gettext_lazy("区划代码"),
    "year": gettext_lazy("年度"),
    "month": gettext_lazy("月份"),
    "waste_code": gettext_lazy("废物代码"),
    "item": gettext_lazy("申报项"),
    "value": gettext_lazy("数值"),
    "unit": gettext_lazy("单位"),
}


def columns_of(kind: Kind) -> list[str]:
    """The template's columns for ``kind``, in order."""
    cols = ["credit_code" if kind.declarant == PARTY else "region", "year"]
    if kind.monthly:
        cols.append("month")
    if kind.per_code:
        cols.append("waste_code")
    return [*cols, "item", "value", "unit"]


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    row: int | None
    column: str | None  # a key of HEADERS
    code: str
    message: str

    @property
    def column_label(self) -> str:
        return str(HEADERS[self.column]) if self.column else ""

    def as_field_error(self) -> FieldError:
        name = f"rows.{self.row}" if self.row is not None else "file"
        if self.column:
            name = f"{name}.{self.column}"
        return FieldError(name, self.code, self.message)


@dataclass
class Created:
    declaration: Declaration
    declarant: str
    period: str
    rows: list[int]


@dataclass
class Report:
    kind: Kind
    mode: str
    as_draft: bool
    rows: int = 0
    groups: int = 0
    created: list[Created] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rejected_rows: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    @property
    def written(self) -> bool:
        return bool(self.created)


# --- reading ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text: integers typed as numbers (411002, 2024.0) without decimals."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _fold(text: str) -> str:
    return "".join(str(text).split()).lower()


def _header_keys(kind: Kind) -> dict[str, str]:
    """Folded header texts (Chinese labels, and the keys for programs) -> column key."""
    out = {}
    for key in columns_of(kind):
        out[_fold(key)] = key
        out[_fold(str(HEADERS[key]))] = key
    return out


def read_rows(kind: Kind, upload) -> list[tuple[int, dict[str, Any]]]:
    """(row number, {column key: cell}) of every non-empty row, or a file-level ``Invalid``
    (``bad_file``, ``too_large``, ``bad_headers``, ``too_many_rows``, ``empty_file``)."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _file_error("too_large", _("文件超过 10 MB，请分批导入。"))
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # a zip that is no workbook, a csv, garbage: all the same to the user
        raise _file_error("bad_file", _("无法读取文件，请上传由模板填写的 .xlsx 文件。")) from None
    try:
        sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        keys = _columns(kind, header)
        out = []
        for number, values in enumerate(rows, start=FIRST_DATA_ROW):
            cells = {key: values[i] if i < len(values) else None for i, key in keys.items()}
            if all(_text(v) == "" for v in cells.values()):
                continue
            out.append((number, cells))
            if len(out) > MAX_ROWS:
                raise _file_error(
                    "too_many_rows", _("一次最多导入 %(n)s 行，请分批导入。") % {"n": MAX_ROWS}
                )
    finally:
        book.close()
    if not out:
        raise _file_error("empty_file", _("文件中没有数据行。"))
    return out


def _columns(kind: Kind, header: Iterable[Any]) -> dict[int, str]:
    known = _header_keys(kind)
    found = [(i, _text(h)) for i, h in enumerate(header) if _text(h)]
    keys = {i: known.get(_fold(text)) for i, text in found}
    expected = columns_of(kind)
    if sorted(k for k in keys.values() if k) != sorted(expected) or None in keys.values():
        raise _file_error(
            "bad_headers",
            _("表头不符合“%(kind)s”模板。应为：%(expected)s；实为：%(found)s。")
            % {
                "kind": kind.label,
                "expected": "、".join(str(HEADERS[k]) for k in expected),
                "found": "、".join(text for _i, text in found) or _("（空）"),
            },
        )
    return {i: key for i, key in keys.items() if key}


def _file_error(code: str, message: str) -> Invalid:
    return Invalid([FieldError("file", code, message)])


# --- checking -----------------------------------------------------------------------------


@dataclass
class Row:
    number: int
    cells: dict[str, Any]
    line: LineInput
    issues: list[Issue] = field(default_factory=list)


@dataclass
class Group:
    rows: list[Row] = field(default_factory=list)
    party: Party | None = None
    region: Region | None = None
    year: int | None = None
    month: int | None = None
    start: date | None = None
    end: date | None = None

    @property
    def bad(self) -> bool:
        return any(r.issues for r in self.rows)


class _Resolver:
    """Declarants and periods of a file, each looked up once."""

    def __init__(self, actor, kind: Kind, rows: list[tuple[int, dict[str, Any]]]):
        self.actor, self.kind = actor, kind
        self.cache: dict[tuple, Any] = {}
        if kind.declarant == PARTY:
            wanted = {_text(c.get("credit_code")).upper() for _n, c in rows}
            parties = light_regions(Party.objects.select_related("region"), "region")
            self.parties = {p.credit_code: p for p in parties.filter(credit_code__in=wanted)}
        else:
            self.regions = {r.adcode: r for r in Region.objects.defer("boundary")}

    def declarant(self, text: str) -> tuple[Party | None, Region | None] | Issue:
        key = ("declarant", text)
        if key not in self.cache:
            self.cache[key] = self._declarant(text)
        return self.cache[key]

    def _declarant(self, text: str):
        column = "credit_code" if self.kind.declarant == PARTY else "region"
        if not text:
            return Issue(None, column, "required", _("请填写%(c)s。") % {"c": HEADERS[column]})
        party = region = None
        if self.kind.declarant == PARTY:
            party = self.parties.get(text.upper())
            if party is None:
                return Issue(
                    None,
                    column,
                    "unknown_party",
                    _("未登记统一社会信用代码为 %(c)s 的单位。") % {"c": text},
                )
        else:
            region = self.regions.get(text)
            if region is None:
                return Issue(
                    None, column, "unknown_region", _("区划代码 %(c)s 不存在。") % {"c": text}
                )
        try:
            party, region, _department = declarant_of(self.actor, self.kind, party, region)
        except NotPermitted:
            return Issue(
                None, column, "not_permitted", _("您无权为 %(c)s 填报此类申报。") % {"c": text}
            )
        except Invalid as exc:
            return Issue(None, column, exc.errors[0].code, exc.errors[0].message)
        return party, region

    def period(self, year: str, month: str) -> tuple[date, date] | Issue:
        key = ("period", year, month)
        if key not in self.cache:
            try:
                self.cache[key] = period_of(self.kind, year, month or None)
            except Invalid as exc:
                error = exc.errors[0]
                self.cache[key] = Issue(None, error.field, error.code, error.message)
        return self.cache[key]


def _at(issue: Issue, row: int) -> Issue:
    return Issue(row, issue.column, issue.code, issue.message)


def _groups(actor, kind: Kind, rows: list[tuple[int, dict[str, Any]]]) -> list[Group]:
    """Rows grouped by (declarant, period) as typed, with the row-level problems found."""
    resolver = _Resolver(actor, kind, rows)
    groups: dict[tuple[str, str, str], Group] = {}
    for number, cells in rows:
        declarant_text = _text(cells.get("credit_code", cells.get("region"))).upper()
        year, month = _text(cells.get("year")), _text(cells.get("month"))
        group = groups.setdefault((declarant_text, year, month), Group())
        row = Row(
            number,
            cells,
            LineInput(
                item=_text(cells.get("item")),
                value=cells.get("value"),
                unit=_text(cells.get("unit")),
                waste_code=_text(cells.get("waste_code")),
            ),
        )
        group.rows.append(row)
        found = resolver.declarant(declarant_text)
        if isinstance(found, Issue):
            row.issues.append(_at(found, number))
        else:
            group.party, group.region = found
        period = resolver.period(year, month)
        if isinstance(period, Issue):
            row.issues.append(_at(period, number))
        else:
            group.start, group.end = period
            group.year, group.month = int(year), int(month) if month else None
    return list(groups.values())


def _check_group(kind: Kind, group: Group, codes_cache: dict) -> None:
    """Line checks, duplicates, rules and an earlier declaration, on the group's rows."""
    if group.start is None or group.end is None or group.region is None:
        return
    key = (group.start, group.end)
    if key not in codes_cache:
        codes_cache[key] = codes_for(kind, group.start, group.end)
    lines: list[LineInput] = []
    positions: list[Row] = []
    seen: dict[tuple[str, str], int] = {}
    for row in group.rows:
        item = kind.find_item(row.line.item)
        dup_key = (item.code if item else row.line.item, row.line.waste_code.upper())
        if item is not None and dup_key in seen:
            row.issues.append(
                Issue(
                    row.number,
                    "item",
                    "duplicate_row",
                    _("与第 %(n)s 行重复（同一申报主体、统计期、废物代码和申报项）。")
                    % {"n": seen[dup_key]},
                )
            )
            continue
        seen[dup_key] = row.number
        lines.append(row.line)
        positions.append(row)
    checked, problems = check_lines(kind, lines, codes_cache[key])
    if not problems and not group.bad:
        problems = check_rules(kind, checked)
    for problem in problems:
        _report(problem, positions)
    if not group.bad:
        found = already_declared(kind, group.party, group.region, group.start, group.end)
        if found is not None:
            error = already_declared_error(found)
            for row in group.rows:
                row.issues.append(Issue(row.number, None, error.code, error.message))


def _report(problem: Problem, positions: list[Row]) -> None:
    column = problem.field if problem.field in HEADERS else None
    targets = positions if problem.lines is None else [positions[i] for i in problem.lines]
    for row in targets:
        row.issues.append(Issue(row.number, column, problem.code, problem.message))


# --- the import ---------------------------------------------------------------------------


def import_declarations(
    *,
    actor,
    kind: Kind,
    upload,
    mode: str = ALL_OR_NOTHING,
    as_draft: bool = False,
    origin: str = "",
) -> Report:
    """Check every row of ``upload`` and write the declarations the mode allows.

    File-level problems raise ``Invalid`` (field ``file``); row problems are in the report.
    """
    if mode not in MODES:
        raise Invalid([FieldError("mode", "invalid_mode", _("导入方式不正确。"))])
    rows = read_rows(kind, upload)
    report = Report(kind=kind, mode=mode, as_draft=as_draft, rows=len(rows))
    groups = _groups(actor, kind, rows)
    codes_cache: dict = {}
    for group in groups:
        _check_group(kind, group, codes_cache)
    report.groups = len(groups)
    good = [g for g in groups if not g.bad]
    if mode == ALL_OR_NOTHING and len(good) < len(groups):
        good = []
    try:
        with transaction.atomic():
            for group in good:
                _write(actor, kind, group, report, as_draft=as_draft, origin=origin, mode=mode)
    except _Abort:
        report.created = []
    for group in groups:
        for row in group.rows:
            report.issues.extend(row.issues)
    written = {n for c in report.created for n in c.rows}
    report.rejected_rows = sorted(
        n for g in groups for r in g.rows if (n := r.number) not in written
    )
    if mode == ALL_OR_NOTHING and report.issues:
        report.created = []
    return report


def _write(actor, kind: Kind, group: Group, report: Report, *, as_draft, origin, mode) -> None:
    data = DeclarationInput(
        kind=kind.code,
        year=group.year,
        month=group.month,
        party=group.party,
        region=group.region,
        lines=[r.line for r in group.rows],
        origin=origin,
    )
    try:
        with transaction.atomic():
            declaration = declaration_create(actor=actor, data=data, submit=not as_draft)
    except WufeiError as exc:  # a race with another submission, or a rule the checks missed
        for error in exc.errors:
            for row in group.rows:
                row.issues.append(Issue(row.number, None, error.code, str(error.message)))
        if mode == ALL_OR_NOTHING:
            raise _Abort() from exc
        return
    report.created.append(
        Created(
            declaration,
            group.party.name if group.party else group.region.name if group.region else "",
            period_label(declaration),
            [r.number for r in group.rows],
        )
    )


class _Abort(Exception):
    """Rolls back an all-or-nothing import when a write fails after the checks passed."""


# --- the template ---------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
BOLD = Font(bold=True)
EXPLANATION = "说明"
ITEM_COLUMNS = (
    gettext_lazy("申报项代码"),
    gettext_lazy("申报项"),
    gettext_lazy("英文名称"),
    gettext_lazy("基本单位"),
    gettext_lazy("可用单位"),
    gettext_lazy("统计量"),
    gettext_lazy("废物类别"),
    gettext_lazy("说明"),
)


def _column_notes(kind: Kind) -> dict[str, str]:
    periods = "、".join(str(PERIOD_LABELS[p]) for p in kind.periods)
    return {
        "credit_code": _("申报单位的 18 位统一社会信用代码（须已在平台登记）"),
        "region": _("市或县（市、区）的 6 位区划代码，见“区划代码”表"),
        "year": _("统计年度，如 2024"),
        "month": _("月度申报填 1–12；年度申报留空（本类可按%(p)s申报）") % {"p": periods},
        "waste_code": _("%(lists)s，见“废物代码”表") % {"lists": kind.code_lists},
        "item": _("申报项代码或中文名称，见下表"),
        "value": _("非负数"),
        "unit": _("留空即基本单位；可用单位见下表"),
    }


def template_workbook(kind: Kind) -> bytes:
    """The import template of ``kind``: the sheet to fill and the explanation sheet listing
    items, units and codes (with the code and region lists where the kind needs them)."""
    from wufei.registry.models import WasteStream
    from wufei.stats.choices import Quantity

    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    cols = columns_of(kind)
    sheet.append([str(HEADERS[c]) for c in cols])
    for index, _key in enumerate(cols, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font, cell.fill = BOLD, HEADER_FILL
        sheet.column_dimensions[cell.column_letter].width = 24
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(EXPLANATION)
    notes.column_dimensions["A"].width = 30
    for letter in "BCDEFGH":
        notes.column_dimensions[letter].width = 22
    notes.append([_("%(kind)s 申报导入模板") % {"kind": kind.label}])
    notes["A1"].font = Font(bold=True, size=14)
    notes.append([])
    notes.append([_("填写方法"), _("在“填报”表中每行填写一个数值（长表格式），不要修改表头。")])
    notes.append([_("统计期"), "、".join(str(PERIOD_LABELS[p]) for p in kind.periods)])
    for rule, source in kind.sources.items():
        notes.append([_("依据：%(r)s") % {"r": SOURCE_LABELS.get(rule, rule)}, source])
    notes.append([])
    notes.append([str(c) for c in (gettext_lazy("列"), gettext_lazy("说明"))])
    for cell in notes[notes.max_row]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    column_notes = _column_notes(kind)
    for key in cols:
        notes.append([str(HEADERS[key]), column_notes[key]])
    notes.append([])
    notes.append([str(c) for c in ITEM_COLUMNS])
    for cell in notes[notes.max_row]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    first_item = notes.max_row + 1
    streams = dict(WasteStream.objects.values_list("code", "name"))
    quantities = dict(Quantity.choices)
    for item in kind.items:
        stream = item_stream(kind, item)
        notes.append(
            [
                item.code,
                str(item.label),
                item.label_en,
                item.base_unit,
                "、".join(units.units_of(item.unit)),
                str(quantities.get(item.quantity, ""))
                if item.quantity
                else _("（不计入废物统计）"),
                streams.get(stream, _("按废物代码")) if item.quantity else "",
                str(item.help),
            ]
        )
    for row in notes.iter_rows(min_row=1, max_row=notes.max_row):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    labels = f"'{EXPLANATION}'!$B${first_item}:$B${notes.max_row}"
    choice = DataValidation(type="list", formula1=labels, allow_blank=True)
    choice.add(f"{_letter(cols.index('item'))}2:{_letter(cols.index('item'))}{MAX_ROWS}")
    sheet.add_data_validation(choice)
    if kind.per_code:
        _code_sheet(book, kind)
    if kind.declarant != PARTY:
        _region_sheet(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _code_sheet(book: Workbook, kind: Kind) -> None:
    today = timezone.localdate()
    codes = codes_for(kind, date(today.year - 1, 1, 1), today)
    sheet = book.create_sheet(str(HEADERS["waste_code"]))
    sheet.append([_("废物代码"), _("名称"), _("大类"), _("说明")])
    for cell in sheet[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 30
    if not codes:
        sheet.append(
            ["", _("平台尚未载入%(lists)s，请联系管理员导入。") % {"lists": kind.code_lists}]
        )
    for code in sorted(codes.values(), key=lambda c: c.code)[:CODE_SHEET_LIMIT]:
        sheet.append([code.code, code.name, str(code.category), code.industry])


def _region_sheet(book: Workbook) -> None:
    sheet = book.create_sheet(str(HEADERS["region"]))
    sheet.append([_("区划代码"), _("名称")])
    for cell in sheet[1]:
        cell.font, cell.fill = BOLD, HEADER_FILL
    sheet.column_dimensions["B"].width = 30
    regions = Region.objects.exclude(level=RegionLevel.TOWN).defer("boundary").order_by("adcode")
    for region in regions:
        sheet.append([region.adcode, region.name])
