from django.urls import path

from wufei.stats import material_flow_views as views

app_name = "flows"

urlpatterns = [
    path("", views.flows_page, name="flows"),
]
