from django.urls import path

from wufei.trace import views

app_name = "trace"
urlpatterns = [
    path("", views.search, name="search"),
]
