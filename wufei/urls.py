from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from wufei.alerts.api import ROUTES as ALERT_ROUTES
from wufei.cases.api import ROUTES as CASE_ROUTES
from wufei.cases.report_api import ROUTES as REPORT_ROUTES
from wufei.iot.api import ROUTES as IOT_ROUTES
from wufei.manifests.api import ROUTES as MANIFEST_ROUTES
from wufei.outreach.api import ROUTES as OUTREACH_ROUTES
from wufei.plan.api import ROUTES as PLAN_ROUTES
from wufei.plan.assessment_api import ROUTES as ASSESSMENT_ROUTES
from wufei.registry.api import ROUTES as REGISTRY_ROUTES
from wufei.routing.api import ROUTES as ROUTING_ROUTES
from wufei.sorting.api import ROUTES as SORTING_ROUTES
from wufei.sorting.lookup_api import ROUTES as LOOKUP_ROUTES
from wufei.sorting.points_api import ROUTES as POINTS_ROUTES
from wufei.stats.balance_api import ROUTES as BALANCE_ROUTES
from wufei.stats.declaration_api import ROUTES as DECLARATION_ROUTES
from wufei.stats.indicator_api import ROUTES as INDICATOR_ROUTES
from wufei.trace.api import ROUTES as TRACE_ROUTES
from wufei.trace.container_api import ROUTES as CONTAINER_ROUTES

router = DefaultRouter()
for prefix, viewset in [
    *REGISTRY_ROUTES,
    *MANIFEST_ROUTES,
    *CONTAINER_ROUTES,
    *TRACE_ROUTES,
    *ALERT_ROUTES,
    *IOT_ROUTES,
    *ROUTING_ROUTES,
    *SORTING_ROUTES,
    *LOOKUP_ROUTES,
    *POINTS_ROUTES,
    *CASE_ROUTES,
    *REPORT_ROUTES,
    *OUTREACH_ROUTES,
    *BALANCE_ROUTES,
    *INDICATOR_ROUTES,
    *DECLARATION_ROUTES,
    *PLAN_ROUTES,
    *ASSESSMENT_ROUTES,
]:
    router.register(prefix, viewset, basename=prefix)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("wufei.accounts.urls")),
    path("registry/", include("wufei.registry.urls")),
    path("manifests/", include("wufei.manifests.urls")),
    path("trace/containers/", include("wufei.trace.container_urls")),
    path("trace/", include("wufei.trace.urls")),
    path("alerts/", include("wufei.alerts.urls")),
    path("iot/", include("wufei.iot.urls")),
    path("routing/", include("wufei.routing.urls")),
    path("sorting/points/", include("wufei.sorting.points_urls")),
    path("sorting/measures/", include("wufei.sorting.measure_urls")),
    path("sorting/lookup/", include("wufei.sorting.lookup_urls")),
    path("sorting/", include("wufei.sorting.registry_urls")),
    path("cases/reports/", include("wufei.cases.report_urls")),
    path("cases/", include("wufei.cases.urls")),
    path("outreach/", include("wufei.outreach.urls")),
    path("stats/balance/", include("wufei.stats.balance_urls")),
    path("stats/indicators/", include("wufei.stats.indicator_urls")),
    path("stats/declarations/", include("wufei.stats.declaration_urls")),
    path("stats/flows/", include("wufei.stats.material_flow_urls")),
    path("plan/bulletins/", include("wufei.plan.bulletin_urls")),
    path("plan/", include("wufei.plan.assessment_urls")),
    path("plan/", include("wufei.plan.urls")),
    path("public/bulletins/", include("wufei.plan.bulletin_public_urls")),
    path("public/figures/", include("wufei.web.figures_urls")),
    path("public/sorting/", include("wufei.sorting.lookup_public_urls")),
    path("public/reports/", include("wufei.cases.report_public_urls")),
    path("public/", include("wufei.outreach.public_urls")),
    path("t/", include("wufei.trace.public_urls")),
    path("", include("wufei.web.urls")),
]
