"""The public sorting guide and lookup, no account needed (mounted by the lead at
/public/sorting/)."""

from wufei.sorting.lookup_views import public_urlpatterns as urlpatterns

app_name = "sortguide"

__all__ = ["app_name", "urlpatterns"]
