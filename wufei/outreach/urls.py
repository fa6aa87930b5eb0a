"""Officials' pages of outreach, to be included under ``outreach/``."""

from django.urls import path

from wufei.outreach import views

app_name = "outreach"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/new/", views.event_add, name="event_add"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:pk>/check-in/", views.event_check_in, name="event_check_in"),
    path("events/<int:pk>/bookings.xlsx", views.event_bookings_export, name="event_bookings_xlsx"),
    path("events/<int:pk>/<str:verb>/", views.event_act, name="event_act"),
    path("bookings/<int:pk>/attended/", views.booking_attended, name="booking_attended"),
    path("survey/", views.survey_results, name="survey_results"),
]
