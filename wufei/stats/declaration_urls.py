from django.urls import path

from wufei.stats import declaration_views as views

app_name = "declarations"

urlpatterns = [
    path("", views.declaration_list, name="declaration_list"),
    path("new/", views.declaration_create, name="declaration_create"),
    path("import/", views.declaration_import, name="declaration_import"),
    path("template/<slug:kind>/", views.declaration_template, name="declaration_template"),
    path("<int:pk>/", views.declaration_detail, name="declaration_detail"),
    path("<int:pk>/edit/", views.declaration_edit, name="declaration_edit"),
    path("<int:pk>/<slug:verb>/", views.declaration_act, name="declaration_act"),
]
