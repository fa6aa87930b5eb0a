from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from wufei.registry.api import ROUTES as REGISTRY_ROUTES

router = DefaultRouter()
for prefix, viewset in REGISTRY_ROUTES:
    router.register(prefix, viewset, basename=prefix)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("wufei.accounts.urls")),
    path("registry/", include("wufei.registry.urls")),
    path("", include("wufei.web.urls")),
]
