"""The report pages and API mounted where the lead mounts them (cases/reports/, public/reports/,
api/v1/cases/reports), for the report tests; ``pytest.mark.urls`` points here. Once the lead's
wufei/urls.py includes them, the extra patterns below are simply not added."""

import pytest
from django.urls import NoReverseMatch, include, path, reverse
from rest_framework.routers import SimpleRouter

import wufei.urls
from wufei.cases.report_api import ROUTES


def _mounted(name: str) -> bool:
    try:
        reverse(name, urlconf=wufei.urls)
    except NoReverseMatch:
        return False
    return True


_router = SimpleRouter()
for _prefix, _viewset in ROUTES:
    _router.register(_prefix, _viewset, basename=_prefix)

urlpatterns = [
    *(
        []
        if _mounted("reports:list")
        else [path("cases/reports/", include("wufei.cases.report_urls"))]
    ),
    *(
        []
        if _mounted("report-public:lookup")
        else [path("public/reports/", include("wufei.cases.report_public_urls"))]
    ),
    *([] if _mounted("cases/reports-list") else [path("api/v1/", include(_router.urls))]),
    *wufei.urls.urlpatterns,
]

URLS = pytest.mark.urls(__name__)


@URLS
def test_the_report_addresses():
    assert reverse("report-public:new") == "/public/reports/new/"
    assert reverse("report-public:lookup") == "/public/reports/"
    assert reverse("report-public:follow", args=["ABCDEFGHJK"]) == "/public/reports/ABCDEFGHJK/"
    assert reverse("reports:list") == "/cases/reports/"
    assert reverse("reports:detail", args=[7]) == "/cases/reports/7/"
    assert reverse("reports:limits") == "/cases/reports/limits/"
    assert reverse("cases/reports-list") == "/api/v1/cases/reports/"
    assert (
        reverse("cases/reports-detail", args=["ABCDEFGHJK"]) == "/api/v1/cases/reports/ABCDEFGHJK/"
    )
