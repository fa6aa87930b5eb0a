from django.urls import path

from wufei.iot import threshold_views, track_views, views

app_name = "iot"

urlpatterns = [
    path("live/", views.live_map, name="live_map"),
    path("live/positions.json", views.live_positions, name="live_positions"),
    path("devices/", views.device_health, name="device_health"),
    path("quarantine/", views.quarantine_list, name="quarantine_list"),
    path("quarantine/<int:pk>/", views.quarantine_detail, name="quarantine_detail"),
    path("quarantine/<int:pk>/<str:verb>/", views.quarantine_act, name="quarantine_act"),
    path("tickets/", views.ticket_list, name="ticket_list"),
    path("deposits/", views.deposit_list, name="deposit_list"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("thresholds/", threshold_views.threshold_list, name="thresholds"),
    path("thresholds/<str:key>/", threshold_views.threshold_edit, name="threshold_edit"),
    path("manifests/<int:pk>/track/", track_views.manifest_track_view, name="manifest_track"),
]
