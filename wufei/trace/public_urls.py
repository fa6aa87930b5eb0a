from django.urls import path  # noqa: F401

# The public trace page: /t/<code> (what a QR label points to).
urlpatterns: list = []
