"""Bulletin pages for the office (mounted by the lead under /plan/bulletins/)."""

from django.urls import path

from wufei.plan import bulletin_views as views

app_name = "bulletins"

urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_compose, name="new"),
    path("<int:pk>/", views.bulletin_detail, name="detail"),
    path("<int:pk>/edit/", views.bulletin_compose, name="edit"),
    path("<int:pk>/publish/", views.bulletin_publish, name="publish"),
    path("<int:pk>/delete/", views.bulletin_delete, name="delete"),
    path("<int:pk>/docx/", views.bulletin_download, name="docx"),
]
