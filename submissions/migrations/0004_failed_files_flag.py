"""A flag on each submission for "has a failed file", for the review queue's failures filter.

The flag is filled from the files (one statement), and on PostgreSQL the covering index of
the queue's per-state counts gains it, so those counts are read from the index alone under
the failures filter too.
"""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def fill(apps, schema_editor):
    Submission = apps.get_model("submissions", "Submission")
    DataFile = apps.get_model("submissions", "DataFile")
    failed = DataFile.objects.filter(submission=OuterRef("pk"), status="failed")
    Submission.objects.filter(Exists(failed)).update(has_failed_files=True)


COUNTS_WITH_FLAG = [
    "DROP INDEX IF EXISTS queue_state_counts",
    "CREATE INDEX queue_state_counts ON submissions_submission "
    "(facility_id, status, submitted_at) INCLUDE (assignee_id, owner_id, id, has_failed_files)",
]
COUNTS_WITHOUT_FLAG = [
    "DROP INDEX IF EXISTS queue_state_counts",
    "CREATE INDEX queue_state_counts ON submissions_submission "
    "(facility_id, status, submitted_at) INCLUDE (assignee_id, owner_id, id)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("submissions", "0003_retention_of_ended_submissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="has_failed_files",
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="submission",
            index=models.Index(
                condition=models.Q(("has_failed_files", True), models.Q(("status", "draft"), _negated=True)),
                fields=["facility", "submitted_at"],
                name="queue_failed",
            ),
        ),
        migrations.RunPython(_run(COUNTS_WITH_FLAG), _run(COUNTS_WITHOUT_FLAG), elidable=False),
    ]
