"""Open figures of the city's zero-waste progress for everybody, no login (mounted by the lead
under ``public/figures/``)."""

from django.urls import path

from wufei.web import figures

app_name = "figures"

urlpatterns = [path("", figures.index, name="index")]
