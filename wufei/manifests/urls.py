from django.urls import path

from wufei.manifests import views

app_name = "manifests"

urlpatterns = [
    path("", views.ManifestList.as_view(), name="manifest_list"),
    path("export/", views.ManifestExport.as_view(), name="manifest_export"),
    path("new/", views.ManifestCreate.as_view(), name="manifest_create"),
    path("<int:pk>/", views.ManifestDetail.as_view(), name="manifest_detail"),
    *(
        path(
            f"<int:pk>/revisions/<int:revision>/{step.key}/"
            if step.revision
            else f"<int:pk>/{step.key}/",
            views.ManifestStep.as_view(step=step),
            name=f"manifest_{step.key}",
        )
        for step in views.STEPS.values()
    ),
]
