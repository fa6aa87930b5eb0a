"""Suite-wide fixtures: services the tests need, and the rule that CI never skips them."""

import os
import shutil

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


# CI gates a landing: there the property tests draw the same examples every run, so a red run
# is a regression and not a case drawn for the first time on a loaded machine; runs elsewhere
# keep drawing new examples, which is where new cases are found.
hypothesis_settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
if in_ci():
    hypothesis_settings.load_profile("ci")


def require(condition: bool, what: str, how: str) -> None:
    """Skip (locally) or fail (in CI) when a service or tool is missing."""
    if condition:
        return
    message = f"{what} is not available: {how}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def chromium_path() -> str | None:
    return os.environ.get("WUFEI_CHROMIUM") or shutil.which("chromium")


@pytest.fixture(autouse=True)
def _default_language():
    """A request with an English header must not leave English active for the next test."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    require(
        path is not None,
        "Debian chromium",
        "install it with `apt-get install chromium` (or set WUFEI_CHROMIUM to a Chromium binary)",
    )
    return path


@pytest.fixture(scope="session")
def broker() -> tuple[str, int]:
    """The MQTT broker (Mosquitto at 127.0.0.1:1883 unless WUFEI_MQTT_URL says otherwise)."""
    from urllib.parse import urlparse

    from wufei.core.health import check_mqtt, mqtt_url

    try:
        check_mqtt(timeout=3.0)
        reachable = True
    except Exception:  # any failure to connect means: no broker here
        reachable = False
    require(
        reachable,
        f"the MQTT broker at {mqtt_url()}",
        "install and start Mosquitto (apt-get install mosquitto) or set WUFEI_MQTT_URL",
    )
    parsed = urlparse(mqtt_url())
    return parsed.hostname or "127.0.0.1", parsed.port or 1883
