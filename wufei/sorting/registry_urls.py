"""Pages of the sorting registry and the guides' roster, to be included under ``sorting/``."""

from wufei.sorting import registry_views

app_name = "sorting"

urlpatterns = registry_views.urlpatterns()
