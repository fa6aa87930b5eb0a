"""The points ledger of household sorting: rules as data, credits in bulk, redemptions and
corrections, all as append-only ``PointsEntry`` rows.

Rules (``PointsRule``) are read once per run, active and valid on the drop's local date
(Asia/Shanghai): every ``per_drop`` rule of the drop's class (or of all classes), every
``per_kg`` rule (floor of weight × points, per drop), a ``first_of_day`` bonus for the
household's first credited drop of the day, and a ``daily_cap`` on all earn and bonus points of
a household per local day (the lowest cap valid that day applies). A drop earns when it was
checked correct or not checked; a drop checked wrong earns nothing.

Each credited drop gets one entry per rule that paid it; a drop whose points the cap (or the
absence of any rule) cut to nothing gets one zero entry saying so, so every credited drop has
an entry and is never credited twice (the database also refuses a second entry for one drop
and rule). Each household's entries carry the running ``balance_after`` in id order, and
``Household.points_balance`` is updated in the same transaction, under a row lock.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import ensure_permitted, is_permitted, may
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted
from wufei.core.services import log_change
from wufei.iot.choices import WasteClass
from wufei.sorting.models import (
    Drop,
    EntryKind,
    Flag,
    FlagStatus,
    Household,
    PointsEntry,
    PointsRule,
    Redemption,
    RuleKind,
    Station,
    StationKind,
)

CHUNK_HOUSEHOLDS = 2000  # households credited per transaction
INSERT_BATCH = 5000
EARNING = (EntryKind.EARN, EntryKind.BONUS)
REDEMPTION_KINDS = (StationKind.REDEMPTION, StationKind.RECYCLABLES)


def local_day(moment: datetime) -> date:
    return moment.astimezone(_zone()).date()


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=_zone())


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayRules:
    """The rules valid on one local day."""

    per_drop: tuple[PointsRule, ...]
    per_kg: tuple[PointsRule, ...]
    bonus: tuple[PointsRule, ...]
    cap: PointsRule | None

    def earnings(self, waste_class: str, weight_kg: Decimal) -> list[tuple[PointsRule, int]]:
        """(rule, points) of the drop's earn rules, in rule order, zero-point ones left out."""
        out = []
        for rule in self.per_drop:
            if rule.waste_class in ("", waste_class) and rule.points:
                out.append((rule, rule.points))
        for rule in self.per_kg:
            if rule.waste_class in ("", waste_class):
                points = int((weight_kg * rule.points).to_integral_value(rounding=ROUND_FLOOR))
                if points > 0:
                    out.append((rule, points))
        return out


class Rules:
    """Every active rule, read in one query; ``on(day)`` picks those valid that day."""

    def __init__(self, rows: Sequence[PointsRule]):
        self._rows = list(rows)
        self._days: dict[date, DayRules] = {}

    @classmethod
    def load(cls) -> Rules:
        return cls(list(PointsRule.objects.filter(is_active=True).order_by("kind", "code")))

    def on(self, day: date) -> DayRules:
        rules = self._days.get(day)
        if rules is None:
            valid = [
                r
                for r in self._rows
                if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to)
            ]
            caps = sorted(
                (r for r in valid if r.kind == RuleKind.DAILY_CAP), key=lambda r: r.points
            )
            rules = DayRules(
                per_drop=tuple(r for r in valid if r.kind == RuleKind.PER_CORRECT_DROP),
                per_kg=tuple(r for r in valid if r.kind == RuleKind.PER_KG),
                bonus=tuple(r for r in valid if r.kind == RuleKind.FIRST_OF_DAY),
                cap=caps[0] if caps else None,
            )
            self._days[day] = rules
        return rules


# --- crediting -----------------------------------------------------------------------------------


def earning_q() -> Q:
    """Drops that earn: of a known household, not checked wrong."""
    return Q(household__isnull=False) & (Q(correct__isnull=True) | Q(correct=True))


def pending(drops: QuerySet | None = None) -> QuerySet:
    """Drops (of ``drops``, default all) that earn and have no earn or bonus entry yet, and no
    confirmed flag (a confirmed drop never earns, even if it is matched later)."""
    rows = Drop.objects.all() if drops is None else drops
    credited = PointsEntry.objects.filter(drop_id=OuterRef("pk"), kind__in=EARNING)
    confirmed = Flag.objects.filter(drop_id=OuterRef("pk"), status=FlagStatus.CONFIRMED)
    return rows.filter(earning_q()).filter(~Exists(credited), ~Exists(confirmed))


@dataclass
class _DayState:
    used: int = 0  # earn + bonus points of the household that day, not reversed
    bonus_given: bool = False


def _day_states(household_ids: Iterable[int], start: datetime, end: datetime) -> dict:
    """(household id, local day) → what the household already earned that day."""
    states: dict[tuple[int, date], _DayState] = defaultdict(_DayState)
    drops = Drop.objects.filter(
        household_id__in=list(household_ids), dropped_at__gte=start, dropped_at__lt=end
    ).values("pk")
    rows = PointsEntry.objects.filter(drop_id__in=drops, kind__in=EARNING).values_list(
        "household_id", "drop__dropped_at", "kind", "delta", "reversed_by"
    )
    for household_id, dropped_at, kind, delta, reversed_by in rows:
        state = states[(household_id, local_day(dropped_at))]
        if kind == EntryKind.BONUS:
            state.bonus_given = True
        if reversed_by is None:
            state.used += delta
    return states


# (household_id, kind, delta, balance_after, at, drop_id, rule_id, note): one ledger line as
# inserted in bulk (``_insert``), in the order of ENTRY_COLUMNS.
Line = tuple[int, str, int, int, object, int, int | None, str]
ENTRY_COLUMNS = ("household", "kind", "delta", "balance_after", "at", "drop", "rule", "note")


@dataclass(frozen=True)
class _Notes:
    partly: str
    capped: str
    no_rule: str

    @classmethod
    def make(cls) -> _Notes:
        return cls(
            partly=_("已达每日积分上限，部分计入"),
            capped=_("已达每日积分上限（%(cap)s 分）"),
            no_rule=_("投放当日没有适用的积分规则"),
        )


def _lines_for(
    drop: tuple, rules: DayRules, state: _DayState, balance: int, at, notes: _Notes
) -> tuple[list[Line], int]:
    """The ledger lines one drop earns given its day so far; returns them and the balance."""
    drop_id, household_id, waste_class, weight_kg, _dropped_at = drop
    items: list[tuple[PointsRule, str, int]] = [
        (rule, EntryKind.EARN, points) for rule, points in rules.earnings(waste_class, weight_kg)
    ]
    if not state.bonus_given:
        for rule in rules.bonus:
            if rule.points:
                items.append((rule, EntryKind.BONUS, rule.points))
        state.bonus_given = bool(rules.bonus)
    cap = rules.cap.points if rules.cap is not None else None
    lines: list[Line] = []
    capped = False
    for rule, kind, points in items:
        if cap is not None:
            allowed = max(0, cap - state.used)
            if points > allowed:
                points, capped = allowed, True
        if points <= 0:
            continue
        state.used += points
        balance += points
        note = notes.partly if capped else ""
        lines.append((household_id, kind, points, balance, at, drop_id, rule.pk, note))
    if not lines:  # one zero line: the drop was credited, and why it earned nothing
        if capped and rules.cap is not None:
            rule_id, note = rules.cap.pk, notes.capped % {"cap": cap}
        else:
            rule_id, note = None, notes.no_rule
        lines.append((household_id, EntryKind.EARN, 0, balance, at, drop_id, rule_id, note))
    return lines, balance


def _column(meta, name: str) -> str:
    return str(meta.get_field(name).column)


def _insert(lines: list[Line]) -> None:
    """Insert ledger lines with one prepared statement (``executemany``): the ORM's bulk_create
    would build a model instance per line and, on SQLite, send ~90 rows per statement."""
    meta = PointsEntry._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(meta, name)) for name in ENTRY_COLUMNS)
    marks = ", ".join(["%s"] * len(ENTRY_COLUMNS))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        for index in range(0, len(lines), INSERT_BATCH):
            cursor.executemany(sql, lines[index : index + INSERT_BATCH])  # type: ignore[arg-type]


def _set_balances(balances: dict[int, int]) -> None:
    meta = Household._meta
    quote = connection.ops.quote_name
    column = quote(meta.get_field("points_balance").column)
    sql = f"UPDATE {quote(meta.db_table)} SET {column} = %s WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(value, pk) for pk, value in balances.items()])


def _credit_chunk(drops: QuerySet, household_ids: list[int], rules: Rules, now: datetime) -> int:
    """Credit the pending drops of ``household_ids`` (within ``drops``) in one transaction."""
    with transaction.atomic():
        balances = dict(
            Household.objects.select_for_update()
            .filter(pk__in=household_ids)
            .order_by("pk")
            .values_list("pk", "points_balance")
        )
        rows = list(
            pending(drops)
            .filter(household_id__in=household_ids)
            .order_by("household_id", "dropped_at", "pk")
            .values_list("pk", "household_id", "waste_class", "weight_kg", "dropped_at")
        )
        if not rows:
            return 0
        first, last = min(r[4] for r in rows), max(r[4] for r in rows)
        start = _day_start(local_day(first))
        end = _day_start(local_day(last) + timedelta(days=1))
        states = _day_states({r[1] for r in rows}, start, end)
        at = connection.ops.adapt_datetimefield_value(now)
        notes = _Notes.make()
        lines: list[Line] = []
        changed: dict[int, int] = {}
        for row in rows:
            household_id = row[1]
            day = local_day(row[4])
            balance = changed.get(household_id, balances[household_id])
            made, balance = _lines_for(
                row, rules.on(day), states[(household_id, day)], balance, at, notes
            )
            lines.extend(made)
            changed[household_id] = balance
        _insert(lines)
        _set_balances(changed)
    return len(rows)


def credit(drops: QuerySet, *, now: datetime | None = None) -> int:
    """Credit every pending drop of ``drops`` (a Drop queryset), household by household, in
    chunks of households each in its own transaction; returns the drops credited."""
    now = now or timezone.now()
    household_ids = sorted(
        set(pending(drops).order_by().values_list("household_id", flat=True).distinct())
    )
    rules = Rules.load()
    total = 0
    for index in range(0, len(household_ids), CHUNK_HOUSEHOLDS):
        total += _credit_chunk(drops, household_ids[index : index + CHUNK_HOUSEHOLDS], rules, now)
    return total


def credit_drop(drop: Drop, *, now: datetime | None = None) -> list[PointsEntry]:
    """Credit one drop (if it earns and was not credited yet); its entries, in order."""
    if drop.household_id is None:
        return []
    credit(Drop.objects.filter(pk=drop.pk), now=now)
    return list(PointsEntry.objects.filter(drop=drop, kind__in=EARNING).order_by("pk"))


def credit_pending(*, now: datetime | None = None) -> int:
    """Credit every drop without earn entries, in bulk (demo, catch-up after rule changes)."""
    return credit(Drop.objects.all(), now=now)


# --- redemptions and corrections ------------------------------------------------------------


def _invalid(field: str | None, code: str, message: str) -> Invalid:
    return Invalid([FieldError(field, code, message)])


def _locked_household(household: Household) -> Household:
    row = Household.objects.select_for_update().filter(pk=household.pk).first()
    if row is None:
        raise NotFound()
    return row


def _append(
    household: Household,
    *,
    kind: str,
    delta: int,
    at: datetime,
    actor=None,
    **fields,
) -> PointsEntry:
    """One ledger line on a locked household, and its new balance (never below zero)."""
    balance = household.points_balance + delta
    if balance < 0:
        raise _invalid(
            "points",
            "insufficient_points",
            _("积分不足：当前余额 %(balance)s 分。") % {"balance": household.points_balance},
        )
    entry = PointsEntry.objects.create(
        household=household,
        kind=kind,
        delta=delta,
        balance_after=balance,
        at=at,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **fields,
    )
    household.points_balance = balance
    Household.objects.filter(pk=household.pk).update(points_balance=balance)
    return entry


def positive_int(value) -> int | None:
    """``value`` as a whole number of at least 1 (an int, or digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 1 else None
    text = str(value or "").strip()
    return int(text) if text.isdigit() and int(text) >= 1 else None


def redeem(
    *,
    actor,
    household: Household,
    station: Station,
    item: str,
    points,
    now: datetime | None = None,
) -> Redemption:
    """Spend points at a redemption point or recyclables shop; refused when the balance is short
    (``insufficient_points``), so the balance never goes negative."""
    now = now or timezone.now()
    errors: list[FieldError] = []
    if station.kind not in REDEMPTION_KINDS:
        errors.append(
            FieldError("station", "not_redemption_point", _("请选择积分兑换点或可回收物回收点。"))
        )
    elif not station.is_active:
        errors.append(FieldError("station", "station_inactive", _("该兑换点已停用。")))
    if not (item or "").strip():
        errors.append(FieldError("item", "required", _("请填写兑换物品。")))
    amount = positive_int(points)
    if amount is None:
        errors.append(FieldError("points", "invalid_points", _("兑换积分须为正整数。")))
    if errors or amount is None:
        raise Invalid(errors)
    with transaction.atomic():
        locked = _locked_household(household)
        if not is_permitted(actor, Action.VIEW, locked):
            raise NotFound()
        redemption = Redemption(
            household=locked,
            station=station,
            item=item.strip(),
            points=amount,
            redeemed_at=now,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        redemption.save()
        if not is_permitted(actor, Action.ADD, redemption):
            raise NotPermitted(_("该住户或兑换点超出您的权限范围，未作任何修改。"))
        _append(
            locked,
            kind=EntryKind.REDEEM,
            delta=-amount,
            at=now,
            actor=actor,
            redemption=redemption,
            note=redemption.item,
        )
        log_change(actor=actor, obj=redemption, action="create")
    household.points_balance = locked.points_balance
    return redemption


def _reversal(entry: PointsEntry, locked: Household, *, actor, note: str, at, clamp: bool):
    delta = -entry.delta
    if clamp and delta < 0 and locked.points_balance + delta < 0:
        taken = locked.points_balance
        note = _("%(note)s（余额不足：应扣 %(due)s 分，实扣 %(taken)s 分）") % {
            "note": note,
            "due": -delta,
            "taken": taken,
        }
        delta = -taken
    return _append(
        locked,
        kind=EntryKind.CORRECTION,
        delta=delta,
        at=at,
        actor=actor,
        drop_id=entry.drop_id,
        reverses=entry,
        note=note[:200],
    )


def correct(*, actor, entry: PointsEntry, note: str, now: datetime | None = None) -> PointsEntry:
    """Reverse one ledger line (an earn, a bonus, or a redemption as a refund) by a correction
    entry; refused for a correction, a line already reversed, a zero line, or when the
    reversal would take the balance below zero (``insufficient_points``)."""
    now = now or timezone.now()
    if not (note or "").strip():
        raise _invalid("note", "required", _("请填写更正原因。"))
    with transaction.atomic():
        row = PointsEntry.objects.filter(pk=entry.pk).first()
        if row is None or not is_permitted(actor, Action.VIEW, row):
            raise NotFound()
        ensure_permitted(actor, Action.CHANGE, row)
        locked = _locked_household(row.household)
        if row.kind == EntryKind.CORRECTION:
            raise _invalid("entry", "not_reversible", _("更正记录不能再更正。"))
        if PointsEntry.objects.filter(reverses=row).exists():
            raise _invalid("entry", "already_reversed", _("这条记录已经更正过。"))
        if row.delta == 0:
            raise _invalid("entry", "nothing_to_reverse", _("这条记录没有积分变动。"))
        reversal = _reversal(row, locked, actor=actor, note=note.strip(), at=now, clamp=False)
        log_change(actor=actor, obj=reversal, action="create")
    return reversal


def reverse_drop(*, actor, drop: Drop, note: str, now: datetime | None = None) -> list[PointsEntry]:
    """Take back what a drop earned (a confirmed flag): a correction per earn or bonus line not
    yet reversed; when the household has spent the points meanwhile, as much as the balance
    allows, saying so in the note (the balance never goes negative)."""
    now = now or timezone.now()
    out: list[PointsEntry] = []
    if drop.household_id is None:
        return out
    with transaction.atomic():
        locked = _locked_household(Household(pk=drop.household_id))
        lines = PointsEntry.objects.filter(
            drop=drop, kind__in=EARNING, delta__gt=0, reversed_by__isnull=True
        ).order_by("pk")
        for line in lines:
            out.append(_reversal(line, locked, actor=actor, note=note, at=now, clamp=True))
    return out


@dataclass(frozen=True)
class BalanceCheck:
    household_id: int
    balance: int
    ledger_sum: int
    last_balance_after: int | None
    ok: bool


def balance_check(household: Household) -> BalanceCheck:
    """Does the household's balance equal its ledger's sum and its last ``balance_after``?"""
    balance = Household.objects.filter(pk=household.pk).values_list("points_balance", flat=True)[0]
    total = PointsEntry.objects.filter(household=household).aggregate(s=Sum("delta"))["s"] or 0
    last = (
        PointsEntry.objects.filter(household=household)
        .order_by("-pk")
        .values_list("balance_after", flat=True)
        .first()
    )
    ok = balance == total and (last is None or last == balance) and balance >= 0
    return BalanceCheck(household.pk, balance, total, last, ok)


# --- rules as data: officials add rules and new versions, never rewrite history -----------------

CODE_MAX = PointsRule._meta.get_field("code").max_length or 32
CODE_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
VERSION_SUFFIX = re.compile(r"-\d{8}(-\d+)?$")


def may_edit_rules(actor) -> bool:
    return may(actor, Action.ADD, PointsRule)


def _ensure_rule_editor(actor) -> None:
    if not may_edit_rules(actor):
        raise NotPermitted(_("只有市级管理人员可以修改积分规则。"))


def _check_rule_values(
    *, kind: str, waste_class: str, points_value, valid_from: date | None, today: date
) -> tuple[list[FieldError], int | None]:
    errors: list[FieldError] = []
    if kind not in RuleKind.values:
        errors.append(FieldError("kind", "invalid_choice", _("请选择规则类型。")))
    if waste_class and waste_class not in WasteClass.values:
        errors.append(FieldError("waste_class", "bad_class", _("请选择四类垃圾中的一类。")))
    if kind in (RuleKind.FIRST_OF_DAY, RuleKind.DAILY_CAP) and waste_class:
        errors.append(
            FieldError("waste_class", "class_not_applicable", _("奖励和上限规则适用于所有类别。"))
        )
    amount = None
    if isinstance(points_value, int) and not isinstance(points_value, bool):
        amount = points_value if points_value >= 0 else None
    elif str(points_value or "").strip().isdigit():
        amount = int(str(points_value).strip())
    if amount is None or (kind == RuleKind.DAILY_CAP and amount < 1):
        errors.append(FieldError("points", "invalid_points", _("积分须为非负整数（上限至少 1）。")))
    if valid_from is None:
        errors.append(FieldError("valid_from", "required", _("请填写生效日期。")))
    elif valid_from < today:
        errors.append(
            FieldError(
                "valid_from", "in_past", _("生效日期不能早于今天：已发生的投放按原规则计分。")
            )
        )
    return errors, amount


def rule_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    points,
    valid_from: date,
    waste_class: str = "",
    today: date | None = None,
) -> PointsRule:
    """A new rule, valid from today or later."""
    _ensure_rule_editor(actor)
    today = today or timezone.localdate()
    code = (code or "").strip().lower()
    errors, amount = _check_rule_values(
        kind=kind, waste_class=waste_class, points_value=points, valid_from=valid_from, today=today
    )
    if not CODE_PATTERN.match(code) or len(code) > CODE_MAX:
        message = _("规则代码只能用小写字母、数字和连字符。")
        errors.append(FieldError("code", "invalid_code", message))
    elif PointsRule.objects.filter(code=code).exists():
        errors.append(FieldError("code", "code_taken", _("已有这个规则代码。")))
    if not (name or "").strip():
        errors.append(FieldError("name", "required", _("请填写规则名称。")))
    if errors or amount is None:
        raise Invalid(errors)
    with transaction.atomic():
        rule = PointsRule.objects.create(
            code=code,
            name=name.strip(),
            kind=kind,
            waste_class=waste_class,
            points=amount,
            valid_from=valid_from,
        )
        log_change(actor=actor, obj=rule, action="create")
    return rule


def _version_code(base: str, valid_from: date) -> str:
    """``drop-any`` → ``drop-any-20250101``; a version's date suffix is replaced, not stacked."""
    stem = VERSION_SUFFIX.sub("", base)
    suffix = f"-{valid_from:%Y%m%d}"
    code, n = f"{stem[: CODE_MAX - len(suffix)]}{suffix}", 2
    while PointsRule.objects.filter(code=code).exists():
        extra = f"{suffix}-{n}"
        code, n = f"{stem[: CODE_MAX - len(extra)]}{extra}", n + 1
    return code


def rule_new_version(
    *,
    actor,
    rule: PointsRule,
    points,
    valid_from: date,
    name: str = "",
    today: date | None = None,
) -> PointsRule:
    """A new version of a rule from ``valid_from`` (today or later): the current one ends the
    day before, its past stays as it was, and drops are credited by the version valid on their
    day."""
    _ensure_rule_editor(actor)
    today = today or timezone.localdate()
    errors, amount = _check_rule_values(
        kind=rule.kind,
        waste_class=rule.waste_class,
        points_value=points,
        valid_from=valid_from,
        today=today,
    )
    with transaction.atomic():
        current = PointsRule.objects.select_for_update().get(pk=rule.pk)
        if current.valid_to is not None:
            errors.append(
                FieldError(
                    None, "already_versioned", _("这条规则已有结束日期，请在最新版本上修改。")
                )
            )
        elif valid_from is not None and valid_from <= current.valid_from:
            errors.append(
                FieldError("valid_from", "version_not_later", _("新版本须晚于当前版本的生效日期。"))
            )
        if errors or amount is None:
            raise Invalid(errors)
        current.valid_to = valid_from - timedelta(days=1)
        current.save(update_fields=["valid_to"])
        new = PointsRule.objects.create(
            code=_version_code(current.code, valid_from),
            name=(name or "").strip() or current.name,
            kind=current.kind,
            waste_class=current.waste_class,
            points=amount,
            valid_from=valid_from,
            is_active=current.is_active,
        )
        log_change(actor=actor, obj=current, action="update")
        log_change(actor=actor, obj=new, action="create")
    return new
