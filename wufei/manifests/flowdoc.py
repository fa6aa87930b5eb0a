"""docs/flows.md, rendered from the flow definitions so the two never drift apart
(``wufei flows-doc --write``; a test fails when the file is stale)."""

from __future__ import annotations

from pathlib import Path

from django.utils import translation

from wufei.manifests.flows import FLOWS, STORE, Flow
from wufei.registry.choices import FacilityKind, PermitKind, VehicleKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "flows.md"

HEADER = """# 联单类型与规则来源 · Manifest flows and the source of every rule

Generated from `wufei/manifests/flows.py` by `wufei flows-doc --write`; do not edit by hand.
One engine runs every flow (`wufei/manifests/services.py`); a flow only declares its rules.

Lifecycle of every flow: 草稿 draft → 已提交 submitted (permits checked, pick-up code issued)
→ 已起运 picked up (driver enters the generator's one-time code; weight, vehicle) → 运输中 in
transit → 已接收 received (weighed; accepted in full, in part with a reason, or rejected) → 已完成
completed (method code). Cancel is possible from draft and submitted. Corrections create a new
version approved by every party named on the manifest; the old content is kept.

Hard rules refuse the step (typed error, nothing written). Soft rules raise an alert (the waste
has already moved; the regulator must see it): weight gap beyond tolerance, vehicle unfit,
permit no longer valid at receipt, annual quantity exceeded at receipt, rejection, and the
deadlines swept by `wufei check-alerts`.
"""


def _labels(values, choices) -> str:
    return "、".join(str(choices(v).label) for v in values) or "—"


def _hours(h: int | None) -> str:
    if h is None:
        return "—"
    return f"{h // 24} 天" if h % 24 == 0 and h >= 48 else f"{h} 小时"


def _flow(f: Flow) -> str:
    rows = [
        ("编号前缀", f"`{f.prefix}`"),
        ("废物类别（含子类）", "、".join(f"`{s}`" for s in f.streams)),
        ("须填国家危险废物名录代码", "是" if f.code_required else "否"),
        ("运输单位许可（其一）", _labels(f.transporter_permits, PermitKind)),
        ("接收单位许可（其一）", _labels(f.receiver_permits, PermitKind)),
        ("接收许可须覆盖废物代码", "是" if f.receiver_covers_code else "否"),
        ("核对接收单位年许可量", "是" if f.annual_quantity else "否"),
        ("接收设施类型", _labels(f.receiver_facilities, FacilityKind)),
        ("车型", _labels(f.vehicle_kinds, VehicleKind)),
        (
            "须密闭 / 须危货资质",
            f"{'是' if f.vehicle_sealed else '否'} / {'是' if f.vehicle_hazmat else '否'}",
        ),
        ("磅差容许", f"{f.tolerance * 100:.0f}%"),
        ("起运时限（提交后）", _hours(f.pickup_hours)),
        ("运输时限（起运后）", _hours(f.transit_hours)),
        ("利用处置时限（接收后）", _hours(f.completion_hours)),
        ("暂存时限（登记至起运）", _hours(f.storage_hours)),
        ("完成方式（代码或代码族）", "、".join(f"`{m}`" for m in f.methods) or "—"),
        ("可暂存后另单转出（合并转移）", f"是（以 `{STORE}` 完成）" if f.storage else "否"),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    sources = "\n".join(f"- **{k}**: {v}" for k, v in f.sources.items())
    return f"## {f.name} (`{f.key}`)\n\n| 规则 | 值 |\n|---|---|\n{table}\n\n来源：\n\n{sources}\n"


def render() -> str:
    with translation.override("zh-hans"):
        return HEADER + "\n" + "\n".join(_flow(f) for f in FLOWS.values())
