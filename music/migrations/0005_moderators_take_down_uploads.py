"""Site moderators (the "Moderators" group) find uploaded files and take them down in the admin
(music.admin.UploadAdmin: the track and the file go together)."""

from django.db import migrations

from core.moderators import grant_in_migration, revoke_in_migration

CODENAMES = ["view_upload", "delete_upload"]


def grant(apps, schema_editor):
    grant_in_migration(apps, schema_editor, app_label="music", codenames=CODENAMES)


def revoke(apps, schema_editor):
    revoke_in_migration(apps, schema_editor, app_label="music", codenames=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [("music", "0004_track_origin_uploads"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(grant, revoke)]
