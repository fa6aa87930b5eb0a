from django.db import migrations


def load(apps, schema_editor):
    from wufei.sorting.reference import load_reference

    load_reference(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("sorting", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
