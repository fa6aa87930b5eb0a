"""The sorting lookup (垃圾分类查询): finding an item's class, and officials' edits of the
dictionary.

Search ranks, best first: the item's name typed exactly, one of its aliases exactly, a name
or alias beginning with the text, a name or alias containing it, an item named inside the
text ("用过的纸巾" finds 纸巾), and last a fuzzy match on the characters the text shares with
an item (no pinyin: "电池废" still finds 废电池). Within a rank shorter names come first.

The dictionary is reference data: everybody reads it, only administrators and city officials
change it (``Scope(reference=True)``). Items an official creates or changes get a ``source``
other than the shipped one, so re-running the loader never undoes their edit.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.utils.translation import gettext as _

from wufei.accounts.choices import Action
from wufei.accounts.scoping import ensure_permitted, is_permitted, may, restrict
from wufei.core.errors import FieldError, Invalid, NotFound, NotPermitted
from wufei.core.services import log_change
from wufei.iot.choices import WasteClass
from wufei.sorting.models import SortingItem
from wufei.sorting.reference import ITEM_FIELDS, item_rows

# GB/T 19095-2019 colours of the four classes, in the order the guide shows them.
CLASS_ORDER = (WasteClass.RECYCLABLE, WasteClass.HAZARDOUS, WasteClass.KITCHEN, WasteClass.OTHER)
CLASS_COLOURS = {
    WasteClass.RECYCLABLE: "#1f5fa8",  # blue
    WasteClass.HAZARDOUS: "#c62828",  # red
    WasteClass.KITCHEN: "#2e7d32",  # green
    WasteClass.OTHER: "#5f6368",  # grey
}

ALIAS_SEPARATORS = "、，,；;／/|\n\r\t"
EDITED_SOURCE = "许昌市生活垃圾分类管理部门审定"
SEARCH_LIMIT = 20
QUERY_MAX = 40
# Characters too common in item names to make a fuzzy match on their own.
WEAK_CHARS = frozenset("的了吗呢啊是个只件条张些子用过旧废破坏一次性品物类装新")
FUZZY_MIN = 0.5

# Ranks (lower is better).
EXACT_NAME, EXACT_ALIAS, NAME_PREFIX, ALIAS_PREFIX, NAME_IN, ALIAS_IN, NAMED_IN_QUERY, FUZZY = (
    range(8)
)
HOW = {
    EXACT_NAME: "name",
    EXACT_ALIAS: "alias",
    NAME_PREFIX: "prefix",
    ALIAS_PREFIX: "alias_prefix",
    NAME_IN: "substring",
    ALIAS_IN: "alias_substring",
    NAMED_IN_QUERY: "contained",
    FUZZY: "fuzzy",
}


def normalize(text: str | None) -> str:
    """Compare form: full-width to half-width (NFKC), lower case, no spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(text.split()).lower()


def split_aliases(value: str | Iterable[str] | None) -> list[str]:
    """Aliases typed with 、 , ； / or new lines (or given as a list) → a clean list."""
    if value is None:
        return []
    text = value if isinstance(value, str) else "、".join(str(v) for v in value)
    for separator in ALIAS_SEPARATORS:
        text = text.replace(separator, "、")
    out: list[str] = []
    for part in text.split("、"):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    item: SortingItem
    rank: int
    alias: str = ""  # the alias that matched, if one did
    score: float = 1.0  # fuzzy matches: the share of the text's characters found

    @property
    def how(self) -> str:
        return HOW[self.rank]


def _rank(query: str, name: str, aliases: list[str]) -> tuple[int, str, float] | None:
    if query == name:
        return EXACT_NAME, "", 1.0
    if query in aliases:
        return EXACT_ALIAS, query, 1.0
    if name.startswith(query):
        return NAME_PREFIX, "", 1.0
    for alias in aliases:
        if alias.startswith(query):
            return ALIAS_PREFIX, alias, 1.0
    if query in name:
        return NAME_IN, "", 1.0
    for alias in aliases:
        if query in alias:
            return ALIAS_IN, alias, 1.0
    if name in query:
        return NAMED_IN_QUERY, "", len(name) / len(query)
    inside = [a for a in aliases if len(a) > 1 and a in query]
    if inside:
        best = max(inside, key=len)
        return NAMED_IN_QUERY, best, len(best) / len(query)
    return None


def _fuzzy(chars: frozenset[str], name: str, aliases: list[str]) -> tuple[float, str] | None:
    """Share of the query's telling characters found in the name or one alias (the best)."""
    best: tuple[float, float, str] | None = None
    for text, alias in ((name, ""), *((a, a) for a in aliases)):
        common = len(chars & set(text))
        if not common:
            continue
        covered = common / len(chars)
        tightness = common / len(set(text))  # prefer texts with few other characters
        if best is None or (covered, tightness) > best[:2]:
            best = (covered, tightness, alias)
    if best is None or best[0] < FUZZY_MIN:
        return None
    return best[0] + best[1] / 10, best[2]


@dataclass(frozen=True)
class _Entry:
    item: SortingItem
    name: str  # normalized
    aliases: tuple[str, ...]  # normalized


_INDEX: dict[str, Any] = {"version": None, "entries": ()}


def _entries() -> tuple[_Entry, ...]:
    """Every item, normalized once and kept until the dictionary changes (a row added, removed
    or saved changes the count or the latest ``updated_at``): one small query per search."""
    version = tuple(SortingItem.objects.aggregate(n=Count("pk"), t=Max("updated_at")).values())
    if _INDEX["version"] != version:
        _INDEX["entries"] = tuple(
            _Entry(
                item,
                normalize(item.name),
                tuple(normalize(a) for a in split_aliases(item.aliases)),
            )
            for item in SortingItem.objects.order_by("pk")
        )
        _INDEX["version"] = version
    return _INDEX["entries"]


def search(
    text: str | None,
    *,
    waste_class: str | None = None,
    limit: int | None = SEARCH_LIMIT,
    active_only: bool = True,
) -> list[Match]:
    """Items matching ``text``, best first (see the module's docstring for the ranking).

    Fuzzy matches are given only when nothing matched better."""
    query = normalize(text)[:QUERY_MAX]
    if not query:
        return []
    entries = [
        e
        for e in _entries()
        if (e.item.is_active or not active_only)
        and (not waste_class or e.item.waste_class == waste_class)
    ]
    matches: list[Match] = []
    for entry in entries:
        ranked = _rank(query, entry.name, list(entry.aliases))
        if ranked is not None:
            rank, alias, score = ranked
            matches.append(Match(entry.item, rank, _original_alias(entry.item, alias), score))
    if not matches:
        chars = frozenset(c for c in query if c not in WEAK_CHARS and not c.isspace())
        if len(chars) >= 2:
            for entry in entries:
                fuzzy = _fuzzy(chars, entry.name, list(entry.aliases))
                if fuzzy is not None:
                    score, alias = fuzzy
                    matches.append(
                        Match(entry.item, FUZZY, _original_alias(entry.item, alias), score)
                    )
    matches.sort(key=lambda m: (m.rank, -m.score, len(m.item.name), m.item.name))
    return matches[:limit] if limit else matches


def _original_alias(item: SortingItem, normalized: str) -> str:
    if not normalized:
        return ""
    for alias in split_aliases(item.aliases):
        if normalize(alias) == normalized:
            return alias
    return normalized


def suggest(text: str | None, limit: int = 8) -> list[str]:
    """Names to offer while someone types (the best ``limit`` matches)."""
    return [m.item.name for m in search(text, limit=limit)]


def best(text: str | None) -> Match | None:
    """The single best match, or None (for a "this goes in …" answer)."""
    found = search(text, limit=1)
    return found[0] if found else None


# --- reads ----------------------------------------------------------------------------------


def is_editor(actor) -> bool:
    return may(actor, Action.CHANGE, SortingItem)


def item_list(*, actor) -> QuerySet[SortingItem]:
    """Dictionary rows for ``actor``: editors see deactivated items too, others active ones."""
    rows = restrict(SortingItem.objects.all(), actor, Action.VIEW)
    if not is_editor(actor):
        rows = rows.filter(is_active=True)
    return rows.order_by("waste_class", "group", "name")


def by_class(waste_class: str) -> list[tuple[str, list[SortingItem]]]:
    """Active items of one class as (group, items) in the dictionary's group order."""
    groups: dict[str, list[SortingItem]] = defaultdict(list)
    for item in SortingItem.objects.filter(is_active=True, waste_class=waste_class).order_by("pk"):
        groups[item.group or _("其他")].append(item)
    return [(group, sorted(items, key=lambda i: i.name)) for group, items in groups.items()]


def class_counts() -> dict[str, int]:
    counts: dict[str, int] = {str(c): 0 for c in CLASS_ORDER}
    for waste_class in SortingItem.objects.filter(is_active=True).values_list(
        "waste_class", flat=True
    ):
        counts[waste_class] = counts.get(waste_class, 0) + 1
    return counts


# --- edits ----------------------------------------------------------------------------------


def _max_length(field: str) -> int:
    return int(getattr(SortingItem._meta.get_field(field), "max_length", 0) or 0)


NAME_MAX = _max_length("name")
LIMITS = {f: _max_length(f) for f in ("aliases", "group", "instruction")}
SOURCE_MAX = _max_length("source")


def _text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    return "" if value is None else str(value).strip()


def _clean(data: Mapping[str, Any], *, current: SortingItem | None) -> dict[str, str]:
    """Validated fields from ``data``; every problem is reported at once, nothing written."""
    errors: list[FieldError] = []
    name = unicodedata.normalize("NFKC", _text(data, "name"))
    if not name:
        errors.append(FieldError("name", "required", _("请填写物品名称。")))
    elif len(name) > NAME_MAX:
        errors.append(
            FieldError("name", "too_long", _("物品名称不能超过 %(n)d 个字。") % {"n": NAME_MAX})
        )
    else:
        clash = SortingItem.objects.filter(name=name)
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        if clash.exists():
            errors.append(
                FieldError("name", "duplicate_name", _("已有同名词条“%(name)s”。") % {"name": name})
            )
    waste_class = _text(data, "waste_class")
    if not waste_class:
        errors.append(FieldError("waste_class", "required", _("请选择垃圾类别。")))
    elif waste_class not in WasteClass.values:
        errors.append(
            FieldError(
                "waste_class",
                "invalid_choice",
                _("垃圾类别只能是可回收物、有害垃圾、厨余垃圾或其他垃圾。"),
            )
        )
    raw_aliases = data.get("aliases")
    aliases = "、".join(a for a in split_aliases(raw_aliases) if a != name)
    fields = {
        "name": name,
        "waste_class": waste_class,
        "aliases": aliases,
        "group": _text(data, "group"),
        "instruction": _text(data, "instruction"),
    }
    for field, limit in LIMITS.items():
        if len(fields[field]) > limit:
            errors.append(FieldError(field, "too_long", _("不能超过 %(n)d 个字。") % {"n": limit}))
    source = _text(data, "source")
    shipped = _shipped_sources()
    if current is not None and source == current.source and not _changed(current, fields):
        pass  # nothing but the same source: leave it as it was
    elif not source or source in shipped:
        source = EDITED_SOURCE
    if len(source) > SOURCE_MAX:
        errors.append(
            FieldError("source", "too_long", _("不能超过 %(n)d 个字。") % {"n": SOURCE_MAX})
        )
    fields["source"] = source
    if errors:
        raise Invalid(errors)
    return fields


@lru_cache(maxsize=1)
def _shipped_sources() -> frozenset[str]:
    return frozenset(row["source"] for row in item_rows())


def _changed(item: SortingItem, fields: Mapping[str, str]) -> bool:
    return any(getattr(item, f) != v for f, v in fields.items() if f != "source")


def _duplicate(name: str) -> Invalid:
    return Invalid(
        [FieldError("name", "duplicate_name", _("已有同名词条“%(name)s”。") % {"name": name})]
    )


def item_create(*, actor, data: Mapping[str, Any]) -> SortingItem:
    """Add an item to the dictionary (administrators and city officials)."""
    if not may(actor, Action.ADD, SortingItem):
        raise NotPermitted(_("只有市级管理人员可以维护分类查询词条。"))
    fields = _clean(data, current=None)
    try:
        with transaction.atomic():
            item = SortingItem.objects.create(is_active=True, **fields)
            log_change(actor=actor, obj=item, action="create")
    except IntegrityError as exc:  # the same name saved meanwhile
        raise _duplicate(fields["name"]) from exc
    return item


def _locked(actor, obj: SortingItem) -> SortingItem:
    item = SortingItem.objects.select_for_update().filter(pk=obj.pk).first()
    if item is None or not is_permitted(actor, Action.VIEW, item):
        raise NotFound()
    ensure_permitted(actor, Action.CHANGE, item)
    return item


def item_update(*, actor, obj: SortingItem, data: Mapping[str, Any]) -> SortingItem:
    """Change an item's name, aliases, class, group, instruction or source."""
    if not may(actor, Action.CHANGE, SortingItem):
        raise NotPermitted(_("只有市级管理人员可以维护分类查询词条。"))
    try:
        with transaction.atomic():
            item = _locked(actor, obj)
            fields = _clean({**_current(item), **data}, current=item)
            for field, value in fields.items():
                setattr(item, field, value)
            item.save()
            log_change(actor=actor, obj=item, action="update")
    except IntegrityError as exc:
        raise _duplicate(str(data.get("name", ""))) from exc
    return item


def _current(item: SortingItem) -> dict[str, str]:
    return {"name": item.name, **{f: getattr(item, f) for f in ITEM_FIELDS}}


def item_deactivate(*, actor, obj: SortingItem) -> SortingItem:
    """Hide an item from the public lookup (kept, and can be restored)."""
    return _set_active(actor, obj, False)


def item_activate(*, actor, obj: SortingItem) -> SortingItem:
    """Restore a deactivated item."""
    return _set_active(actor, obj, True)


def _set_active(actor, obj: SortingItem, active: bool) -> SortingItem:
    if not may(actor, Action.CHANGE, SortingItem):
        raise NotPermitted(_("只有市级管理人员可以维护分类查询词条。"))
    with transaction.atomic():
        item = _locked(actor, obj)
        if item.is_active != active:
            item.is_active = active
            item.save(update_fields=["is_active", "updated_at"])
            log_change(actor=actor, obj=item, action="update" if active else "deactivate")
    return item
