"""The shipped scoring and credit rules (wufei/plan/data/*.json), loaded with the models as
they are at this migration; officials edit them afterwards."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"
FIELDS = {
    "ScoringRule": ("scoring-rules.json", ("name", "measure", "weight", "params", "description")),
    "CreditRule": ("credit-rules.json", ("name", "points", "cap", "params", "description")),
}


def load(apps, schema_editor):
    for model_name, (file, fields) in FIELDS.items():
        model = apps.get_model("plan", model_name)
        for row in json.loads((DATA / file).read_text(encoding="utf-8"))["rules"]:
            model.objects.get_or_create(
                code=row["code"], defaults={f: row.get(f, {} if f == "params" else "") for f in fields}
            )


class Migration(migrations.Migration):
    dependencies = [("plan", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
