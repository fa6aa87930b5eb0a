"""Pages of drops, points and flags, to be included under ``sorting/points/``."""

from django.urls import path

from wufei.sorting import points_views as views

app_name = "points"

urlpatterns = [
    path("drops/new/", views.drop_new, name="drop_new"),
    path("drops/", views.drop_list, name="drop_list"),
    path("drops/<int:pk>/", views.drop_detail, name="drop_detail"),
    path("drops/<int:pk>/photo/", views.drop_photo, name="drop_photo"),
    path("households/<int:pk>/", views.household_ledger, name="household_ledger"),
    path("entries/<int:pk>/correct/", views.entry_correct, name="entry_correct"),
    path("redemptions/new/", views.redemption_new, name="redemption_new"),
    path("flags/", views.flag_list, name="flag_list"),
    path("flags/limits/", views.flag_limits, name="flag_limits"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("rules/", views.rule_list, name="rule_list"),
]
