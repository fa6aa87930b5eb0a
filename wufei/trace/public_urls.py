from django.urls import path

from wufei.trace import views

# The public trace page: /t/<code> (what a QR label points to).
urlpatterns = [
    path("<str:code>", views.public, name="trace-public"),
]
