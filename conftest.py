"""Suite-wide fixtures: services the tests need, and the rule that CI never skips them."""

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


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
