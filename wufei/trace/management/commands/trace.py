"""``wufei trace CODE [--backward] [--json] [--user NAME]``: a trace as a Chinese text table."""

from __future__ import annotations

import json
import unicodedata
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from wufei.accounts.models import User
from wufei.core.errors import WufeiError
from wufei.trace import selectors

# The operator at the console sees everything (as an administrator would).
CONSOLE = SimpleNamespace(is_authenticated=True, is_superuser=True, party_id=None, pk=None)


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(headers: list[str], rows: list[list]) -> list[str]:
    cells = [[str(v if v is not None else "") for v in row] for row in [headers, *rows]]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(v + " " * (w - width(v)) for v, w in zip(row, widths, strict=True))

    return [line(cells[0]), "  ".join("-" * w for w in widths), *map(line, cells[1:])]


def when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def render(trace: selectors.Trace) -> str:
    forward = trace.direction == selectors.FORWARD
    title = _("正向追溯") if forward else _("反向追溯")
    out = [f"{title}：{'、'.join(trace.start)}", ""]
    if forward:
        out.append(_("最终去向"))
        rows = [
            [
                n.code,
                n.kind_label,
                n.waste_code or n.stream_name,
                n.mass_kg,
                n.state_label,
                f"{n.method_code} {n.method_name}（{n.fate_label}）" if n.is_treated else "",
                n.facility_name,
                n.holder_name,
                n.region,
            ]
            for n in trace.destinations
        ]
        headers = ["追溯码", "类型", "废物", "质量（千克）", "状态", "利用处置方式", "设施"]
        headers += ["持有单位", "区县"]
    else:
        out.append(_("来源"))
        rows = [
            [
                n.code,
                n.kind_label,
                n.waste_code or n.stream_name,
                n.mass_kg,
                n.origin_name,
                n.region,
                when(n.created_at),
            ]
            for n in trace.sources
        ]
        headers = ["追溯码", "类型", "废物", "质量（千克）", "产生单位", "区县", "登记时间"]
    out += [*table([_(h) for h in headers], rows), "", _("转移联单")]
    out += table(
        [
            _(h)
            for h in (
                "联单",
                "移出单位",
                "运输单位",
                "接收单位",
                "状态",
                "起运",
                "接收",
                "接收量（千克）",
                "利用处置方式",
                "容器",
            )
        ],
        [
            [
                leg.number,
                leg.from_party,
                leg.via_party,
                leg.to_party,
                leg.state_label,
                when(leg.started_at),
                when(leg.ended_at),
                leg.accepted_kg,
                f"{leg.method_code} {leg.method_name}".strip(),
                " ".join(leg.containers),
            ]
            for leg in trace.legs
        ],
    )
    out += ["", _("容器关系")]
    out += [
        f"{'  ' * depth}{'└ ' + label + ' ' if label else ''}{n.code} {n.kind_label} "
        f"{n.mass_kg} {_('千克')} {n.state_label}"
        for depth, n, label in trace.tree()
    ]
    out += ["", _("台账时间线")]
    out += table(
        [_(h) for h in ("时间", "链", "序号", "事件", "签名单位", "签名人")],
        [[when(e.at), e.chain, e.seq, e.kind_label, e.party, e.actor] for e in trace.events],
    )
    if trace.truncated:
        out += ["", _("关联容器过多，仅显示前 %(n)s 个。") % {"n": selectors.MAX_NODES}]
    return "\n".join(out)


class Command(BaseCommand):
    help = "追溯一个容器（或反向追溯一份联单）：时间线、转移联单与最终去向。Trace a container."

    def add_arguments(self, parser):
        parser.add_argument("code", help="追溯码、标签网址，或（--backward）联单编号")
        parser.add_argument("--backward", action="store_true", help="反向追溯：来源")
        parser.add_argument("--json", action="store_true", help="JSON（与 API 相同）")
        parser.add_argument("--user", help="以该用户的权限查询（默认：控制台，全部可见）")

    def handle(self, *args, **o):
        actor = CONSOLE
        if o["user"]:
            actor = User.objects.filter(username=o["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {o['user']!r}")
        find = selectors.trace_backward if o["backward"] else selectors.trace_forward
        try:
            trace = find(actor=actor, code=o["code"])
        except WufeiError as exc:
            raise CommandError(str(exc.message)) from exc
        if o["json"]:
            from wufei.trace.api import TraceSerializer

            data = TraceSerializer(trace).data
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render(trace))
