from django.urls import path

from wufei.stats import indicator_views as views

app_name = "indicators"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/", views.indicator_form, name="add"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.indicator_form, name="edit"),
    path("<int:pk>/active/", views.indicator_active, name="active"),
    path("values/<int:pk>/", views.value_detail, name="value"),
    path("targets/", views.targets, name="targets"),
    path("report/", views.report_page, name="report"),
    path("recompute/", views.recompute, name="recompute"),
]
