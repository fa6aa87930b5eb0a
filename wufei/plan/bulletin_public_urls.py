"""Published bulletins for everybody, no login (mounted by the lead under /public/bulletins/)."""

from django.urls import path

from wufei.plan import bulletin_views as views

app_name = "public-bulletins"

urlpatterns = [
    path("", views.public_list, name="list"),
    path("<int:number>/", views.public_detail, name="detail"),
    path("<int:number>/docx/", views.public_download, name="docx"),
]
