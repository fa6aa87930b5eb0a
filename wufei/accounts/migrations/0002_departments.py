from django.db import migrations


def load(apps, schema_editor):
    from wufei.accounts.departments import load_departments

    load_departments(apps.get_model)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("registry", "0002_reference_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
