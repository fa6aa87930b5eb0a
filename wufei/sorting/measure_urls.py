"""The published sorting measures and the 以奖代补 assessment, for officials (mounted by the lead
under ``sorting/measures/``)."""

from django.urls import path

from wufei.sorting import measure_views as views

app_name = "sortmeasures"

urlpatterns = [
    path("", views.figures, name="index"),
    path("assessment/", views.assessment, name="assessment"),
]
