"""The numbers the stream rules compare against, as data, and the one service that changes them.

Defaults live here (each with its unit, bounds and a line of help) so a fresh platform works
without configuration; a ``Threshold`` row overrides a default. The watcher reads all of them
once per run (``Thresholds.load()``), so a change made on the page applies from the next run,
and no worker keeps a stale copy in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wufei.accounts.choices import Role
from wufei.accounts.scoping import role_of
from wufei.core.errors import FieldError, Invalid, NotPermitted
from wufei.core.services import log_change
from wufei.iot.models import Threshold
from wufei.registry.choices import DeviceKind


@dataclass(frozen=True)
class Spec:
    key: str
    label: str | Promise
    unit: str | Promise
    default: Decimal
    min: Decimal
    max: Decimal
    help: str | Promise


def _spec(key, label, unit, default, low, high, help_text) -> Spec:
    return Spec(key, label, unit, Decimal(default), Decimal(low), Decimal(high), help_text)


KM, M, MIN, KMH, PCT, KG = (
    gettext_lazy("千米"),
    gettext_lazy("米"),
    gettext_lazy("分钟"),
    gettext_lazy("千米/时"),
    "%",
    gettext_lazy("千克"),
)

SPECS: tuple[Spec, ...] = (
    _spec(
        "corridor_km",
        gettext_lazy("路线走廊半宽"),
        KM,
        "3",
        "0.2",
        "50",
        gettext_lazy("车辆离起点—终点连线超过此距离视为偏离路线（连续两个定位点）。"),
    ),
    _spec(
        "stop_minutes",
        gettext_lazy("异常停留时长"),
        MIN,
        "20",
        "3",
        "600",
        gettext_lazy("载货车辆在已知场所以外停留超过此时长，预警疑似偷倒。"),
    ),
    _spec(
        "site_radius_m",
        gettext_lazy("已知场所半径"),
        M,
        "300",
        "20",
        "5000",
        gettext_lazy("停车点距登记场所在此距离内，视为在场所内停靠。"),
    ),
    _spec(
        "stop_speed_kmh",
        gettext_lazy("停车速度"),
        KMH,
        "3",
        "0",
        "20",
        gettext_lazy("速度低于此值的定位点视为停车。"),
    ),
    _spec(
        "ticket_gap_pct",
        gettext_lazy("两端过磅差率"),
        PCT,
        "5",
        "0.1",
        "50",
        gettext_lazy("出场与进场过磅净重之差超过出场净重的此比例，且超过下方最小差值，则预警。"),
    ),
    _spec(
        "ticket_gap_kg",
        gettext_lazy("两端过磅最小差值"),
        KG,
        "50",
        "0",
        "5000",
        gettext_lazy("差值不超过此重量时不预警，避免小车次因地磅分度值误报。"),
    ),
    _spec(
        "bin_full_pct",
        gettext_lazy("满桶"),
        PCT,
        "80",
        "30",
        "100",
        gettext_lazy("满溢度达到此值，预警“垃圾桶满溢”（警告）。"),
    ),
    _spec(
        "bin_overflow_pct",
        gettext_lazy("溢出"),
        PCT,
        "95",
        "30",
        "120",
        gettext_lazy("满溢度达到此值，预警升为严重。"),
    ),
    _spec(
        "bin_emptied_pct",
        gettext_lazy("已清运"),
        PCT,
        "30",
        "0",
        "90",
        gettext_lazy("之后的读数低于此值，视为已清运，自动解除预警。"),
    ),
    _spec(
        "silence_gps_min",
        gettext_lazy("车载定位终端离线"),
        MIN,
        "30",
        "1",
        "10080",
        gettext_lazy("超过此时长未上报，预警设备离线。"),
    ),
    _spec(
        "silence_weighbridge_min",
        gettext_lazy("地磅离线"),
        MIN,
        "1440",
        "10",
        "20160",
        gettext_lazy("超过此时长未上报，预警设备离线（地磅夜间停用，宜较长）。"),
    ),
    _spec(
        "silence_bin_sensor_min",
        gettext_lazy("满溢传感器离线"),
        MIN,
        "360",
        "10",
        "20160",
        gettext_lazy("超过此时长未上报，预警设备离线。"),
    ),
    _spec(
        "silence_smart_bin_min",
        gettext_lazy("智能分类回收箱离线"),
        MIN,
        "720",
        "10",
        "20160",
        gettext_lazy("超过此时长未上报，预警设备离线。"),
    ),
    _spec(
        "overlap_min",
        gettext_lazy("规则重读窗口"),
        MIN,
        "10",
        "1",
        "1440",
        gettext_lazy("每次检查重读此前这段时间内到达的报文，以免并发写入的报文被漏检。"),
    ),
)
SPEC_BY_KEY: dict[str, Spec] = {s.key: s for s in SPECS}
SILENCE_KEY: dict[str, str] = {kind: f"silence_{kind}_min" for kind in DeviceKind.values}
EDITOR_DEPARTMENTS = ("ecology", "urban")


def _spec_of(key: str) -> Spec:
    try:
        return SPEC_BY_KEY[key]
    except KeyError:
        raise Invalid([FieldError("key", "unknown_threshold", _("没有这个阈值参数。"))]) from None


class Thresholds:
    """All thresholds, read in one query: the watcher takes one per run."""

    def __init__(self, overrides: dict[str, Decimal]):
        self._values = {s.key: overrides.get(s.key, s.default) for s in SPECS}

    @classmethod
    def load(cls) -> Thresholds:
        rows = Threshold.objects.filter(key__in=SPEC_BY_KEY).values_list("key", "value")
        return cls(dict(rows))

    def __getitem__(self, key: str) -> Decimal:
        return self._values[_spec_of(key).key]

    def as_float(self, key: str) -> float:
        return float(self[key])


def threshold(key: str) -> Decimal:
    """One threshold's value now: the official's setting, else the default."""
    spec = _spec_of(key)
    value = Threshold.objects.filter(key=key).values_list("value", flat=True).first()
    return spec.default if value is None else value


def may_set_thresholds(actor) -> bool:
    """Thresholds are city-wide: the platform admin, and city or county officials of the
    bureaus that run collection and transport (ecology for hazardous and industrial waste,
    urban management for household and construction waste). A city official without a
    bureau speaks for the city government and may too."""
    role = role_of(actor)
    if role in (Role.ADMIN, Role.CITY_OFFICIAL):
        department = getattr(actor, "department", None)
        return role == Role.ADMIN or department is None or department.code in EDITOR_DEPARTMENTS
    if role in (Role.COUNTY_OFFICIAL, Role.DEPARTMENT_OFFICIAL):
        department = getattr(actor, "department", None)
        return department is not None and department.code in EDITOR_DEPARTMENTS
    return False


def parse_value(spec: Spec, value) -> Decimal:
    """``value`` as a number within the spec's bounds, or Invalid with a stable code."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = Decimal("NaN")
    if not number.is_finite():
        raise Invalid([FieldError("value", "invalid_number", _("请输入数字。"))])
    if not spec.min <= number <= spec.max:
        raise Invalid(
            [
                FieldError(
                    "value",
                    "out_of_range",
                    _("%(label)s须在 %(min)s 至 %(max)s %(unit)s之间。")
                    % {"label": spec.label, "min": spec.min, "max": spec.max, "unit": spec.unit},
                )
            ]
        )
    return number.quantize(Decimal("0.001"))


def _check_consistent(key: str, value: Decimal, current: Thresholds) -> None:
    """Bin levels must stay ordered (emptied < full ≤ overflow), or the alert would flap."""
    levels = {k: current[k] for k in ("bin_emptied_pct", "bin_full_pct", "bin_overflow_pct")}
    if key not in levels:
        return
    levels[key] = value
    if not levels["bin_emptied_pct"] < levels["bin_full_pct"] <= levels["bin_overflow_pct"]:
        raise Invalid(
            [
                FieldError(
                    "value",
                    "levels_out_of_order",
                    _("须满足：已清运 < 满桶 ≤ 溢出（当前 %(e)s / %(f)s / %(o)s）。")
                    % {
                        "e": levels["bin_emptied_pct"],
                        "f": levels["bin_full_pct"],
                        "o": levels["bin_overflow_pct"],
                    },
                )
            ]
        )


def threshold_set(*, actor, key: str, value) -> Threshold:
    """Change one threshold (city-wide); the change is logged with who made it."""
    if not may_set_thresholds(actor):
        raise NotPermitted(_("只有生态环境、城市管理部门的管理人员可以修改预警阈值。"))
    spec = _spec_of(key)
    number = parse_value(spec, value)
    with transaction.atomic():
        Threshold.objects.select_for_update().filter(key=key).first()
        _check_consistent(key, number, Thresholds.load())
        row, _created = Threshold.objects.update_or_create(
            key=key,
            defaults={"value": number, "updated_at": timezone.now(), "updated_by": actor},
        )
        log_change(actor=actor, obj=row, action="update", data={"key": key, "value": str(number)})
    return row
