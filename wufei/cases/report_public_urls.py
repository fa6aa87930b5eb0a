"""The residents' report pages (no account), to be included under ``public/reports/``."""

from django.urls import path

from wufei.cases import report_views as views

app_name = "report-public"

urlpatterns = [
    path("", views.public_lookup, name="lookup"),
    path("new/", views.public_new, name="new"),
    path("<str:code>/", views.public_follow, name="follow"),
]
