"""The project's URLs plus outreach's, for the tests until the lead mounts them in
``wufei/urls.py`` (then nothing is added twice)."""

from django.urls import URLResolver, include, path
from rest_framework.routers import SimpleRouter

from wufei import urls as project
from wufei.outreach.api import ROUTES


def _mounted(namespace: str) -> bool:
    return any(isinstance(p, URLResolver) and p.namespace == namespace for p in project.urlpatterns)


_registered = {prefix for prefix, *_rest in project.router.registry}
router = SimpleRouter()
for prefix, viewset in ROUTES:
    if prefix not in _registered:
        router.register(prefix, viewset, basename=prefix)

urlpatterns = [path("api/v1/", include(router.urls))]
if not _mounted("outreach"):
    urlpatterns.append(path("outreach/", include("wufei.outreach.urls")))
if not _mounted("outreach-public"):
    urlpatterns.append(path("public/", include("wufei.outreach.public_urls")))
urlpatterns += project.urlpatterns
