from django.contrib import admin

from wufei.registry import models

for model in (
    models.Region,
    models.CodeList,
    models.WasteStream,
    models.WasteCategory,
    models.WasteCode,
    models.TreatmentMethod,
):
    admin.site.register(model)
