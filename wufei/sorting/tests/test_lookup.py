"""The sorting lookup: search ranking over the shipped dictionary, and officials' edits."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wufei.accounts.tests.factories import UserFactory
from wufei.core.errors import Invalid, NotPermitted
from wufei.core.models import ChangeLog
from wufei.registry.models import Region
from wufei.sorting import lookup
from wufei.sorting.models import SortingItem
from wufei.sorting.reference import item_rows

pytestmark = pytest.mark.django_db


def names(text, **kwargs) -> list[str]:
    return [m.item.name for m in lookup.search(text, **kwargs)]


@pytest.fixture
def users():
    weidu = Region.objects.get(adcode="411002")
    town = Region.objects.get(adcode="411002001")
    return {
        "city": UserFactory(role="city"),
        "admin": UserFactory(role="admin"),
        "county": UserFactory(role="county", region=weidu),
        "guide": UserFactory(role="guide", region=town),
        "public": UserFactory(role="public"),
        "anonymous": AnonymousUser(),
    }


# --- search --------------------------------------------------------------------------------


def test_exact_name_comes_first():
    found = lookup.search("纸巾")
    assert found[0].item.name == "纸巾" and found[0].how == "name"
    # Items containing 纸巾 (湿纸巾 is an alias of 湿巾) come after.
    assert "湿巾" in [m.item.name for m in found[1:]]


def test_alias_finds_the_item_and_says_which_alias():
    first = lookup.search("餐巾纸")[0]
    assert (first.item.name, first.how, first.alias) == ("纸巾", "alias", "餐巾纸")
    first = lookup.search("电池")[0]
    assert (first.item.name, first.how) == ("废电池", "alias")


def test_prefix_before_substring():
    found = lookup.search("纸", limit=None)
    hows = [m.how for m in found]
    assert hows[0] == "prefix"
    first_substring = hows.index("substring")
    assert all(h in ("prefix", "alias_prefix") for h in hows[:first_substring])
    assert all(m.item.name.startswith("纸") for m in found if m.how == "prefix")
    assert "报纸" in [m.item.name for m in found if m.how == "substring"]


def test_substring_of_names():
    found = names("电池", limit=None)
    assert found[0] == "废电池"
    assert {"干电池", "锂电池", "手机电池", "纽扣电池"} <= set(found)


def test_an_item_named_inside_the_query():
    first = lookup.search("吃剩的剩饭")[0]
    assert (first.item.name, first.how) == ("剩饭", "contained")
    assert names("用过的纸巾")[0] == "纸巾"


def test_fuzzy_fallback_on_shared_characters():
    found = lookup.search("药过期了", limit=None)
    assert found and all(m.how == "fuzzy" for m in found)
    assert found[0].item.name == "过期药品"
    assert "过期食品" in [m.item.name for m in found]
    assert names("池电")[0] == "废电池"  # through its alias 电池, all of whose characters match
    # Word order that still names an alias is not fuzzy: 电池 is inside 电池废.
    first = lookup.search("电池废")[0]
    assert (first.item.name, first.how) == ("废电池", "contained")


def test_fuzzy_needs_telling_characters():
    assert lookup.search("旧的废") == []  # only common characters: no guess
    assert lookup.search("量子") == []  # 子 is too common to tell anything
    # Half the telling characters must match: 芯片 shares nothing, 计算机 little.
    assert all(m.score >= lookup.FUZZY_MIN for m in lookup.search("量子计算机芯片", limit=None))
    assert lookup.search("芯片量") == []


def test_nothing_for_nothing():
    assert lookup.search("") == lookup.search("   ") == lookup.search(None) == []
    assert lookup.search("zzzz") == []


def test_spaces_and_full_width_are_ignored():
    assert names(" 剩 饭 ")[0] == "剩饭"
    assert names("Ｘ光片")[0] == "X光片"
    assert names("x光片")[0] == "X光片"


def test_class_filter_and_limit():
    found = lookup.search("瓶", waste_class="recyclable", limit=5)
    assert len(found) == 5
    assert all(m.item.waste_class == "recyclable" for m in found)


def test_deactivated_items_are_not_found(users):
    battery = SortingItem.objects.get(name="废电池")
    lookup.item_deactivate(actor=users["city"], obj=battery)
    assert "废电池" not in names("废电池")
    assert "废电池" in names("废电池", active_only=False)


def test_suggest_and_best():
    assert lookup.suggest("剩", limit=3)[0] in {"剩饭", "剩菜", "剩鱼"}
    assert len(lookup.suggest("纸", limit=4)) == 4
    assert lookup.best("旧报纸").item.name == "报纸"
    assert lookup.best("") is None


ITEM_TEXT = "".join(sorted({c for row in item_rows() for c in row["name"]}))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(alphabet=ITEM_TEXT + " Ｘ", min_size=1, max_size=6))
def test_ranking_is_ordered_and_an_exact_name_wins(text):
    found = lookup.search(text, limit=None)
    ranks = [m.rank for m in found]
    assert ranks == sorted(ranks)
    query = lookup.normalize(text)
    for m in found:
        name = lookup.normalize(m.item.name)
        aliases = [lookup.normalize(a) for a in lookup.split_aliases(m.item.aliases)]
        if m.how == "name":
            assert name == query
        elif m.how == "substring":
            assert query in name
        elif m.how in ("alias", "alias_prefix", "alias_substring"):
            assert lookup.normalize(m.alias) in aliases
    exact = [r["name"] for r in item_rows() if lookup.normalize(r["name"]) == query]
    if exact:
        assert found[0].item.name == exact[0]
    if found and found[0].how == "fuzzy":
        assert all(m.how == "fuzzy" for m in found)


# --- edits ---------------------------------------------------------------------------------


def test_city_official_adds_an_item(users):
    item = lookup.item_create(
        actor=users["city"],
        data={
            "name": " 钧瓷茶杯 ",
            "aliases": "钧瓷杯，钧瓷杯、 瓷茶杯 / 钧瓷茶杯",
            "waste_class": "other",
            "group": "陶瓷砖瓦",
            "instruction": "完好的可捐赠；碎片包好后投其他垃圾",
        },
    )
    assert item.name == "钧瓷茶杯" and item.is_active
    assert item.aliases == "钧瓷杯、瓷茶杯"
    assert item.source == lookup.EDITED_SOURCE
    assert ChangeLog.objects.filter(object_id=str(item.pk), action="create").exists()
    assert names("钧瓷杯")[0] == "钧瓷茶杯"


def test_bad_input_is_refused_with_codes_and_nothing_written(users):
    before = SortingItem.objects.count()
    with pytest.raises(Invalid) as caught:
        lookup.item_create(actor=users["city"], data={"name": "报纸", "waste_class": ""})
    codes = {(e.field, e.code) for e in caught.value.errors}
    assert codes == {("name", "duplicate_name"), ("waste_class", "required")}
    with pytest.raises(Invalid) as caught:
        lookup.item_create(actor=users["city"], data={"name": "", "waste_class": "wet"})
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("name", "required"),
        ("waste_class", "invalid_choice"),
    }
    with pytest.raises(Invalid) as caught:
        lookup.item_create(
            actor=users["city"],
            data={"name": "长" * 41, "waste_class": "other", "group": "组" * 21},
        )
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("name", "too_long"),
        ("group", "too_long"),
    }
    assert SortingItem.objects.count() == before


@pytest.mark.parametrize("who", ["county", "guide", "public", "anonymous"])
def test_only_city_officials_edit(users, who):
    actor = users[who]
    paper = SortingItem.objects.get(name="报纸")
    with pytest.raises(NotPermitted):
        lookup.item_create(actor=actor, data={"name": "新词条", "waste_class": "other"})
    with pytest.raises(NotPermitted):
        lookup.item_update(actor=actor, obj=paper, data={"waste_class": "other"})
    with pytest.raises(NotPermitted):
        lookup.item_deactivate(actor=actor, obj=paper)
    paper.refresh_from_db()
    assert paper.waste_class == "recyclable" and paper.is_active
    assert not SortingItem.objects.filter(name="新词条").exists()


def test_change_and_deactivate_are_logged(users):
    admin = users["admin"]
    box = SortingItem.objects.get(name="外卖餐盒")
    changed = lookup.item_update(
        actor=admin, obj=box, data={"waste_class": "recyclable", "instruction": "洗净后投放"}
    )
    assert (changed.waste_class, changed.instruction, changed.name) == (
        "recyclable",
        "洗净后投放",
        "外卖餐盒",
    )
    assert changed.source == lookup.EDITED_SOURCE
    with pytest.raises(Invalid) as caught:
        lookup.item_update(actor=admin, obj=box, data={"name": "纸巾"})
    assert caught.value.errors[0].code == "duplicate_name"
    lookup.item_deactivate(actor=admin, obj=box)
    lookup.item_deactivate(actor=admin, obj=box)  # twice: one log line
    lookup.item_activate(actor=admin, obj=box)
    actions = list(
        ChangeLog.objects.filter(object_id=str(box.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["update", "deactivate", "update"]
    box.refresh_from_db()
    assert box.is_active


def test_saving_unchanged_keeps_the_shipped_source(users):
    paper = SortingItem.objects.get(name="报纸")
    shipped = paper.source
    lookup.item_update(actor=users["city"], obj=paper, data={"name": "报纸"})
    paper.refresh_from_db()
    assert paper.source == shipped


def test_item_list_hides_deactivated_items_from_non_editors(users):
    paper = SortingItem.objects.get(name="报纸")
    lookup.item_deactivate(actor=users["city"], obj=paper)
    assert lookup.item_list(actor=users["city"]).filter(pk=paper.pk).exists()
    for who in ("county", "public", "anonymous"):
        assert not lookup.item_list(actor=users[who]).filter(pk=paper.pk).exists()
        assert lookup.item_list(actor=users[who]).count() == SortingItem.objects.count() - 1


def test_search_sees_an_edit_at_once(users):
    assert lookup.search("新闻纸")[0].how == "fuzzy"
    paper = SortingItem.objects.get(name="报纸")
    lookup.item_update(actor=users["city"], obj=paper, data={"aliases": "新闻纸"})
    first = lookup.search("新闻纸")[0]
    assert (first.item.name, first.how) == ("报纸", "alias")
    assert lookup.search("报刊")[0].how == "fuzzy"  # the old alias is gone
