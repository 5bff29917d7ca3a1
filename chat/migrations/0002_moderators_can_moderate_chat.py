"""Site moderators (the "Moderators" group of rooms.0002) find and delete chat messages."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("chat")
    app_config.models_module = True  # historical configs have none; create_permissions needs one
    try:
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name="Moderators")
    group.permissions.add(
        *Permission.objects.using(using).filter(
            content_type__app_label="chat", codename__in=["view_message", "delete_message"]
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.using(schema_editor.connection.alias).filter(name="Moderators").first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="chat"))


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial"), ("rooms", "0002_moderators_group")]
    operations = [migrations.RunPython(grant, revoke)]
