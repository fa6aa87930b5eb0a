"""Anti-gaming checks of household sorting: patterns that are flagged for a person to review,
never blocked and never silently dropped.

- ``rapid_repeat``: a drop of the same household and class less than N minutes after the
  household's previous drop of that class;
- ``implausible_weight``: a drop heavier than its class's plausible maximum per drop, or one
  that takes the household's total of the local day above the daily maximum;
- ``guide_repeat``: a guide recording the same household more than K times within D days (the
  drop that exceeds K is flagged, and each one after it within the window).

Adding drops only ever adds close pairs, raises day totals and window counts, so checking the
new drops with their neighbourhood gives exactly the flags a full recomputation would; each
(kind, drop) is flagged once (a unique constraint), so every check is idempotent.

The limits are data officials change, in the IoT ``Threshold`` table (one row per changed
value; a key without a row takes the default below), so a change applies from the next check.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Action
from wufei.accounts.scoping import ensure_permitted, is_permitted
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted
from wufei.core.services import log_change
from wufei.iot.choices import WasteClass
from wufei.iot.models import Threshold
from wufei.iot.thresholds import Spec, may_set_thresholds, parse_value
from wufei.sorting import points
from wufei.sorting.models import Drop, Flag, FlagKind, FlagStatus, Guide
from wufei.sorting.points import _day_start, local_day

CHUNK_HOUSEHOLDS = 2000

KG, MIN, TIMES, DAYS = (
    gettext_lazy("千克"),
    gettext_lazy("分钟"),
    gettext_lazy("次"),
    gettext_lazy("天"),
)


def _spec(key, label, unit, default, low, high, help_text) -> Spec:
    return Spec(key, label, unit, Decimal(default), Decimal(low), Decimal(high), help_text)


MAX_KEY = {cls: f"sorting_max_{cls}_kg" for cls in WasteClass.values}
SPECS: tuple[Spec, ...] = (
    _spec(
        "sorting_rapid_minutes",
        gettext_lazy("重复投放间隔"),
        MIN,
        "10",
        "1",
        "1440",
        gettext_lazy("同一住户同一类别两次投放相隔不足此时长，标记“短时间内重复投放”。"),
    ),
    _spec(
        MAX_KEY[WasteClass.KITCHEN],
        gettext_lazy("厨余垃圾单次重量上限"),
        KG,
        "10",
        "0.1",
        "50",
        gettext_lazy("单次投放超过此重量，标记“重量异常”。"),
    ),
    _spec(
        MAX_KEY[WasteClass.OTHER],
        gettext_lazy("其他垃圾单次重量上限"),
        KG,
        "15",
        "0.1",
        "50",
        gettext_lazy("单次投放超过此重量，标记“重量异常”。"),
    ),
    _spec(
        MAX_KEY[WasteClass.RECYCLABLE],
        gettext_lazy("可回收物单次重量上限"),
        KG,
        "30",
        "0.1",
        "50",
        gettext_lazy("单次投放超过此重量，标记“重量异常”。"),
    ),
    _spec(
        MAX_KEY[WasteClass.HAZARDOUS],
        gettext_lazy("有害垃圾单次重量上限"),
        KG,
        "2",
        "0.1",
        "50",
        gettext_lazy("单次投放超过此重量，标记“重量异常”。"),
    ),
    _spec(
        "sorting_max_day_kg",
        gettext_lazy("每户每日重量上限"),
        KG,
        "40",
        "1",
        "500",
        gettext_lazy("一户一天各类投放累计超过此重量，此后当天的投放标记“重量异常”。"),
    ),
    _spec(
        "sorting_guide_repeat_count",
        gettext_lazy("督导员重复登记次数"),
        TIMES,
        "14",
        "1",
        "1000",
        gettext_lazy("同一督导员在下方天数内为同一住户登记超过此次数，标记“督导员反复登记”。"),
    ),
    _spec(
        "sorting_guide_repeat_days",
        gettext_lazy("督导员重复登记统计天数"),
        DAYS,
        "7",
        "1",
        "90",
        gettext_lazy("统计督导员重复登记的时间窗口。"),
    ),
)
SPEC_BY_KEY: dict[str, Spec] = {s.key: s for s in SPECS}


@dataclass(frozen=True)
class Limits:
    rapid: timedelta
    max_kg: dict[str, Decimal]
    max_day_kg: Decimal
    guide_count: int
    guide_window: timedelta

    @classmethod
    def load(cls) -> Limits:
        rows = dict(Threshold.objects.filter(key__in=SPEC_BY_KEY).values_list("key", "value"))
        value = {s.key: rows.get(s.key, s.default) for s in SPECS}
        return cls(
            rapid=timedelta(minutes=float(value["sorting_rapid_minutes"])),
            max_kg={cls_: value[key] for cls_, key in MAX_KEY.items()},
            max_day_kg=value["sorting_max_day_kg"],
            guide_count=int(value["sorting_guide_repeat_count"]),
            guide_window=timedelta(days=float(value["sorting_guide_repeat_days"])),
        )

    @property
    def reach(self) -> timedelta:
        """How far a drop's checks look back (and its effect reaches forward)."""
        return max(self.guide_window, self.rapid, timedelta(days=1))


def plain_number(value: Decimal) -> Decimal:
    """30.000 → 30, 2.500 → 2.5 (never 3E+1)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def limit_rows() -> list[dict]:
    """Each limit with its current value and last change (for the page)."""
    rows = {t.key: t for t in Threshold.objects.filter(key__in=SPEC_BY_KEY)}
    out = []
    for spec in SPECS:
        row = rows.get(spec.key)
        out.append(
            {
                "spec": spec,
                "value": plain_number(row.value if row is not None else spec.default),
                "row": row,
            }
        )
    return out


def limit_set(*, actor, key: str, value) -> Threshold:
    """Change one check limit (city-wide), logged; the same officials who set IoT thresholds."""
    if not may_set_thresholds(actor):
        raise NotPermitted(_("只有城市管理、生态环境部门的管理人员可以修改核查阈值。"))
    spec = SPEC_BY_KEY.get(key)
    if spec is None:
        raise Invalid([FieldError("key", "unknown_threshold", _("没有这个阈值参数。"))])
    number = parse_value(spec, value)
    with transaction.atomic():
        row, _created = Threshold.objects.update_or_create(
            key=key, defaults={"value": number, "updated_at": timezone.now(), "updated_by": actor}
        )
        log_change(actor=actor, obj=row, action="update", data={"key": key, "value": str(number)})
    return row


# --- the rules over one household's drops -------------------------------------------------


@dataclass(frozen=True)
class Found:
    kind: str
    drop_id: int
    household_id: int | None
    guide_id: int | None
    detail: str


# (id, household_id, waste_class, weight_kg, dropped_at, guide_id, local day of dropped_at)
Row = tuple[int, int | None, str, Decimal, datetime, int | None, date]
COLUMNS = ("pk", "household_id", "waste_class", "weight_kg", "moment", "guide_id")


def _weight_detail(row: Row, limits: Limits) -> str | None:
    maximum = limits.max_kg.get(row[2])
    if maximum is not None and row[3] > maximum:
        return _("单次投放%(cls)s %(w)s 千克，超过单次合理上限 %(max)s 千克。") % {
            "cls": WasteClass(row[2]).label,
            "w": row[3],
            "max": plain_number(maximum),
        }
    return None


def evaluate(rows: Sequence[Row], limits: Limits, guide_names: dict[int, str]) -> list[Found]:
    """The flags one household's drops (sorted by time, then id) meet."""
    found: list[Found] = []
    last_of_class: dict[str, Row] = {}
    day_total: dict = defaultdict(Decimal)
    by_guide: dict[int, deque] = defaultdict(deque)
    rapid, max_kg, max_day_kg = limits.rapid, limits.max_kg, limits.max_day_kg
    for row in rows:
        drop_id, household_id, waste_class, weight, at, guide_id, day = row
        previous = last_of_class.get(waste_class)
        if previous is not None and at - previous[4] < rapid:
            detail = _("距该户上一次投放%(cls)s仅 %(min)s 分钟（%(prev)s）。") % {
                "cls": WasteClass(waste_class).label,
                "min": int((at - previous[4]).total_seconds() // 60),
                "prev": timezone.localtime(previous[4]).strftime("%Y-%m-%d %H:%M"),
            }
            found.append(Found(FlagKind.RAPID_REPEAT, drop_id, household_id, guide_id, detail))
        last_of_class[waste_class] = row

        total = day_total[day] = day_total[day] + weight
        maximum = max_kg.get(waste_class)
        weight_detail = None
        if maximum is not None and weight > maximum:
            weight_detail = _weight_detail(row, limits)
        elif total > max_day_kg:
            weight_detail = _(
                "该户当日累计投放 %(t)s 千克，超过每户每日合理上限 %(max)s 千克。"
            ) % {
                "t": total,
                "max": plain_number(max_day_kg),
            }
        if weight_detail is not None:
            found.append(
                Found(FlagKind.IMPLAUSIBLE_WEIGHT, drop_id, household_id, guide_id, weight_detail)
            )

        if guide_id is not None:
            window = by_guide[guide_id]
            window.append(at)
            while window and window[0] <= at - limits.guide_window:
                window.popleft()
            if len(window) > limits.guide_count:
                detail = _("督导员%(g)s %(d)s 天内为该户登记 %(n)s 次，超过 %(k)s 次。") % {
                    "g": guide_names.get(guide_id, ""),
                    "d": int(limits.guide_window.total_seconds() // 86400),
                    "n": len(window),
                    "k": limits.guide_count,
                }
                found.append(Found(FlagKind.GUIDE_REPEAT, drop_id, household_id, guide_id, detail))
    return found


# --- checking and scanning -------------------------------------------------------------------


def _write(found: Iterable[Found], now: datetime) -> int:
    """Insert the flags not raised yet; returns how many were new."""
    found = list(found)
    if not found:
        return 0
    existing = set(
        Flag.objects.filter(drop_id__in={f.drop_id for f in found}).values_list("kind", "drop_id")
    )
    new = [f for f in found if (f.kind, f.drop_id) not in existing]
    Flag.objects.bulk_create(
        [
            Flag(
                kind=f.kind,
                drop_id=f.drop_id,
                household_id=f.household_id,
                guide_id=f.guide_id,
                detail=f.detail[:300],
                raised_at=now,
            )
            for f in new
        ],
        batch_size=2000,
        ignore_conflicts=True,
    )
    return len(new)


def _guide_names() -> dict[int, str]:
    return dict(Guide.objects.values_list("pk", "name"))


class _Reader:
    """Drops as ``Row`` tuples, read raw (``points.stream``) and converted here."""

    def __init__(self):
        self.moments = points.Moments()
        self.weights = points.Decimals(Drop, "weight_kg")

    def rows(self, queryset: QuerySet) -> Iterator[Row]:
        moment, day, weight = self.moments.moment, self.moments.day, self.weights
        values = queryset.annotate(moment=points.db_moment("dropped_at")).values_list(*COLUMNS)
        for pk, household_id, waste_class, kg, at, guide_id in points.stream(values):
            yield (pk, household_id, waste_class, weight(kg), moment(at), guide_id, day(at))


def _check_households(
    targets: dict[int, tuple[datetime, datetime]], limits: Limits, now: datetime
) -> int:
    """Evaluate each household's drops around its target times; ``targets`` maps a household
    to the (earliest, latest) time of its new drops."""
    names = _guide_names()
    reader = _Reader()
    total = 0
    ids = sorted(targets)
    for index in range(0, len(ids), CHUNK_HOUSEHOLDS):
        chunk = ids[index : index + CHUNK_HOUSEHOLDS]
        first = min(targets[h][0] for h in chunk)
        last = max(targets[h][1] for h in chunk)
        # One window for the chunk: drops outside a household's own window only add context,
        # and a flag a drop meets with more context is still one it meets (the rules only grow).
        # Before the new drops' first day only the guides' drops matter (the guide window);
        # everything from that day on, and as far forward as a new drop's effect reaches.
        full_from = _day_start(local_day(first - limits.rapid))
        end = _day_start(local_day(last + limits.reach) + timedelta(days=1))
        window = Q(dropped_at__gte=full_from, dropped_at__lt=end)
        guide_from = first - limits.guide_window
        if guide_from < full_from:
            window |= Q(guide__isnull=False, dropped_at__gte=guide_from, dropped_at__lt=full_from)
        # Households of consecutive ids (a full scan): by their id range, a third faster to
        # read than by a list; the drops of other households in the range are passed over.
        wanted = set(chunk)
        if chunk[-1] - chunk[0] < 2 * len(chunk):
            mine = Drop.objects.filter(household_id__gte=chunk[0], household_id__lte=chunk[-1])
        else:
            mine = Drop.objects.filter(household_id__in=chunk)
        mine = mine.filter(window).order_by("household_id", "dropped_at", "pk")
        found: list[Found] = []
        group: list[Row] = []
        for row in reader.rows(mine):
            if row[1] not in wanted:
                continue
            if group and group[-1][1] != row[1]:
                found += evaluate(group, limits, names)
                group = []
            group.append(row)
        if group:
            found += evaluate(group, limits, names)
        total += _write(found, now)
    return total


def check(drops: QuerySet, *, now: datetime | None = None) -> int:
    """Raise the flags that ``drops`` (new or newly matched) meet, with every neighbour they
    affect; returns the number of new flags."""
    now = now or timezone.now()
    limits = Limits.load()
    reader = _Reader()
    lone: list[Found] = []
    # Not matched yet: only its own weight can be judged.
    for row in reader.rows(drops.filter(household__isnull=True).order_by()):
        detail = _weight_detail(row, limits)
        if detail is not None:
            lone.append(Found(FlagKind.IMPLAUSIBLE_WEIGHT, row[0], None, row[5], detail))
    spans = (
        drops.filter(household__isnull=False)
        .order_by()
        .values("household_id")
        .annotate(first=Min("dropped_at"), last=Max("dropped_at"))
        .values_list("household_id", "first", "last")
    )
    moment = reader.moments.moment
    targets = {
        household_id: (moment(first), moment(last))
        for household_id, first, last in points.stream(spans)
    }
    return _write(lone, now) + _check_households(targets, limits, now)


def check_drop(drop: Drop, *, now: datetime | None = None) -> int:
    return check(Drop.objects.filter(pk=drop.pk), now=now)


def scan(*, since: datetime | None = None, now: datetime | None = None) -> int:
    """Raise flags for the drops recorded or dropped since ``since`` (all drops if None);
    idempotent: returns the number of new flags."""
    drops = Drop.objects.all()
    if since is not None:
        drops = drops.filter(Q(recorded_at__gte=since) | Q(dropped_at__gte=since))
    return check(drops, now=now)


# --- review --------------------------------------------------------------------------------------


def review(
    *, actor, flag: Flag, confirm: bool, note: str = "", now: datetime | None = None
) -> Flag:
    """Confirm a flag (the drop's earn and bonus points are reversed) or clear it (they stay).
    Only an open flag is reviewed; confirming needs a note."""
    now = now or timezone.now()
    note = (note or "").strip()
    if confirm and not note:
        raise Invalid([FieldError("note", "required", _("确认违规须填写核查意见。"))])
    with transaction.atomic():
        row = Flag.objects.select_for_update().filter(pk=flag.pk).first()
        if row is None or not is_permitted(actor, Action.VIEW, row):
            raise NotFound()
        ensure_permitted(actor, Action.CHANGE, row)
        if row.status != FlagStatus.OPEN:
            raise Invalid([FieldError(None, "already_reviewed", _("该异常已核查，不能重复处理。"))])
        row.status = FlagStatus.CONFIRMED if confirm else FlagStatus.CLEARED
        row.reviewed_at = now
        row.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
        row.review_note = note[:300]
        row.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_note"])
        if confirm:
            points.reverse_drop(
                actor=actor,
                drop=row.drop,
                note=_("异常投放核查确认：%(kind)s。%(note)s")
                % {"kind": row.get_kind_display(), "note": note},
                now=now,
            )
        log_change(actor=actor, obj=row, action="confirm" if confirm else "clear")
    flag.status, flag.reviewed_at, flag.review_note = row.status, row.reviewed_at, row.review_note
    return row
