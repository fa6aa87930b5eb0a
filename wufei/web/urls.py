from django.urls import path

from wufei.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("cockpit/", views.cockpit_page, name="cockpit"),
    path("map/", views.map_page, name="map"),
    path("map/boundaries.geojson", views.map_boundaries, name="map_boundaries"),
    path("map/points.json", views.map_points, name="map_points"),
]
