"""factory_boy factories for registry rows (tests and benchmarks only)."""

from decimal import Decimal
from itertools import count

import factory

from wufei.registry import models
from wufei.registry.validators import make_credit_code

_serial = count(1)


def region(adcode: str) -> models.Region:
    return models.Region.objects.get(adcode=adcode)


class PartyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Party

    name = factory.Sequence(lambda n: f"测试单位{n}")
    region = factory.LazyFunction(lambda: region("411002"))
    credit_code = factory.LazyAttribute(lambda o: make_credit_code(o.region.adcode, next(_serial)))
    is_generator = True


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Site

    party = factory.SubFactory(PartyFactory)
    name = factory.Sequence(lambda n: f"测试场所{n}")
    kind = "factory"
    region = factory.LazyAttribute(lambda o: o.party.region)
    lon = factory.LazyAttribute(lambda o: o.region.county.center_lon)
    lat = factory.LazyAttribute(lambda o: o.region.county.center_lat)


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Facility

    site = factory.SubFactory(SiteFactory, kind="treatment")
    name = factory.Sequence(lambda n: f"测试设施{n}")
    kind = "hazardous"


class CapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FacilityCapacity

    facility = factory.SubFactory(FacilityFactory)
    stream = factory.LazyFunction(lambda: models.WasteStream.objects.get(code="hazardous"))
    method = factory.LazyFunction(lambda: models.TreatmentMethod.objects.get(code="D10"))
    tonnes_per_day = Decimal("30")
    tonnes_per_year = Decimal("9900")


class PermitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Permit

    party = factory.SubFactory(PartyFactory, is_receiver=True)
    kind = "hw_operation"
    number = factory.Sequence(lambda n: f"豫环许可危废字{n:04d}号")
    issuer = "河南省生态环境厅"
    stream = factory.LazyFunction(lambda: models.WasteStream.objects.get(code="hazardous"))
    annual_tonnes = Decimal("10000")
    valid_from = factory.Faker("date_between", start_date="-2y", end_date="-1y")
    valid_to = factory.Faker("date_between", start_date="+1y", end_date="+3y")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Device

    party = factory.SubFactory(PartyFactory)
    kind = "gps"
    serial = factory.Sequence(lambda n: f"GPS{n:06d}")


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Vehicle

    party = factory.SubFactory(PartyFactory, is_transporter=True)
    plate = factory.Sequence(lambda n: f"豫K{n % 100000:05d}")
    kind = "hazmat"
    load_kg = Decimal("8000")
    is_sealed = True
    is_hazmat_certified = True
