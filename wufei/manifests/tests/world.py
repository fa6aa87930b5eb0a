"""A small world for manifest tests: one chain of parties per flow, users for every role.

``hazardous_world()`` builds a generator in 魏都区, a licensed transporter and a licensed
receiver in 长葛市, their permits, a hazmat vehicle, and users: the three clerks, a driver,
an unrelated enterprise, both county officials, the city, the ecology bureau and the public.
``run_to(world, manifest, state)`` drives a manifest through the services to ``state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from wufei.accounts.models import Department, User
from wufei.accounts.tests.factories import UserFactory
from wufei.manifests import services
from wufei.manifests.choices import State
from wufei.registry.models import (
    Facility,
    Party,
    Permit,
    Site,
    TreatmentMethod,
    Vehicle,
    WasteCode,
    WasteStream,
)
from wufei.registry.tests import factories
from wufei.trace.services import NewContainer

WEIDU, CHANGGE = "411002", "411082"
HW_CODE = "900-041-49"


@dataclass
class World:
    stream: WasteStream
    code: WasteCode
    generator: Party
    generator_site: Site
    transporter: Party
    receiver: Party
    facility: Facility
    receiver_permit: Permit
    transporter_permit: Permit
    vehicle: Vehicle
    method: TreatmentMethod
    clerk: User  # the generator's
    carrier: User  # the transporter's clerk
    driver: User
    receiver_clerk: User
    stranger: User  # an enterprise not on the manifest
    county_weidu: User
    county_changge: User
    county_other: User
    city: User
    ecology: User
    public: User

    def signers(self) -> list[User]:
        return [self.clerk, self.carrier, self.driver, self.receiver_clerk]

    def everyone(self) -> list[User]:
        return [
            *self.signers(),
            self.stranger,
            self.county_weidu,
            self.county_changge,
            self.county_other,
            self.city,
            self.ecology,
            self.public,
        ]

    def data(self, *, masses=("200", "150.5"), **overrides) -> services.ManifestInput:
        values = dict(
            flow="hazardous",
            stream=self.stream,
            waste_code=self.code,
            transporter=self.transporter,
            receiver=self.receiver,
            receiver_facility=self.facility,
            generator_site=self.generator_site,
            containers=[NewContainer(kind="drum", stream=self.stream, mass_kg=m) for m in masses],
        )
        values.update(overrides)
        return services.ManifestInput(**values)


def user(**fields) -> User:
    """A user without a usable password: these tests sign in with ``force_login`` or call
    services directly, and hashing a password with Argon2 costs 0.2 s per user."""
    return UserFactory(password=None, **fields)


def hazardous_world(*, annual_tonnes: Decimal = Decimal("1000")) -> World:
    weidu, changge = factories.region(WEIDU), factories.region(CHANGGE)
    stream = WasteStream.objects.get(code="hazardous")
    code = WasteCode.objects.filter(code=HW_CODE).order_by("-valid_from").first()
    generator = factories.PartyFactory(name="魏都机械厂", region=weidu, is_generator=True)
    site = factories.SiteFactory(party=generator, region=weidu, kind="factory")
    transporter = factories.PartyFactory(
        name="长葛危货运输", region=changge, is_transporter=True, is_generator=False
    )
    receiver = factories.PartyFactory(
        name="长葛危废处置", region=changge, is_receiver=True, is_generator=False
    )
    facility = factories.FacilityFactory(
        site=factories.SiteFactory(party=receiver, region=changge, kind="treatment"),
        kind="hazardous",
    )
    receiver_permit = factories.PermitFactory(
        party=receiver, facility=facility, kind="hw_operation", annual_tonnes=annual_tonnes
    )
    receiver_permit.waste_codes.set([code])
    transporter_permit = factories.PermitFactory(
        party=transporter,
        kind="dg_transport",
        number="豫交运管许可许字411000000001号",
        annual_tonnes=None,
    )
    vehicle = factories.VehicleFactory(party=transporter, kind="hazmat", load_kg=Decimal("8000"))
    other = factories.PartyFactory(name="无关企业", region=weidu)
    ecology = Department.objects.get(code="ecology")
    return World(
        stream=stream,
        code=code,
        generator=generator,
        generator_site=site,
        transporter=transporter,
        receiver=receiver,
        facility=facility,
        receiver_permit=receiver_permit,
        transporter_permit=transporter_permit,
        vehicle=vehicle,
        method=TreatmentMethod.objects.get(code="D10"),
        clerk=user(role="enterprise", party=generator),
        carrier=user(role="enterprise", party=transporter),
        driver=user(role="driver", party=transporter),
        receiver_clerk=user(role="enterprise", party=receiver),
        stranger=user(role="enterprise", party=other),
        county_weidu=user(role="county", region=weidu),
        county_changge=user(role="county", region=changge),
        county_other=user(role="county", region=factories.region("411024")),
        city=user(role="city"),
        ecology=user(role="department", department=ecology),
        public=user(role="public"),
    )


ORDER = [
    State.DRAFT,
    State.SUBMITTED,
    State.PICKED_UP,
    State.IN_TRANSIT,
    State.RECEIVED,
    State.COMPLETED,
]


def run_to(w: World, state: str, *, pickup_kg="350.5", received_kg="350.5", manifest=None):
    """A manifest of ``w`` driven through the services until it reaches ``state``."""
    m = manifest
    if m is None:
        m, _ = services.manifest_create(actor=w.clerk, data=w.data(), submit=False)
    steps = {
        State.SUBMITTED: lambda m: services.manifest_submit(actor=w.clerk, manifest=m),
        State.PICKED_UP: lambda m: services.manifest_pick_up(
            actor=w.driver,
            manifest=m,
            signing_code_entered=services.signing_code(m),
            pickup_kg=pickup_kg,
            vehicle=w.vehicle,
        ),
        State.IN_TRANSIT: lambda m: services.manifest_depart(actor=w.driver, manifest=m),
        State.RECEIVED: lambda m: services.manifest_receive(
            actor=w.receiver_clerk, manifest=m, received_kg=received_kg
        ),
        State.COMPLETED: lambda m: services.manifest_complete(
            actor=w.receiver_clerk, manifest=m, method=w.method
        ),
    }
    for target in ORDER[ORDER.index(m.state) + 1 : ORDER.index(state) + 1]:
        m = steps[target](m)
    return m
