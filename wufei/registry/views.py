"""The registry's pages, declared once per model (see ``wufei.core.pages``).

Every row comes from a selector (``restrict``), every filter from the model's FilterSet in
``filtersets.py`` (the one the API uses), every write from ``services.py``.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wufei.core.export import Column, column
from wufei.core.pages import ModelPage, Related
from wufei.registry import filtersets, forms, selectors, services
from wufei.registry.choices import Confidence, EffectivePermitStatus, FacilityStatus, HazardTrait
from wufei.registry.models import (
    CodeList,
    Device,
    Facility,
    FacilityCapacity,
    Party,
    Permit,
    Site,
    TreatmentMethod,
    Vehicle,
    WasteCategory,
    WasteCode,
    WasteStream,
)

NAMESPACE = "registry"


def detail(slug: str, attribute: str):
    """``f(row)``: the detail url of the ``slug`` object whose pk is ``row.<attribute>``."""

    def url(row) -> str | None:
        pk = row
        for name in attribute.split("."):
            pk = getattr(pk, name, None)
            if pk is None:
                return None
        return reverse(f"{NAMESPACE}:{slug}_detail", args=[pk])

    return url


def listed(slug: str, parameter: str):
    """``f(obj)``: the ``slug`` list filtered to ``parameter=obj.pk``."""
    return lambda obj: f"{reverse(f'{NAMESPACE}:{slug}_list')}?{parameter}={obj.pk}"


CONFIDENCE_TONES = {
    Confidence.VERIFIED: "ok",
    Confidence.SECONDARY: "info",
    Confidence.RECALLED: "warn",
    Confidence.PLATFORM: "muted",
}
PERMIT_TONES = {
    EffectivePermitStatus.ACTIVE: "ok",
    EffectivePermitStatus.NOT_YET_VALID: "info",
    EffectivePermitStatus.EXPIRED: "bad",
    EffectivePermitStatus.SUSPENDED: "warn",
    EffectivePermitStatus.REVOKED: "bad",
}
FACILITY_TONES = {
    FacilityStatus.OPERATING: "ok",
    FacilityStatus.UNDER_CONSTRUCTION: "info",
    FacilityStatus.PLANNED: "muted",
    FacilityStatus.SUSPENDED: "warn",
    FacilityStatus.CLOSED: "bad",
}
TRAITS = dict(HazardTrait.choices)


def confidence_column(model) -> Column:
    return column(model, "confidence", tone=lambda r: CONFIDENCE_TONES.get(r.confidence))


def active_tone(row) -> str:
    return "ok" if row.is_active else "muted"


def party_roles(party: Party) -> list[str]:
    return [str(Party._meta.get_field(f"is_{role}").verbose_name) for role in party.roles]


def capacity_summary(facility: Facility) -> str:
    return "；".join(
        f"{c.stream.name} {c.method.code} {c.tonnes_per_day.normalize():f} t/d"
        for c in facility.capacities.all()
    )


def total_capacity(facility: Facility):
    return sum((c.tonnes_per_day for c in facility.capacities.all()), start=0) or None


def trait_labels(code: WasteCode) -> list[str]:
    return [f"{t} {TRAITS.get(t, '')}".strip() for t in code.traits]


# --- columns ----------------------------------------------------------------------------

PARTY_NAME = column(Party, "name", link=detail("party", "pk"), width=32)
PARTY_COLUMNS = (
    PARTY_NAME,
    column(Party, "credit_code", width=22),
    column(Party, "region.name"),
    Column(_("单位角色"), party_roles, width=24),
    column(Party, "industry"),
    column(Party, "contact_name"),
    column(Party, "contact_phone"),
    column(Party, "is_active", tone=active_tone, width=8),
)
PARTY_DETAIL = (
    column(Party, "name"),
    column(Party, "credit_code"),
    column(Party, "region.name"),
    column(Party, "address"),
    column(Party, "industry_code"),
    column(Party, "industry"),
    Column(_("单位角色"), party_roles),
    column(Party, "is_small_micro"),
    column(Party, "contact_name"),
    column(Party, "contact_phone"),
    column(Party, "is_active", tone=active_tone),
    column(Party, "created_at"),
)

SITE_COLUMNS = (
    column(Site, "name", link=detail("site", "pk"), width=30),
    column(Site, "kind"),
    column(Site, "party.name", link=detail("party", "party_id"), width=30),
    column(Site, "region.name"),
    column(Site, "address", width=30),
    column(Site, "lon", numeric=True, width=12),
    column(Site, "lat", numeric=True, width=12),
    column(Site, "is_active", tone=active_tone, width=8),
)

FACILITY_COLUMNS = (
    column(Facility, "name", link=detail("facility", "pk"), width=30),
    column(Facility, "kind", width=24),
    column(Facility, "status", tone=lambda f: FACILITY_TONES.get(f.status), width=8),
    column(Facility, "site.name", link=detail("site", "site_id"), width=28),
    Column(_("运营单位"), "site.party.name", link=detail("party", "site.party_id"), width=30),
    Column(_("所在区划"), "site.region.name"),
    Column(_("处理能力"), capacity_summary, width=40),
    Column(_("合计日处理能力（吨/日）"), total_capacity, numeric=True, width=14),
)
FACILITY_DETAIL = (
    column(Facility, "name"),
    column(Facility, "kind"),
    column(Facility, "status", tone=lambda f: FACILITY_TONES.get(f.status)),
    column(Facility, "site.name", link=detail("site", "site_id")),
    Column(_("运营单位"), "site.party.name", link=detail("party", "site.party_id")),
    Column(_("所在区划"), "site.region.name"),
    Column(_("地址"), "site.address"),
    Column(_("经度"), "site.lon"),
    Column(_("纬度"), "site.lat"),
    column(Facility, "commissioned_on"),
    column(Facility, "note"),
)
CAPACITY_COLUMNS = (
    column(FacilityCapacity, "stream.name"),
    Column(_("利用处置方式"), lambda c: str(c.method), width=30),
    column(FacilityCapacity, "tonnes_per_day", numeric=True),
    column(FacilityCapacity, "tonnes_per_year", numeric=True),
    column(FacilityCapacity, "valid_from"),
    column(FacilityCapacity, "valid_to"),
    column(FacilityCapacity, "source", width=30),
)


EXPIRY_WARNING = timedelta(days=90)


def permit_tone(permit: Permit) -> str | None:
    """Green while valid, amber in its last 90 days, red once expired or revoked."""
    status = permit.effective_status()
    ending = permit.valid_to - timezone.localdate() <= EXPIRY_WARNING
    if status == EffectivePermitStatus.ACTIVE and ending:
        return "warn"
    return PERMIT_TONES.get(status)


PERMIT_STATUS = Column(_("有效状态"), "get_effective_status_display", tone=permit_tone, width=10)
PERMIT_COLUMNS = (
    column(Permit, "number", link=detail("permit", "pk"), width=28),
    column(Permit, "kind", width=30),
    column(Permit, "party.name", link=detail("party", "party_id"), width=30),
    column(Permit, "stream.name"),
    column(Permit, "annual_tonnes", numeric=True),
    column(Permit, "valid_from", width=12),
    column(Permit, "valid_to", width=12),
    PERMIT_STATUS,
)
PERMIT_DETAIL = (
    column(Permit, "number"),
    column(Permit, "kind"),
    column(Permit, "party.name", link=detail("party", "party_id")),
    column(Permit, "facility.name", link=detail("facility", "facility_id")),
    column(Permit, "issuer"),
    column(Permit, "stream.name"),
    column(Permit, "annual_tonnes"),
    column(Permit, "valid_from"),
    column(Permit, "valid_to"),
    column(Permit, "status"),
    PERMIT_STATUS,
)

VEHICLE_COLUMNS = (
    column(Vehicle, "plate", link=detail("vehicle", "pk"), width=12),
    column(Vehicle, "kind", width=24),
    column(Vehicle, "party.name", link=detail("party", "party_id"), width=30),
    column(Vehicle, "load_kg", numeric=True),
    column(Vehicle, "volume_m3", numeric=True),
    column(Vehicle, "is_sealed", width=8),
    column(Vehicle, "is_hazmat_certified", width=10),
    column(Vehicle, "gps_device.serial", link=detail("device", "gps_device_id")),
    column(Vehicle, "is_active", tone=active_tone, width=8),
)

DEVICE_COLUMNS = (
    column(Device, "serial", link=detail("device", "pk"), width=20),
    column(Device, "kind"),
    column(Device, "party.name", link=detail("party", "party_id"), width=30),
    column(Device, "site.name", link=detail("site", "site_id"), width=28),
    column(Device, "model_name"),
    column(Device, "installed_on", width=12),
    column(Device, "is_active", tone=active_tone, width=8),
)

WASTE_CODE_COLUMNS = (
    column(WasteCode, "code", link=detail("wastecode", "pk"), width=14),
    column(WasteCode, "name", width=50),
    Column(_("大类"), lambda c: str(c.category), width=24),
    Column(_("废物类别"), "category.stream.name"),
    Column(_("危险特性"), trait_labels, width=16),
    confidence_column(WasteCode),
    Column(_("代码表"), lambda c: str(c.code_list), link=detail("codelist", "code_list_id")),
)
WASTE_CODE_DETAIL = (
    column(WasteCode, "code"),
    column(WasteCode, "name"),
    Column(_("大类"), lambda c: str(c.category)),
    Column(_("废物类别"), "category.stream.name"),
    column(WasteCode, "industry"),
    Column(_("危险特性"), trait_labels),
    column(WasteCode, "density_t_per_m3"),
    confidence_column(WasteCode),
    Column(_("代码表"), lambda c: str(c.code_list), link=detail("codelist", "code_list_id")),
    column(WasteCode, "valid_from"),
    column(WasteCode, "valid_to"),
    column(WasteCode, "note"),
)

CODE_LIST_COLUMNS = (
    column(CodeList, "name", link=detail("codelist", "pk"), width=30),
    column(CodeList, "key"),
    column(CodeList, "version", width=10),
    confidence_column(CodeList),
    Column(_("条目数"), "entry_count", numeric=True, width=10),
    Column(_("其中已核实"), "verified_count", numeric=True, width=10),
    column(CodeList, "valid_from", width=12),
    column(CodeList, "valid_to", width=12),
    column(CodeList, "source", width=60),
)
CODE_LIST_DETAIL = (
    column(CodeList, "name"),
    column(CodeList, "key"),
    column(CodeList, "version"),
    confidence_column(CodeList),
    Column(_("条目数"), "entry_count"),
    Column(_("其中已核实"), "verified_count"),
    column(CodeList, "source"),
    column(CodeList, "valid_from"),
    column(CodeList, "valid_to"),
    column(CodeList, "loaded_at"),
)
METHOD_COLUMNS = (
    column(TreatmentMethod, "code", width=10),
    column(TreatmentMethod, "name", width=40),
    column(TreatmentMethod, "kind"),
    column(TreatmentMethod, "fate"),
    confidence_column(TreatmentMethod),
)
STREAM_COLUMNS = (
    column(WasteStream, "code"),
    column(WasteStream, "name"),
    column(WasteStream, "parent.name"),
    confidence_column(WasteStream),
)
CATEGORY_COLUMNS = (
    column(WasteCategory, "code", width=10),
    column(WasteCategory, "name", width=40),
    column(WasteCategory, "stream.name"),
    confidence_column(WasteCategory),
)


# --- querysets ----------------------------------------------------------------------------


def with_capacities(rows, actor):
    capacities = selectors.capacity_list(actor=actor).select_related("method", "stream")
    return rows.prefetch_related(Prefetch("capacities", queryset=capacities))


ENTRY_MODELS = (WasteStream, WasteCategory, WasteCode, TreatmentMethod)


def _entries(**filters):
    """How many rows of every kind (streams, categories, codes, methods) a list holds."""
    total = None
    for model in ENTRY_MODELS:
        count = Subquery(
            model.objects.filter(code_list=OuterRef("pk"), **filters)
            .order_by()
            .values("code_list")
            .annotate(n=Count("pk"))
            .values("n")
        )
        term = Coalesce(count, 0)
        total = term if total is None else total + term
    return total


def with_code_counts(rows, actor):
    return rows.annotate(
        entry_count=_entries(), verified_count=_entries(confidence=Confidence.VERIFIED)
    )


# --- pages --------------------------------------------------------------------------------

PARTY = ModelPage(
    model=Party,
    namespace=NAMESPACE,
    slug="party",
    segment="parties",
    selector=selectors.party_list,
    filterset=filtersets.PartyFilterSet,
    columns=PARTY_COLUMNS,
    detail=PARTY_DETAIL,
    related=(
        Related(
            _("场所"),
            lambda p, actor: selectors.site_list(actor=actor).filter(party=p),
            SITE_COLUMNS,
            more=listed("site", "party"),
        ),
        Related(
            _("设施"),
            lambda p, actor: with_capacities(
                selectors.facility_list(actor=actor).filter(site__party=p), actor
            ),
            FACILITY_COLUMNS,
        ),
        Related(
            _("许可证"),
            lambda p, actor: selectors.permit_list(actor=actor).filter(party=p),
            PERMIT_COLUMNS,
            more=listed("permit", "party"),
        ),
        Related(
            _("车辆"),
            lambda p, actor: selectors.vehicle_list(actor=actor).filter(party=p),
            VEHICLE_COLUMNS,
            more=listed("vehicle", "party"),
        ),
        Related(
            _("设备"),
            lambda p, actor: selectors.device_list(actor=actor).filter(party=p),
            DEVICE_COLUMNS,
            more=listed("device", "party"),
        ),
    ),
    form=forms.PartyForm,
    create=services.party_create,
    update=services.party_update,
)

SITE = ModelPage(
    model=Site,
    namespace=NAMESPACE,
    slug="site",
    segment="sites",
    selector=selectors.site_list,
    filterset=filtersets.SiteFilterSet,
    columns=SITE_COLUMNS,
    detail=SITE_COLUMNS,
    related=(
        Related(
            _("设施"),
            lambda s, actor: with_capacities(
                selectors.facility_list(actor=actor).filter(site=s), actor
            ),
            FACILITY_COLUMNS,
        ),
        Related(
            _("设备"),
            lambda s, actor: selectors.device_list(actor=actor).filter(site=s),
            DEVICE_COLUMNS,
            more=listed("device", "site"),
        ),
    ),
    form=forms.SiteForm,
    create=services.site_create,
    update=services.site_update,
    initial_from_query=("party",),
)

FACILITY = ModelPage(
    model=Facility,
    namespace=NAMESPACE,
    slug="facility",
    segment="facilities",
    selector=selectors.facility_list,
    filterset=filtersets.FacilityFilterSet,
    columns=FACILITY_COLUMNS,
    detail=FACILITY_DETAIL,
    related=(
        Related(
            _("处理能力"),
            lambda f, actor: selectors.capacity_list(actor=actor).filter(facility=f),
            CAPACITY_COLUMNS,
        ),
        Related(
            _("许可证"),
            lambda f, actor: selectors.permit_list(actor=actor).filter(facility=f),
            PERMIT_COLUMNS,
        ),
    ),
    list_queryset=with_capacities,
    form=forms.FacilityForm,
    create=services.facility_create,
    update=services.facility_update,
)

CAPACITY = ModelPage(
    model=FacilityCapacity,
    namespace=NAMESPACE,
    slug="capacity",
    segment="capacities",
    selector=selectors.capacity_list,
    filterset=filtersets.CapacityFilterSet,
    columns=(
        column(FacilityCapacity, "facility.name", link=detail("facility", "facility_id"), width=30),
        *CAPACITY_COLUMNS,
    ),
    detail=(column(FacilityCapacity, "facility.name"), *CAPACITY_COLUMNS),
    form=forms.CapacityForm,
    create=services.capacity_create,
    update=services.capacity_update,
)

PERMIT = ModelPage(
    model=Permit,
    namespace=NAMESPACE,
    slug="permit",
    segment="permits",
    selector=selectors.permit_list,
    filterset=filtersets.PermitFilterSet,
    columns=PERMIT_COLUMNS,
    detail=PERMIT_DETAIL,
    related=(
        Related(
            _("核准大类"),
            lambda p, actor: p.categories.select_related("stream"),
            CATEGORY_COLUMNS,
            limit=100,
        ),
        Related(
            _("核准废物代码"),
            lambda p, actor: p.waste_codes.select_related("category__stream", "code_list"),
            WASTE_CODE_COLUMNS,
            limit=200,
        ),
    ),
    form=forms.PermitForm,
    create=services.permit_create,
    update=services.permit_update,
    initial_from_query=("party", "facility"),
)

VEHICLE = ModelPage(
    model=Vehicle,
    namespace=NAMESPACE,
    slug="vehicle",
    segment="vehicles",
    selector=selectors.vehicle_list,
    filterset=filtersets.VehicleFilterSet,
    columns=VEHICLE_COLUMNS,
    detail=VEHICLE_COLUMNS,
    form=forms.VehicleForm,
    create=services.vehicle_create,
    update=services.vehicle_update,
    initial_from_query=("party",),
)

DEVICE = ModelPage(
    model=Device,
    namespace=NAMESPACE,
    slug="device",
    segment="devices",
    selector=selectors.device_list,
    filterset=filtersets.DeviceFilterSet,
    columns=DEVICE_COLUMNS,
    detail=DEVICE_COLUMNS,
    related=(
        Related(
            _("绑定车辆"),
            lambda d, actor: selectors.vehicle_list(actor=actor).filter(gps_device=d),
            VEHICLE_COLUMNS,
        ),
    ),
    form=forms.DeviceForm,
    create=services.device_create,
    update=services.device_update,
    initial_from_query=("party", "site"),
)

WASTE_CODE = ModelPage(
    model=WasteCode,
    namespace=NAMESPACE,
    slug="wastecode",
    segment="waste-codes",
    selector=selectors.waste_code_list,
    filterset=filtersets.WasteCodeFilterSet,
    columns=WASTE_CODE_COLUMNS,
    detail=WASTE_CODE_DETAIL,
    title=_("废物名录"),
    description=_(
        "废物代码按大类、废物类别和危险特性列出；“可信度”一列说明该条目是否已与官方来源核对。"
    ),
)

CODE_LIST = ModelPage(
    model=CodeList,
    namespace=NAMESPACE,
    slug="codelist",
    segment="code-lists",
    selector=selectors.code_list_list,
    filterset=filtersets.CodeListFilterSet,
    columns=CODE_LIST_COLUMNS,
    detail=CODE_LIST_DETAIL,
    related=(
        Related(
            _("废物代码"),
            lambda c, actor: c.wastecode_set.select_related("category__stream", "code_list"),
            WASTE_CODE_COLUMNS,
            more=listed("wastecode", "code_list"),
            limit=50,
        ),
        Related(
            _("废物大类"),
            lambda c, actor: c.wastecategory_set.select_related("stream"),
            CATEGORY_COLUMNS,
            limit=100,
        ),
        Related(
            _("废物类别"),
            lambda c, actor: c.wastestream_set.select_related("parent"),
            STREAM_COLUMNS,
            limit=100,
        ),
        Related(
            _("利用处置方式"),
            lambda c, actor: c.treatmentmethod_set.all(),
            METHOD_COLUMNS,
            limit=100,
        ),
    ),
    list_queryset=with_code_counts,
    detail_queryset=with_code_counts,
    title=_("代码表与来源"),
    description=_(
        "平台使用的每一张代码表及其来源与可信度：“已核实”指已与官方发布文本核对；"
        "“二手来源”“据记忆，未核实”的条目在正式使用前须核对原文。"
    ),
)

PAGES = (PARTY, SITE, FACILITY, CAPACITY, PERMIT, VEHICLE, DEVICE, WASTE_CODE, CODE_LIST)
