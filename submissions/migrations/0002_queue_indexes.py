
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='submission',
            name='queue_facility_waiting',
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(condition=models.Q(('status', 'draft'), _negated=True), fields=['facility', 'submitted_at'], name='queue_submitted'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['facility', 'owner', 'status', 'submitted_at'], name='queue_owner'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['facility', 'assignee', 'status', 'submitted_at'], name='queue_assignee'),
        ),
    ]
