"""Site moderators (the "Moderators" group of rooms.0002) find and delete chat messages."""

from django.db import migrations

from core.moderators import grant_in_migration, revoke_in_migration

CODENAMES = ["view_message", "delete_message"]


def grant(apps, schema_editor):
    grant_in_migration(apps, schema_editor, app_label="chat", codenames=CODENAMES)


def revoke(apps, schema_editor):
    revoke_in_migration(apps, schema_editor, app_label="chat", codenames=CODENAMES)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial"), ("rooms", "0002_moderators_group")]
    operations = [migrations.RunPython(grant, revoke)]
