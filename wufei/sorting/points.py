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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from functools import cached_property
from itertools import chain
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast
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
ROWS_PER_STATEMENT = 100  # rows of one multi-row INSERT (within the parameter limit)
IN_LIST_MAX = 2000  # households filtered by a list of ids; more by their id range
EARNING = (EntryKind.EARN, EntryKind.BONUS)
REDEMPTION_KINDS = (StationKind.REDEMPTION, StationKind.RECYCLABLES)
# Plain str (not the enum members): the database driver binds them without a lookup.
EARN, BONUS = EntryKind.EARN.value, EntryKind.BONUS.value


def local_day(moment: datetime) -> date:
    return moment.astimezone(_zone()).date()


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=_zone())


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DayRules:
    """The rules valid on one local day (one object per distinct set of rules)."""

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

    @cached_property
    def bonus_items(self) -> tuple[tuple[int, str, int], ...]:
        """(rule id, kind, points) of the first-of-day bonuses that pay something."""
        return tuple((r.pk, BONUS, r.points) for r in self.bonus if r.points)


class Rules:
    """Every active rule, read in one query; ``on(day)`` picks those valid that day."""

    def __init__(self, rows: Sequence[PointsRule]):
        self._rows = list(rows)
        self._days: dict[date, DayRules] = {}
        self._sets: dict[tuple[int, ...], DayRules] = {}

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
            key = tuple(r.pk for r in valid)
            rules = self._sets.get(key)
            if rules is None:
                caps = sorted(
                    (r for r in valid if r.kind == RuleKind.DAILY_CAP), key=lambda r: r.points
                )
                rules = DayRules(
                    per_drop=tuple(r for r in valid if r.kind == RuleKind.PER_CORRECT_DROP),
                    per_kg=tuple(r for r in valid if r.kind == RuleKind.PER_KG),
                    bonus=tuple(r for r in valid if r.kind == RuleKind.FIRST_OF_DAY),
                    cap=caps[0] if caps else None,
                )
                self._sets[key] = rules
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


# --- reading drops in bulk ----------------------------------------------------------------------
#
# Crediting and checking read every drop concerned once. The ORM would turn each row into
# Python values one column at a time (on SQLite the driver also parses every ``datetime``
# column through Django's regular expression): at a million drops that is most of the run. So
# the bulk readers stream plain tuples from the cursor and convert what they use themselves,
# exactly as Django would (``Moments``, ``Decimals``).


def db_moment(name: str):
    """A datetime column for a raw read: on SQLite its stored text (a bare column of declared
    type ``datetime`` is parsed by the driver, slowly), elsewhere the column itself."""
    if connection.vendor == "sqlite":
        return Cast(name, output_field=TextField())
    return F(name)


def stream(queryset: QuerySet, size: int = 5000) -> Iterator[tuple]:
    """The rows of a ``values_list`` queryset as the cursor returns them, fetched ``size`` at a
    time, with no conversion. The rows may be streamed while other statements write to tables
    the query does not read."""
    sql, params = queryset.query.sql_with_params()
    with connection.chunked_cursor() as cursor:  # server-side on PostgreSQL, as iterator()
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(size):
            yield from rows


def _utc_like(zone) -> bool:
    return all(
        datetime(2000, month, 1, tzinfo=zone).utcoffset() == timedelta(0) for month in (1, 7)
    )


class Moments:
    """Database datetime values (as ``db_moment`` reads them) as aware datetimes and local days.

    A naive value is in the connection's time zone (UTC on SQLite), as Django reads it. Local
    days are remembered per UTC hour when that is exact: the value is naive UTC text of the
    standard form and the local offset is the same whole number of hours all that hour."""

    def __init__(self):
        self.zone = _zone()
        self.db_zone = connection.timezone
        self._memo = _utc_like(self.db_zone)
        self._days: dict[str, date] = {}

    def moment(self, value) -> datetime:
        if isinstance(value, str):
            if self._memo:  # naive UTC text, as Django stores it: parsed with its zone at once
                try:
                    return datetime.fromisoformat(value + "+00:00")
                except ValueError:  # it had a zone of its own
                    pass
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.db_zone)
        return value

    def day(self, value) -> date:
        if self._memo and value.__class__ is str:
            n = len(value)
            if n == 19 or (n == 26 and value[19] == "."):  # naive: YYYY-MM-DD HH:MM:SS[.ffffff]
                found = self._days.get(value[:13])
                return found if found is not None else self._hour_day(value)
        return self.moment(value).astimezone(self.zone).date()

    def _hour_day(self, value: str) -> date:
        moment = self.moment(value)
        day = moment.astimezone(self.zone).date()
        if datetime.fromisoformat(value).tzinfo is not None:  # not naive after all
            return day
        hour = moment.replace(minute=0, second=0, microsecond=0)
        first = hour.astimezone(self.zone).utcoffset()
        last = (hour + timedelta(hours=1, microseconds=-1)).astimezone(self.zone).utcoffset()
        if first == last and first is not None and first % timedelta(hours=1) == timedelta(0):
            self._days[value[:13]] = day
        return day


class Decimals:
    """A decimal column's raw database values as Django converts them, remembered per value
    (weights repeat: a few thousand distinct values among a million drops)."""

    def __init__(self, model, name: str):
        field = model._meta.get_field(name)
        self._col = field.get_col(model._meta.db_table)
        self._converters = connection.ops.get_db_converters(self._col) + field.get_db_converters(
            connection
        )
        self._memo: dict = {}

    def __call__(self, value) -> Decimal:
        try:
            return self._memo[value]
        except KeyError:
            converted = value
            for converter in self._converters:
                converted = converter(converted, self._col, connection)
            self._memo[value] = converted
            return converted


# --- ledger lines -------------------------------------------------------------------------------

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


class _Earnings:
    """(rule id, kind, points) of the earn lines a drop of a class and raw weight gets under a
    set of rules, remembered (the same few rules, classes and weights recur)."""

    def __init__(self, weights: Decimals):
        self._weights = weights
        self._memo: dict[tuple[int, str, object], tuple[tuple[int, str, int], ...]] = {}

    def __call__(self, rules: DayRules, waste_class: str, weight) -> tuple:
        key = (id(rules), waste_class, weight)
        items = self._memo.get(key)
        if items is None:
            earned = rules.earnings(waste_class, self._weights(weight))
            items = self._memo[key] = tuple((rule.pk, EARN, points) for rule, points in earned)
        return items


def _column(meta, name: str) -> str:
    return str(meta.get_field(name).column)


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Insert ``rows`` (database values in ``columns`` order) into ``table`` in bulk
    (``insert_flat``)."""
    insert_flat(table, columns, list(chain.from_iterable(rows)))


def insert_flat(table: str, columns: Sequence[str], values: list) -> None:
    """Insert rows given one after the other in ``values`` (database values in ``columns``
    order) into ``table`` with multi-row ``INSERT … VALUES (…), (…)`` statements run by
    ``executemany``: the driver's cost per statement, not per row, is what a million rows pay
    (on SQLite half the time of one-row statements; the ORM's bulk_create would also build a
    model instance per row)."""
    width = len(columns)
    if not values:
        return
    if len(values) % width:
        raise ValueError("values do not fill whole rows")
    quote = connection.ops.quote_name
    per = max(1, min(ROWS_PER_STATEMENT, (connection.features.max_query_params or 10**4) // width))
    head = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608
    one = "(" + ", ".join(["%s"] * width) + ")"
    step = per * width
    full = len(values) - len(values) % step
    with connection.cursor() as cursor:
        if full:
            statements = [values[i : i + step] for i in range(0, full, step)]
            cursor.executemany(head + ", ".join([one] * per), statements)
        if full < len(values):
            rest = [values[i : i + width] for i in range(full, len(values), width)]
            cursor.executemany(head + one, rest)


def _insert(lines: list[Line]) -> None:
    """Insert ledger lines in bulk (``insert_rows``)."""
    meta = PointsEntry._meta
    insert_rows(meta.db_table, [_column(meta, name) for name in ENTRY_COLUMNS], lines)


def set_balances(balances: dict[int, int]) -> None:
    meta = Household._meta
    quote = connection.ops.quote_name
    column = quote(meta.get_field("points_balance").column)
    sql = f"UPDATE {quote(meta.db_table)} SET {column} = %s WHERE {quote(meta.pk.column)} = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(value, pk) for pk, value in balances.items()])


# --- crediting in bulk --------------------------------------------------------------------------


def of_households(queryset: QuerySet, path: str, ids: Sequence[int] | None) -> QuerySet:
    """``queryset`` restricted to the households ``ids`` (sorted; None: every household) at
    ``path``: by a list when short, else by their id range (the caller drops the rows of other
    households in the range)."""
    if ids is None:
        return queryset
    if len(ids) <= IN_LIST_MAX:
        return queryset.filter(**{f"{path}__in": list(ids)})
    return queryset.filter(**{f"{path}__gte": ids[0], f"{path}__lte": ids[-1]})


def _ledger_so_far(ids: Sequence[int] | None, start: datetime, end: datetime):
    """For the drops of households ``ids`` (None: all) dropped in [start, end): those with earn
    or bonus entries already, and (household, local day) → what the household already earned
    that day. One query (nothing to read when none of these drops was ever credited)."""
    credited: set[int] = set()
    states: dict[tuple[int, date], _DayState] = defaultdict(_DayState)
    rows = of_households(
        PointsEntry.objects.filter(
            kind__in=EARNING, drop__dropped_at__gte=start, drop__dropped_at__lt=end
        ),
        "drop__household_id",
        ids,
    ).values_list(
        "drop_id",
        "drop__household_id",
        "household_id",
        "drop__dropped_at",
        "kind",
        "delta",
        "reversed_by",
    )
    wanted = None if ids is None else set(ids)
    for drop_id, owner, household_id, dropped_at, kind, delta, reversal in rows:
        if wanted is not None and owner not in wanted:
            continue
        credited.add(drop_id)
        state = states[(household_id, local_day(dropped_at))]
        if kind == EntryKind.BONUS:
            state.bonus_given = True
        if reversal is None:
            state.used += delta
    return credited, states


def _credit_chunk(
    drops: QuerySet, household_ids: list[int] | None, rules: Rules, now: datetime
) -> int:
    """Credit the pending drops of ``household_ids`` (sorted; None: of every household) within
    ``drops`` in one transaction: the households' balances locked, what they earned on the
    days concerned read once, the drops streamed in (household, time, id) order and their
    lines computed here and inserted in batches, the balances set at the end."""
    wanted = None if household_ids is None else set(household_ids)
    with transaction.atomic():
        balances = dict(
            of_households(Household.objects.select_for_update(), "pk", household_ids)
            .order_by("pk")
            .values_list("pk", "points_balance")
        )
        candidates = of_households(drops.filter(earning_q()), "household_id", household_ids)
        bounds = candidates.aggregate(first=Min("dropped_at"), last=Max("dropped_at"))
        if bounds["first"] is None:
            return 0
        start = _day_start(local_day(bounds["first"]))
        end = _day_start(local_day(bounds["last"]) + timedelta(days=1))
        credited, states = _ledger_so_far(household_ids, start, end)
        confirmed = of_households(
            Flag.objects.filter(
                status=FlagStatus.CONFIRMED, drop__dropped_at__gte=start, drop__dropped_at__lt=end
            ),
            "drop__household_id",
            household_ids,
        ).values_list("drop_id", flat=True)
        skip = credited | set(confirmed)
        rows = (
            candidates.annotate(moment=db_moment("dropped_at"))
            .order_by("household_id", "dropped_at", "pk")
            .values_list("pk", "household_id", "waste_class", "weight_kg", "moment")
        )
        day_of, on = Moments().day, rules.on
        earnings = _Earnings(Decimals(Drop, "weight_kg"))
        at = connection.ops.adapt_datetimefield_value(now)
        notes = _Notes.make()
        lines: list[Line] = []
        append = lines.append
        changed: dict[int, int] = {}
        count = 0
        current: int | None = None
        balance = 0
        days: dict[date, _DayState] = {}
        plans: dict[date, tuple] = {}  # day → its rules, bonus lines and cap
        for drop_id, household_id, waste_class, weight, moment in stream(rows):
            if drop_id in skip:
                continue
            if household_id != current:
                if wanted is not None and household_id not in wanted:
                    continue
                if current is not None:
                    changed[current] = balance
                current, balance, days = household_id, balances[household_id], {}
            day = day_of(moment)
            state = days.get(day)
            if state is None:
                state = days[day] = states.get((household_id, day)) or _DayState()
            plan = plans.get(day)
            if plan is None:
                day_rules = on(day)
                cap_rule = day_rules.cap
                plan = plans[day] = (
                    day_rules,
                    day_rules.bonus_items,
                    bool(day_rules.bonus),
                    cap_rule,
                    cap_rule.points if cap_rule is not None else None,
                )
            day_rules, bonus_items, has_bonus, cap_rule, cap = plan
            items = earnings(day_rules, waste_class, weight)
            if not state.bonus_given:
                items += bonus_items
                state.bonus_given = has_bonus
            capped = made = False
            for rule_id, kind, points in items:
                if cap is not None:
                    allowed = cap - state.used
                    if allowed < 0:
                        allowed = 0
                    if points > allowed:
                        points, capped = allowed, True
                if points <= 0:
                    continue
                state.used += points
                balance += points
                made = True
                note = notes.partly if capped else ""
                append((household_id, kind, points, balance, at, drop_id, rule_id, note))
            if not made:  # one zero line: the drop was credited, and why it earned nothing
                if capped and cap_rule is not None:
                    rule_id, note = cap_rule.pk, notes.capped % {"cap": cap}
                else:
                    rule_id, note = None, notes.no_rule
                append((household_id, EARN, 0, balance, at, drop_id, rule_id, note))
            count += 1
            if len(lines) >= INSERT_BATCH:
                _insert(lines)
                lines.clear()
        if current is not None:
            changed[current] = balance
        _insert(lines)
        set_balances(changed)
    return count


def credit(
    drops: QuerySet,
    *,
    now: datetime | None = None,
    households_per_transaction: int | None = CHUNK_HOUSEHOLDS,
) -> int:
    """Credit every pending drop of ``drops`` (a Drop queryset), household by household, in
    chunks of households each in its own transaction; returns the drops credited.

    ``households_per_transaction=None`` credits every household in one transaction, reading
    the ledger once: for a caller already in a transaction (the demo) that sets the ledger's
    indexes aside meanwhile, so that no read of the ledger follows its writes."""
    now = now or timezone.now()
    rules = Rules.load()
    if households_per_transaction is None:
        return _credit_chunk(drops, None, rules, now)
    household_ids = sorted(
        set(pending(drops).order_by().values_list("household_id", flat=True).distinct())
    )
    size = households_per_transaction
    total = 0
    for index in range(0, len(household_ids), size):
        total += _credit_chunk(drops, household_ids[index : index + size], rules, now)
    return total


def credit_drop(drop: Drop, *, now: datetime | None = None) -> list[PointsEntry]:
    """Credit one drop (if it earns and was not credited yet); its entries, in order."""
    if drop.household_id is None:
        return []
    credit(Drop.objects.filter(pk=drop.pk), now=now)
    return list(PointsEntry.objects.filter(drop=drop, kind__in=EARNING).order_by("pk"))


def credit_pending(
    *, now: datetime | None = None, households_per_transaction: int | None = CHUNK_HOUSEHOLDS
) -> int:
    """Credit every drop without earn entries, in bulk (demo, catch-up after rule changes)."""
    return credit(
        Drop.objects.all(), now=now, households_per_transaction=households_per_transaction
    )


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
