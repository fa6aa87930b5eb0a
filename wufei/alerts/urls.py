from django.urls import path

from wufei.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="alert_list"),
    path("<int:pk>/", views.alert_detail, name="alert_detail"),
    path("<int:pk>/<str:verb>/", views.alert_act, name="alert_act"),
]
