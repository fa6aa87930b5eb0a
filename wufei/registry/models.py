"""The registry: the city's places, actors, their permits, vehicles and devices, and the
waste catalogue they all speak in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.accounts.scoping import Scope
from wufei.core.models import in_language
from wufei.registry import validators
from wufei.registry.choices import (
    Confidence,
    DeviceKind,
    EffectivePermitStatus,
    FacilityKind,
    FacilityStatus,
    Fate,
    HazardTrait,
    MethodKind,
    PermitKind,
    PermitStatus,
    RegionLevel,
    SiteKind,
    VehicleKind,
)

NON_NEGATIVE = MinValueValidator(Decimal(0), message=_("不能为负数。"))


class Region(models.Model):
    """An administrative division: the city, its counties and zones, their towns."""

    adcode = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=8, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(
        _("层级路径"),
        max_length=64,
        db_index=True,
        editable=False,
        help_text=_("上级区划代码链，如 411000/411002/411002001，用于按辖区筛选。"),
    )
    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    center_lon = models.DecimalField(_("中心经度"), max_digits=9, decimal_places=6, null=True)
    center_lat = models.DecimalField(_("中心纬度"), max_digits=9, decimal_places=6, null=True)
    source = models.CharField(_("数据来源"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(region=("",), public=Q(), reference=True)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["adcode"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def path_for(parent: Region | None, adcode: str) -> str:
        return f"{parent.path}/{adcode}" if parent is not None else adcode

    @property
    def county(self) -> Region | None:
        """The county-level division this region belongs to (itself for a county)."""
        node = self
        while node is not None and node.level not in (RegionLevel.COUNTY, RegionLevel.ZONE):
            node = node.parent
        return node


class CodeList(models.Model):
    """A versioned code list with the source it was loaded from."""

    key = models.SlugField(_("代码表"), max_length=48)
    version = models.CharField(_("版本"), max_length=32)
    name = models.CharField(_("名称"), max_length=120)
    source = models.TextField(_("来源"))
    confidence = models.CharField(_("可信度"), max_length=12, choices=Confidence.choices)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    loaded_at = models.DateTimeField(_("载入时间"), auto_now=True)

    scope = Scope(reference=True)

    class Meta:
        verbose_name = _("代码表")
        verbose_name_plural = _("代码表")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="codelist_key_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"


class Versioned(models.Model):
    """Rows of a code list: valid for a period, tied to the list they came from."""

    code_list = models.ForeignKey(CodeList, verbose_name=_("代码表"), on_delete=models.PROTECT)
    confidence = models.CharField(_("可信度"), max_length=12, choices=Confidence.choices)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    scope = Scope(reference=True)

    class Meta:
        abstract = True

    def is_valid_on(self, day: date) -> bool:
        return self.is_valid_during(day, day)

    def is_valid_during(self, start: date | None, end: date | None) -> bool:
        """Whether this row is in force on at least one day of ``start``..``end``."""
        return (self.valid_from is None or end is None or self.valid_from <= end) and (
            self.valid_to is None or start is None or start <= self.valid_to
        )


class WasteStream(Versioned):
    """A stream of solid waste as the plan manages it (hazardous, kitchen, sludge, …)."""

    code = models.SlugField(_("代码"), max_length=48, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=96, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("废物类别")
        verbose_name_plural = _("废物类别")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return in_language(self.name, self.name_en)

    @classmethod
    def descendant_ids(cls, roots) -> list[int]:
        children: dict[int | None, list[int]] = {}
        for pk, parent in cls.objects.values_list("pk", "parent_id"):
            children.setdefault(parent, []).append(pk)
        out, stack = [], list(roots)
        while stack:
            pk = stack.pop()
            out.append(pk)
            stack.extend(children.get(pk, ()))
        return out


class WasteCategory(Versioned):
    """HW01–HW50, medical waste classes, or a non-hazardous second-level class (S01–S99)."""

    code = models.CharField(_("代码"), max_length=16)
    name = models.CharField(_("名称"), max_length=120)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    stream = models.ForeignKey(
        WasteStream, verbose_name=_("废物类别"), on_delete=models.PROTECT, related_name="categories"
    )

    class Meta:
        verbose_name = _("废物大类")
        verbose_name_plural = _("废物大类")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "code_list"], name="category_code_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class WasteCode(Versioned):
    """One coded waste: ``900-041-49`` (hazardous) or ``XXX-XXX-SXX`` (non-hazardous)."""

    code = models.CharField(
        _("废物代码"),
        max_length=16,
        db_index=True,
        validators=[validators.validate_waste_code_format],
    )
    name = models.CharField(_("名称"), max_length=300)
    category = models.ForeignKey(
        WasteCategory, verbose_name=_("大类"), on_delete=models.PROTECT, related_name="codes"
    )
    industry = models.CharField(_("行业来源"), max_length=64, blank=True)
    hazard_traits = models.CharField(
        _("危险特性"), max_length=16, blank=True, help_text=_("逗号分隔：T, C, I, R, In")
    )
    density_t_per_m3 = models.DecimalField(
        _("密度（吨/立方米）"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[NON_NEGATIVE],
    )

    class Meta:
        verbose_name = _("废物代码")
        verbose_name_plural = _("废物代码")
        ordering = ["category__code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "code_list"], name="waste_code_per_list")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def stream(self) -> WasteStream:
        return self.category.stream

    @property
    def traits(self) -> list[str]:
        return [t for t in self.hazard_traits.split(",") if t]

    def clean(self) -> None:
        try:
            parsed = validators.parse_waste_code(self.code)
        except ValidationError:
            return  # the field validator reports the malformed code on ``code``
        if self.category_id and self.category.code.startswith("HW") != parsed.hazardous:
            raise ValidationError(
                {"category": ValidationError(_("代码与大类不符。"), code="category_mismatch")}
            )
        if parsed.hazardous and self.category_id and parsed.category != self.category.code:
            raise ValidationError(
                {
                    "code": ValidationError(
                        _("危险废物代码末两位应与大类 %(category)s 一致。"),
                        code="category_mismatch",
                        params={"category": self.category.code},
                    )
                }
            )
        unknown = set(self.traits) - set(HazardTrait.values)
        if unknown:
            raise ValidationError(
                {
                    "hazard_traits": ValidationError(
                        _("未知的危险特性：%(traits)s。"),
                        code="unknown_hazard_trait",
                        params={"traits": ", ".join(sorted(unknown))},
                    )
                }
            )


class TreatmentMethod(Versioned):
    """How waste is utilised or disposed: R/D/C/Y codes and the platform's general routes."""

    code = models.CharField(_("方式代码"), max_length=16, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("利用/处置"), max_length=12, choices=MethodKind.choices)
    fate = models.CharField(_("最终去向"), max_length=12, choices=Fate.choices)
    family = models.CharField(_("代码族"), max_length=8)

    class Meta:
        verbose_name = _("利用处置方式")
        verbose_name_plural = _("利用处置方式")
        ordering = ["family", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Party(models.Model):
    """A unit (单位): an enterprise, institution, community or authority, by its credit code."""

    name = models.CharField(_("单位名称"), max_length=120)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        validators=[validators.validate_credit_code],
    )
    region = models.ForeignKey(
        Region, verbose_name=_("注册地"), on_delete=models.PROTECT, related_name="parties"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    industry_code = models.CharField(_("行业代码（GB/T 4754）"), max_length=5, blank=True)
    industry = models.CharField(_("所属行业"), max_length=64, blank=True)
    is_generator = models.BooleanField(_("产生单位"), default=False)
    is_collector = models.BooleanField(_("收集单位"), default=False)
    is_transporter = models.BooleanField(_("运输单位"), default=False)
    is_receiver = models.BooleanField(_("利用处置单位"), default=False)
    is_community = models.BooleanField(_("社区/村"), default=False)
    is_regulator = models.BooleanField(_("监管部门"), default=False)
    is_small_micro = models.BooleanField(_("小微企业"), default=False)
    contact_name = models.CharField(_("联系人"), max_length=32, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    scope = Scope(region=("region", "sites__region"), party=("",), multi_valued=True)

    ROLE_FIELDS = (
        "is_generator",
        "is_collector",
        "is_transporter",
        "is_receiver",
        "is_community",
        "is_regulator",
    )

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def roles(self) -> list[str]:
        return [f.removeprefix("is_") for f in self.ROLE_FIELDS if getattr(self, f)]


class Site(models.Model):
    """A place where waste arises or is handled, with coordinates inside its region."""

    party = models.ForeignKey(
        Party, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="sites"
    )
    name = models.CharField(_("场所名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=SiteKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="sites"
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    lon = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )
    lat = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    is_active = models.BooleanField(_("有效"), default=True)

    scope = Scope(region=("region",), party=("party",))

    class Meta:
        verbose_name = _("场所")
        verbose_name_plural = _("场所")
        ordering = ["name"]
        indexes = [models.Index(fields=["kind", "region"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from wufei.registry.geo import contains

        located = self.region_id and self.lon is not None and self.lat is not None
        if located and not contains(self.region, self.lon, self.lat):
            raise ValidationError(
                {
                    "lon": ValidationError(
                        _("坐标（%(lon)s, %(lat)s）不在%(region)s辖区范围内。"),
                        code="outside_region",
                        params={
                            "lon": self.lon,
                            "lat": self.lat,
                            "region": self.region.county or self.region,
                        },
                    )
                }
            )


class Facility(models.Model):
    """A utilisation, disposal, storage or transfer installation at a site."""

    site = models.ForeignKey(
        Site, verbose_name=_("场所"), on_delete=models.PROTECT, related_name="facilities"
    )
    name = models.CharField(_("设施名称"), max_length=120)
    kind = models.CharField(_("设施类型"), max_length=20, choices=FacilityKind.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=FacilityStatus.choices, default=FacilityStatus.OPERATING
    )
    commissioned_on = models.DateField(_("投运日期"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    scope = Scope(
        region=("site__region",),
        party=("site__party",),
        stream=("capacities__stream",),
        public=Q(status=FacilityStatus.OPERATING),
        multi_valued=True,
    )

    class Meta:
        verbose_name = _("设施")
        verbose_name_plural = _("设施")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def party(self) -> Party:
        return self.site.party


class FacilityCapacity(models.Model):
    """Design capacity of a facility for one stream by one method, in tonnes."""

    facility = models.ForeignKey(
        Facility, verbose_name=_("设施"), on_delete=models.CASCADE, related_name="capacities"
    )
    stream = models.ForeignKey(
        WasteStream, verbose_name=_("废物类别"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.ForeignKey(
        TreatmentMethod, verbose_name=_("利用处置方式"), on_delete=models.PROTECT, related_name="+"
    )
    tonnes_per_day = models.DecimalField(
        _("日处理能力（吨/日）"), max_digits=12, decimal_places=3, validators=[NON_NEGATIVE]
    )
    tonnes_per_year = models.DecimalField(
        _("年处理能力（吨/年）"), max_digits=14, decimal_places=3, validators=[NON_NEGATIVE]
    )
    valid_from = models.DateField(_("起始日期"), null=True, blank=True)
    valid_to = models.DateField(_("截止日期"), null=True, blank=True)
    source = models.CharField(_("数据来源"), max_length=200, blank=True)

    scope = Scope(
        region=("facility__site__region",),
        party=("facility__site__party",),
        stream=("stream",),
        public=Q(facility__status=FacilityStatus.OPERATING),
    )

    class Meta:
        verbose_name = _("设施能力")
        verbose_name_plural = _("设施能力")
        ordering = ["facility", "stream"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tonnes_per_day__gte=0) & Q(tonnes_per_year__gte=0),
                name="capacity_non_negative",
                violation_error_message=_("处理能力不能为负数。"),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="capacity_period_ordered",
                violation_error_message=_("截止日期不能早于起始日期。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.stream} · {self.tonnes_per_day} t/d"


class Permit(models.Model):
    """A licence or approval: who may handle which wastes, how much a year, until when."""

    party = models.ForeignKey(
        Party, verbose_name=_("持证单位"), on_delete=models.PROTECT, related_name="permits"
    )
    facility = models.ForeignKey(
        Facility,
        verbose_name=_("设施"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="permits",
    )
    kind = models.CharField(_("许可类型"), max_length=24, choices=PermitKind.choices)
    number = models.CharField(_("许可证编号"), max_length=64)
    issuer = models.CharField(_("发证机关"), max_length=64)
    stream = models.ForeignKey(
        WasteStream, verbose_name=_("废物类别"), on_delete=models.PROTECT, related_name="+"
    )
    categories = models.ManyToManyField(
        WasteCategory, verbose_name=_("核准大类"), blank=True, related_name="permits"
    )
    waste_codes = models.ManyToManyField(
        WasteCode, verbose_name=_("核准废物代码"), blank=True, related_name="permits"
    )
    annual_tonnes = models.DecimalField(
        _("年许可量（吨）"),
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[NON_NEGATIVE],
    )
    valid_from = models.DateField(_("有效期起"))
    valid_to = models.DateField(_("有效期止"))
    status = models.CharField(
        _("状态"), max_length=12, choices=PermitStatus.choices, default=PermitStatus.ACTIVE
    )

    scope = Scope(
        region=("party__region",), party=("party",), stream=("stream",), party_can_write=False
    )

    class Meta:
        verbose_name = _("许可证")
        verbose_name_plural = _("许可证")
        ordering = ["-valid_to", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")),
                name="permit_period_ordered",
                violation_error_message=_("有效期止不能早于有效期起。"),
            ),
            models.UniqueConstraint(  # a renewal may keep its number, with a new period
                fields=["kind", "number", "valid_from"],
                name="permit_number_per_kind",
                violation_error_code="duplicate_permit_number",
                violation_error_message=_("同类许可证中已有同一起始日期的此编号。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError(
                {
                    "valid_to": ValidationError(
                        _("有效期止（%(end)s）早于有效期起（%(start)s）。"),
                        code="end_before_start",
                        params={"end": self.valid_to, "start": self.valid_from},
                    )
                }
            )
        if self.facility_id and self.party_id and self.facility.site.party_id != self.party_id:
            raise ValidationError(
                {"facility": ValidationError(_("设施不属于持证单位。"), code="facility_not_owned")}
            )

    def effective_status(self, day: date | None = None) -> str:
        day = day or timezone.localdate()
        if self.status != PermitStatus.ACTIVE:
            return self.status
        if day < self.valid_from:
            return EffectivePermitStatus.NOT_YET_VALID
        if day > self.valid_to:
            return EffectivePermitStatus.EXPIRED
        return EffectivePermitStatus.ACTIVE

    def get_effective_status_display(self) -> str:
        return str(EffectivePermitStatus(self.effective_status()).label)

    def covers(self, code: WasteCode) -> bool:
        """Whether this permit covers ``code``: listed itself, by its category, or by stream."""
        codes = {c.pk for c in self.waste_codes.all()}
        categories = {c.pk for c in self.categories.all()}
        if not codes and not categories:
            return code.category.stream_id in WasteStream.descendant_ids([self.stream_id])
        return code.pk in codes or code.category_id in categories


class Device(models.Model):
    """A field device: weighbridge, GPS terminal, bin sensor or smart sorting bin."""

    party = models.ForeignKey(
        Party, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="devices"
    )
    kind = models.CharField(_("设备类型"), max_length=16, choices=DeviceKind.choices)
    serial = models.CharField(_("设备编号"), max_length=64, unique=True)
    site = models.ForeignKey(
        Site,
        verbose_name=_("安装场所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
    )
    model_name = models.CharField(_("型号"), max_length=64, blank=True)
    installed_on = models.DateField(_("安装日期"), null=True, blank=True)
    is_active = models.BooleanField(_("在用"), default=True)

    scope = Scope(region=("site__region", "party__region"), party=("party",))

    class Meta:
        verbose_name = _("设备")
        verbose_name_plural = _("设备")
        ordering = ["serial"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.serial}"

    def clean(self) -> None:
        fixed = {DeviceKind.WEIGHBRIDGE, DeviceKind.BIN_SENSOR, DeviceKind.SMART_BIN}
        if self.kind in fixed and not self.site_id:
            raise ValidationError(
                {"site": ValidationError(_("该类设备必须指定安装场所。"), code="site_required")}
            )


class Vehicle(models.Model):
    """A vehicle of a transporter, with its fitness for the streams it may carry."""

    party = models.ForeignKey(
        Party, verbose_name=_("运输单位"), on_delete=models.PROTECT, related_name="vehicles"
    )
    plate = models.CharField(
        _("车牌号"), max_length=12, unique=True, validators=[validators.validate_plate]
    )
    kind = models.CharField(_("车辆类型"), max_length=16, choices=VehicleKind.choices)
    load_kg = models.DecimalField(
        _("核定载质量（千克）"), max_digits=10, decimal_places=1, validators=[NON_NEGATIVE]
    )
    volume_m3 = models.DecimalField(
        _("容积（立方米）"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[NON_NEGATIVE],
    )
    is_sealed = models.BooleanField(_("密闭"), default=False)
    is_hazmat_certified = models.BooleanField(_("危险货物运输资质"), default=False)
    gps_device = models.OneToOneField(
        Device,
        verbose_name=_("定位终端"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="vehicle",
    )
    is_active = models.BooleanField(_("在用"), default=True)

    scope = Scope(region=("party__region",), party=("party",))

    class Meta:
        verbose_name = _("车辆")
        verbose_name_plural = _("车辆")
        ordering = ["plate"]
        constraints = [
            models.CheckConstraint(condition=Q(load_kg__gte=0), name="vehicle_load_non_negative")
        ]

    def __str__(self) -> str:
        return self.plate

    def clean(self) -> None:
        self.plate = validators.normalise_plate(self.plate)
        if self.gps_device_id and self.gps_device.kind != DeviceKind.GPS:
            raise ValidationError(
                {"gps_device": ValidationError(_("只能绑定车载定位终端。"), code="not_gps")}
            )
        if self.gps_device_id and self.gps_device.party_id != self.party_id:
            raise ValidationError(
                {
                    "gps_device": ValidationError(
                        _("定位终端不属于本单位。"), code="device_not_owned"
                    )
                }
            )
