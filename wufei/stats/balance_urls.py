from django.urls import path

from wufei.stats import balance_views

app_name = "balance"

urlpatterns = [
    path("", balance_views.balance_page, name="table"),
    path("forecast/", balance_views.forecast_page, name="forecast"),
]
