"""Public pages of outreach for everybody, no login (mounted by the lead under ``public/``):
``public/events/…`` and ``public/survey/…``."""

from django.urls import path

from wufei.outreach import public_views as views

app_name = "outreach-public"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/booking/", views.booking_lookup, name="booking_lookup"),
    path("events/booking/<str:code>/", views.booking, name="booking"),
    path("events/booking/<str:code>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("survey/", views.survey, name="survey"),
    path("survey/thanks/", views.survey_thanks, name="survey_thanks"),
]
