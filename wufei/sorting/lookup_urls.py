"""Officials' pages of the sorting lookup dictionary (mounted by the lead at /sorting/lookup/)."""

from wufei.sorting.lookup_views import urlpatterns

app_name = "lookup"

__all__ = ["app_name", "urlpatterns"]
