"""The fields a user may write, per model: one list serves the pages' forms and the API's
input serializers, so a page and the API can never accept different things."""

from wufei.registry.models import Party

PARTY = (
    "name",
    "credit_code",
    "region",
    "address",
    "industry_code",
    "industry",
    *Party.ROLE_FIELDS,
    "is_small_micro",
    "contact_name",
    "contact_phone",
    "is_active",
)
SITE = ("party", "name", "kind", "region", "address", "lon", "lat", "is_active")
FACILITY = ("site", "name", "kind", "status", "commissioned_on", "note")
CAPACITY = (
    "facility",
    "stream",
    "method",
    "tonnes_per_day",
    "tonnes_per_year",
    "valid_from",
    "valid_to",
    "source",
)
PERMIT = (
    "party",
    "facility",
    "kind",
    "number",
    "issuer",
    "stream",
    "categories",
    "waste_codes",
    "annual_tonnes",
    "valid_from",
    "valid_to",
    "status",
)
VEHICLE = (
    "party",
    "plate",
    "kind",
    "load_kg",
    "volume_m3",
    "is_sealed",
    "is_hazmat_certified",
    "gps_device",
    "is_active",
)
DEVICE = ("party", "kind", "serial", "site", "model_name", "installed_on", "is_active")
