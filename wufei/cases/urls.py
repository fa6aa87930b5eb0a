"""Pages of inspections and enforcement, to be included under ``cases/``."""

from django.urls import path

from wufei.cases import views

app_name = "cases"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_add, name="campaign_add"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/", views.inspection_add, name="inspection_add"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection_detail"),
    path("inspections/<int:pk>/check/", views.inspection_check, name="inspection_check"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/order/", views.order_issue, name="order_issue"),
    path("findings/<int:pk>/register/", views.finding_register, name="finding_register"),
    path("findings/<int:pk>/photo/", views.finding_photo, name="finding_photo"),
    path("reinspections/<int:pk>/photo/", views.reinspection_photo, name="reinspection_photo"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/<str:verb>/", views.order_act, name="order_act"),
    path("dumpsites/", views.dumpsite_list, name="dumpsite_list"),
    path("dumpsites/new/", views.dumpsite_add, name="dumpsite_add"),
    path("dumpsites/points.json", views.dumpsite_points, name="dumpsite_points"),
    path("dumpsites/<int:pk>/", views.dumpsite_detail, name="dumpsite_detail"),
    path("dumpsites/<int:pk>/move/", views.dumpsite_move, name="dumpsite_move"),
]
