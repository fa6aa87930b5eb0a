"""Container pages, included by wufei/trace/urls.py at /trace/containers/ (namespace
"containers")."""

from django.urls import path

from wufei.trace import container_views as views

app_name = "containers"

urlpatterns = [
    path("", views.container_list_view, name="list"),
    path("new/", views.register_view, name="register"),
    path("pack/", views.pack_view, name="pack"),
    path("unpack/", views.unpack_view, name="unpack"),
    path("transform/", views.transform_view, name="transform"),
    path("labels/", views.labels_view, name="labels"),
    path("labels.svg", views.label_svg_view, name="labels_svg"),
    path("<str:code>/qr.pdf", views.qr_pdf_view, name="qr_pdf"),
]
