
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0002_queue_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='datafile',
            name='purged_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='sentnotification',
            name='kind',
            field=models.CharField(choices=[('submitted', 'A submission is waiting for review'), ('changes_requested', 'Changes are requested on my submission'), ('approved', 'My submission is approved'), ('rejected', 'My submission is rejected'), ('withdrawn', 'I withdraw a submission'), ('published', 'My dataset is published'), ('released', 'A dataset I submitted or curate is released from embargo'), ('processing_failed', 'Processing of a dataset failed'), ('review_copy_failed', 'An image I submitted could not be converted'), ('review_copy_error', 'An image could not be converted on our side'), ('digest', 'Daily digest of submissions waiting for review'), ('comment', 'Someone comments on a submission I submitted or curate'), ('soft_limit', 'Storage I use passes its soft limit'), ('quota_request', 'A quota-increase request is filed or decided'), ('fixity', 'An archived dataset differs from its manifest'), ('invitation', 'An invitation to join a facility')], max_length=20),
        ),
        migrations.CreateModel(
            name='RetentionPurge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('claim_token', models.UUIDField(blank=True, null=True)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('purged_at', models.DateTimeField(blank=True, null=True)),
                ('file_count', models.PositiveIntegerField(default=0)),
                ('freed_bytes', models.BigIntegerField(default=0)),
                ('submission', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='retention_purge', to='submissions.submission')),
            ],
        ),
    ]
