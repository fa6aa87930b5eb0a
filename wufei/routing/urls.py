from django.urls import path

from wufei.routing import views

app_name = "routing"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("new/", views.plan_create, name="plan_create"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("routes/<int:pk>/", views.route_driver, name="route_driver"),
    path("my-route/", views.my_route, name="my_route"),
]
