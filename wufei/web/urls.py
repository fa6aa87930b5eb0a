from django.urls import path

from wufei.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.map_page, name="map"),
]
