"""The demo logins: one account per role and scope, all with one shared demo password.

Created through ``wufei.accounts.services.user_create`` (actor ``None``: the system). The
enterprise accounts, the driver and the sorting guide are bound to units and a street of the
generated city (``Generation.anchors``), so they exist only once a city is generated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from wufei.accounts.choices import Role
from wufei.accounts.departments import DEPARTMENTS
from wufei.accounts.models import Department, User
from wufei.accounts.services import user_create
from wufei.demo.figures import COUNTIES
from wufei.demo.models import Generation
from wufei.demo.sorting import link_guide_login
from wufei.registry.models import Party, Region

# The one shared password of the demo logins, printed with them; never a production account.
DEMO_PASSWORD = "Wufei-demo-2020"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    label: str  # shown as the account's name
    region: str | None = None  # adcode
    department: str | None = None  # Department.code
    anchor: str | None = None  # key of Generation.anchors: the party (or, for guide, region)


LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", Role.ADMIN, _("平台管理员")),
    DemoLogin("city", Role.CITY_OFFICIAL, _("市无废办")),
    *(
        DemoLogin(f"county-{c.slug}", Role.COUNTY_OFFICIAL, f"{c.name}无废办", region=c.adcode)
        for c in COUNTIES
    ),
    *(
        DemoLogin(f"dept-{code}", Role.DEPARTMENT_OFFICIAL, name, department=code)
        for code, name, _name_en, _streams in DEPARTMENTS
    ),
    DemoLogin("ent-hazardous", Role.ENTERPRISE, _("危险废物产生单位管理员"), anchor="hw_generator"),
    DemoLogin("ent-hospital", Role.ENTERPRISE, _("医院医废管理员"), anchor="hospital"),
    DemoLogin("ent-incineration", Role.ENTERPRISE, _("焚烧发电厂管理员"), anchor="incineration"),
    DemoLogin("ent-transporter", Role.ENTERPRISE, _("运输单位调度员"), anchor="transporter"),
    DemoLogin("driver", Role.DRIVER, _("危险货物运输驾驶员"), anchor="transporter"),
    DemoLogin("guide", Role.GUIDE, _("垃圾分类督导员"), anchor="guide_town"),
    DemoLogin("public", Role.PUBLIC, _("公众")),
)


def _bindings(login: DemoLogin, generation: Generation | None) -> dict | None:
    """The region, department and party of ``login``; None when its anchor is missing."""
    fields: dict = {}
    if login.region:
        fields["region"] = Region.objects.get(adcode=login.region)
    if login.department:
        fields["department"] = Department.objects.get(code=login.department)
    if login.anchor:
        anchor_id = (generation.anchors if generation else {}).get(login.anchor)
        if anchor_id is None:
            return None
        if login.role == Role.GUIDE:
            fields["region"] = Region.objects.get(pk=anchor_id)
        else:
            fields["party"] = Party.objects.get(pk=anchor_id)
    return fields


def demo_logins_ensure(*, generation: Generation | None) -> list[User]:
    """Create the demo logins that do not exist yet; return all that exist, in order.

    Existing accounts are left as they are (a second run changes nothing)."""
    users = []
    existing = {
        u.username: u for u in User.objects.filter(username__in=[x.username for x in LOGINS])
    }
    for login in LOGINS:
        user = existing.get(login.username)
        if user is None:
            fields = _bindings(login, generation)
            if fields is None:
                continue
            user = user_create(
                actor=None,
                username=login.username,
                password=DEMO_PASSWORD,
                role=login.role,
                first_name=str(login.label),
                **fields,
            )
        users.append(user)
    link_guide_login()  # the guide login on the roster of its street's guides
    return users


def _place(region: Region) -> str:
    county = region.county
    return f"{county.name}{region.name}" if county and county.pk != region.pk else region.name


def scope_text(user: User) -> str:
    """What the account is limited to, in words (the whole city when nothing)."""
    parts = [str(user.department)] if user.department else []
    if user.party is not None:
        parts += [user.party.name, _place(user.party.region)]
    elif user.region is not None:
        parts.append(_place(user.region))
    return " · ".join(parts) or str(_("全市"))


def login_rows(users: list[User]) -> list[tuple[str, str, str, str]]:
    """(username, role, scope, password) for the table ``wufei demo`` prints."""
    return [(u.username, str(u.get_role_display()), scope_text(u), DEMO_PASSWORD) for u in users]
