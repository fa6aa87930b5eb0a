"""Pages of the sorting lookup: the public guide with its search (``sortguide:*``, no account
needed, phone first) and the officials' pages to keep the dictionary (``lookup:*``).

Searching, reading and writing go through ``wufei.sorting.lookup``; views stay thin.
"""

from __future__ import annotations

import django_filters as df
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from wufei.accounts.choices import Action
from wufei.accounts.scoping import is_permitted
from wufei.core.export import Column, column
from wufei.core.forms import ServiceForm
from wufei.core.pages import (
    HISTORY_COLUMNS,
    HISTORY_LIMIT,
    Cell,
    DetailPage,
    FormPage,
    ListPage,
    ModelPage,
    OptionsPage,
    domain_errors,
    require,
    table,
)
from wufei.core.selectors import change_history
from wufei.iot.choices import WasteClass
from wufei.sorting import lookup
from wufei.sorting.models import SortingItem

NAMESPACE = "lookup"
PUBLIC = "sortguide"

# --- what the guide says about each class (GB/T 19095-2019 and 住房和城乡建设部 guidance) ----

GUIDE = {
    WasteClass.RECYCLABLE: {
        "colour": "blue",
        "colour_label": gettext_lazy("蓝色"),
        "what": gettext_lazy(
            "适宜回收利用的生活废弃物：废纸张、废塑料、废玻璃制品、废金属、废织物，"
            "以及小型电器电子产品。"
        ),
        "how": gettext_lazy(
            "清空、清洁、保持干燥，能压扁的压扁；纸箱拆开叠好；碎玻璃、刀具等尖锐物包好并注明。"
        ),
    },
    WasteClass.HAZARDOUS: {
        "colour": "red",
        "colour_label": gettext_lazy("红色"),
        "what": gettext_lazy(
            "对人体健康或自然环境造成直接或潜在危害的生活废弃物：废电池、废灯管、"
            "过期药品、废油漆及其容器、杀虫剂、水银温度计等。"
        ),
        "how": gettext_lazy(
            "保持完整投放，不要拆解、挤压；灯管、温度计等易破损的连同包装或包好后轻放；"
            "药品连同包装投放；有液体的盖紧防漏。"
        ),
    },
    WasteClass.KITCHEN: {
        "colour": "green",
        "colour_label": gettext_lazy("绿色"),
        "what": gettext_lazy(
            "易腐烂的生物质生活废弃物：剩菜剩饭、果皮菜叶、鸡鸭鱼等小骨头、蛋壳、"
            "茶渣、过期食品、家庭绿植残枝落叶等。"
        ),
        "how": gettext_lazy(
            "沥干水分，去除包装；在投放点破袋投放，把垃圾倒入厨余垃圾桶，塑料袋投入其他垃圾桶。"
        ),
    },
    WasteClass.OTHER: {
        "colour": "grey",
        "colour_label": gettext_lazy("灰色"),
        "what": gettext_lazy(
            "除以上三类以外的生活废弃物：用过的纸巾、尿不湿、烟头、塑料袋、"
            "污损的包装和餐盒、陶瓷碎片、大骨头、贝壳、灰土等。"
        ),
        "how": gettext_lazy("尽量沥干水分，装袋扎紧后投放；难以判断类别的投入其他垃圾。"),
    },
}

PUT_OUT = (
    gettext_lazy("定时定点：在小区公布的投放时段，到指定投放点分类投放，不随意堆放。"),
    gettext_lazy("厨余垃圾破袋投放：垃圾倒入绿色厨余垃圾桶，塑料袋投入灰色其他垃圾桶。"),
    gettext_lazy("有害垃圾保持完整：不拆解、不打碎，投入红色有害垃圾桶或交督导员。"),
    gettext_lazy("可回收物清洁干燥：积攒后可交回收点或兑换点，换取积分（两网融合）。"),
    gettext_lazy("大件垃圾、装修垃圾：不要投入分类桶，向物业或社区预约清运。"),
)


def _classes() -> list[dict]:
    counts = lookup.class_counts()
    labels = dict(WasteClass.choices)
    return [
        {
            "code": code,
            "label": labels[code],
            "count": counts.get(code, 0),
            "hex": lookup.CLASS_COLOURS[code],
            **GUIDE[code],
        }
        for code in lookup.CLASS_ORDER
    ]


def _class_info(code: str) -> dict:
    for info in _classes():
        if info["code"] == code:
            return info
    raise Http404(_("没有这个垃圾类别。"))


# --- public pages -------------------------------------------------------------------------


def public_index(request):
    query = request.GET.get("q", "").strip()
    matches = lookup.search(query) if query else None
    context = {
        "classes": _classes(),
        "put_out": PUT_OUT,
        "query": query,
        "matches": matches,
        "fuzzy": bool(matches) and matches[0].how == "fuzzy",
        "popular": _popular(),
    }
    return render(request, "sorting/lookup/public_index.html", context)


POPULAR = ("废电池", "剩饭", "报纸", "烟头", "纸巾", "塑料袋", "大骨头", "过期药品", "外卖餐盒")


def _popular() -> list[SortingItem]:
    items = {i.name: i for i in SortingItem.objects.filter(is_active=True, name__in=POPULAR)}
    return [items[name] for name in POPULAR if name in items]


def public_search(request):
    """Results for ``?q=``; an htmx request gets only the results block (instant search)."""
    query = request.GET.get("q", "").strip()
    waste_class = request.GET.get("class", "")
    if waste_class not in WasteClass.values:
        waste_class = ""
    matches = lookup.search(query, waste_class=waste_class or None) if query else []
    context = {
        "query": query,
        "matches": matches,
        "classes": _classes(),
        "fuzzy": bool(matches) and matches[0].how == "fuzzy",
    }
    if request.htmx:
        return render(request, "sorting/lookup/_results.html", context)
    return render(request, "sorting/lookup/public_search.html", context)


def public_class(request, waste_class: str):
    info = _class_info(waste_class)
    context = {"info": info, "groups": lookup.by_class(waste_class), "classes": _classes()}
    return render(request, "sorting/lookup/public_class.html", context)


def public_item(request, pk: int):
    item = SortingItem.objects.filter(pk=pk, is_active=True).first()
    if item is None:
        raise Http404(_("该词条不存在或已停用。"))
    related = (
        SortingItem.objects.filter(is_active=True, waste_class=item.waste_class, group=item.group)
        .exclude(pk=item.pk)
        .order_by("name")[:12]
    )
    context = {
        "item": item,
        "info": _class_info(item.waste_class),
        "aliases": lookup.split_aliases(item.aliases),
        "related": related,
    }
    return render(request, "sorting/lookup/public_item.html", context)


public_urlpatterns = [
    path("", public_index, name="index"),
    path("search/", public_search, name="search"),
    path("class/<slug:waste_class>/", public_class, name="class"),
    path("item/<int:pk>/", public_item, name="item"),
]


# --- officials' pages ---------------------------------------------------------------------


class ItemFilterSet(df.FilterSet):
    q = df.CharFilter(label=gettext_lazy("关键词"), method="by_text")
    waste_class = df.ChoiceFilter(label=gettext_lazy("垃圾类别"), choices=WasteClass.choices)
    group = df.CharFilter(label=gettext_lazy("小类"), field_name="group")
    is_active = df.BooleanFilter(label=gettext_lazy("启用"))

    class Meta:
        model = SortingItem
        fields = ["q", "waste_class", "group", "is_active"]

    def by_text(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(aliases__icontains=value))


class ItemForm(ServiceForm):
    class Meta:
        model = SortingItem
        fields = ["name", "aliases", "waste_class", "group", "instruction", "source"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Required, but the service says so (with its code), next to the other problems.
        self.fields["waste_class"].required = False
        self.fields["source"].help_text = _("留空时记为“%(source)s”。") % {
            "source": lookup.EDITED_SOURCE
        }


def _public_link(item) -> str | None:
    return reverse(f"{PUBLIC}:item", args=[item.pk]) if item.is_active else None


CLASS_TONES = {
    WasteClass.RECYCLABLE: "info",
    WasteClass.HAZARDOUS: "bad",
    WasteClass.KITCHEN: "ok",
    WasteClass.OTHER: "muted",
}
ITEM_COLUMNS = (
    column(SortingItem, "name", link=lambda i: reverse(f"{NAMESPACE}:item_detail", args=[i.pk])),
    column(SortingItem, "waste_class", tone=lambda i: CLASS_TONES.get(i.waste_class)),
    column(SortingItem, "group"),
    column(SortingItem, "aliases", width=30),
    column(SortingItem, "instruction", width=48),
    column(SortingItem, "is_active"),
)
ITEM_DETAIL = (
    *ITEM_COLUMNS[:5],
    column(SortingItem, "source", width=40),
    column(SortingItem, "is_active"),
    column(SortingItem, "updated_at"),
    Column(
        gettext_lazy("公众页面"), lambda i: _("查看") if i.is_active else "—", link=_public_link
    ),
)

ITEM = ModelPage(
    model=SortingItem,
    namespace=NAMESPACE,
    slug="item",
    segment="items",
    selector=lookup.item_list,
    filterset=ItemFilterSet,
    columns=ITEM_COLUMNS,
    detail=ITEM_DETAIL,
    form=ItemForm,
    create=lookup.item_create,
    update=lookup.item_update,
    title=gettext_lazy("分类查询词库"),
    description=gettext_lazy(
        "公众“垃圾分类查询”使用的词条：物品、别名、类别（GB/T 19095-2019 四类）和投放要求。"
        "只有市级管理人员可以新增、修改和停用；停用的词条不再对公众显示。"
    ),
)


class ItemDetail(DetailPage):
    """The generic detail page plus the deactivate / restore button and the change log."""

    def get(self, request, pk: int):
        page = self.page
        refusal = require(request, Action.VIEW, SortingItem)
        if refusal is not None:
            return refusal
        actor = request.user
        item = page.selector(actor=actor).filter(pk=pk).first()
        if item is None:
            raise Http404(_("对象不存在或您无权查看。"))
        editable = is_permitted(actor, Action.CHANGE, item)
        related = []
        history = change_history(actor=actor, obj=item)
        total = history.count()
        if total:
            related.append(
                {
                    "title": _("变更记录"),
                    "total": total,
                    "table": table(HISTORY_COLUMNS, history[:HISTORY_LIMIT]),
                    "more": None,
                }
            )
        context = self.context(
            obj=item,
            fields=[(c.header, Cell.of(c, item)) for c in page.detail],
            related=related,
            edit_url=page.url("edit", item.pk) if editable else None,
            toggle_url=reverse(f"{NAMESPACE}:item_toggle", args=[item.pk]) if editable else None,
        )
        return render(request, "sorting/lookup/item_detail.html", context)


@require_POST
@login_required
@domain_errors
def item_toggle(request, pk: int):
    """Deactivate an active item, or restore a deactivated one (POST)."""
    item = lookup.item_list(actor=request.user).filter(pk=pk).first()
    if item is None:
        raise Http404(_("对象不存在或您无权查看。"))
    if item.is_active:
        lookup.item_deactivate(actor=request.user, obj=item)
        messages.success(request, _("已停用“%(name)s”，公众查询不再显示。") % {"name": item.name})
    else:
        lookup.item_activate(actor=request.user, obj=item)
        messages.success(request, _("已恢复“%(name)s”。") % {"name": item.name})
    return redirect(ITEM.url("detail", item.pk))


def _login(view):
    return login_required(view)


kwargs = {"page": ITEM}
urlpatterns = [
    path("", _login(lambda request: redirect(ITEM.url("list"))), name="index"),
    path("items/", _login(ListPage.as_view(**kwargs)), name="item_list"),
    path("items/<int:pk>/", _login(ItemDetail.as_view(**kwargs)), name="item_detail"),
    path("items/options/", _login(OptionsPage.as_view(**kwargs)), name="item_options"),
    path("items/new/", _login(FormPage.as_view(**kwargs)), name="item_add"),
    path("items/<int:pk>/edit/", _login(FormPage.as_view(**kwargs)), name="item_edit"),
    path("items/<int:pk>/toggle/", item_toggle, name="item_toggle"),
]
del kwargs
