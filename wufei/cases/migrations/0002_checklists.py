"""The shipped inspection checklists (wufei/cases/data/checklists.json)."""

from django.db import migrations


def load(apps, schema_editor):
    from wufei.cases.checklists import load_checklists

    load_checklists(
        apps.get_model("cases", "Checklist"),
        apps.get_model("cases", "ChecklistItem"),
        apps.get_model("registry", "WasteStream"),
    )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
