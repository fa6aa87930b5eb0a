from django.db import migrations

# Default time limits per stage (hours), the platform's choice (officials change them): a
# received report is dispatched within a day, handled within three days, answered within a day
# of handling; an answered report the reporter does not rate is closed after seven days.
LIMITS = {"received": 24, "assigned": 72, "handled": 24, "answered": 168}


def load(apps, schema_editor):
    StageLimit = apps.get_model("cases", "StageLimit")
    for stage, hours in LIMITS.items():
        StageLimit.objects.get_or_create(stage=stage, defaults={"hours": hours})


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_reports")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
