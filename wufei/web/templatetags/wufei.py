"""Template helpers of the pages: how a cell value reads, badges, minutes."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()

EMPTY = "—"


@register.filter
def shown(value):
    """A value as a table cell shows it: 是/否, local time, lists joined, no trailing zeros."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = f"{value.normalize():,f}"
        return text
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value) or EMPTY
    return value


@register.simple_tag
def cell(item):
    """A table cell's content: a link when the column links, a badge when it has a tone."""
    text = shown(item.value)
    if item.tone:
        text = format_html('<span class="badge badge-{}">{}</span>', item.tone, text)
    if item.url:
        return format_html('<a href="{}">{}</a>', item.url, text)
    return format_html("{}", text)


@register.filter
def minutes(value):
    """Whole minutes of a timedelta (15 for django-axes' cool-off)."""
    if isinstance(value, timedelta):
        return int(value.total_seconds() // 60)
    return value
