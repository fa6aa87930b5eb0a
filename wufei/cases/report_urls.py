"""Officials' pages of residents' reports, to be included under ``cases/reports/``."""

from django.urls import path

from wufei.cases import report_views as views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("points.json", views.report_points, name="points"),
    path("limits/", views.stage_limits, name="limits"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/photo/", views.report_photo, name="photo"),
    path("<int:pk>/<str:verb>/", views.report_act, name="act"),
    path("events/<int:pk>/photo/", views.event_photo, name="event_photo"),
]
