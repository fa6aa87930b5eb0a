from wufei.registry.views import PAGES

app_name = "registry"

urlpatterns = [pattern for page in PAGES for pattern in page.urls()]
