"""Every existing question starts its own family (data only; the schema change is 0003)."""

from django.db import migrations
from django.db.models import F


def backfill(apps, schema_editor):
    Question = apps.get_model("itembank", "Question")
    Question.objects.filter(family_id__isnull=True).update(family_id=F("id"))


class Migration(migrations.Migration):
    dependencies = [("itembank", "0003_question_types_tags_versions")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
