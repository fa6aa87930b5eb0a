"""Load the shipped reference data: Xuchang's regions with real boundaries and the code lists."""

from django.db import migrations


def load(apps, schema_editor):
    from wufei.registry.reference import load_code_lists, load_regions

    load_regions(apps.get_model)
    load_code_lists(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
