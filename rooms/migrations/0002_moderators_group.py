"""The "Moderators" group: what a site moderator needs in the admin.

Find rooms, people and messages; close rooms; remove, ban and unban members; clear queue
items and invites; deactivate accounts. Django creates permissions in post_migrate, after
every migration has run, so this migration creates the ones it needs itself first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"

# app label -> model -> actions.
PERMISSIONS = {
    "rooms": {
        "room": ["view", "change", "delete"],
        "membership": ["view", "change", "delete"],
        "ban": ["view", "add", "change", "delete"],
        "queueitem": ["view", "delete"],
        "invite": ["view", "delete"],
    },
    "accounts": {"user": ["view", "change"]},
    # Chat messages arrive later: granted here if the model exists, else by the chat migration
    # that creates it.
    "chat": {"message": ["view", "delete"]},
}
OPTIONAL_APPS = {"chat"}


def _app_config(apps, label):
    try:
        return apps.get_app_config(label)
    except LookupError:
        return None


def _ensure_permissions(apps, using):
    for label in PERMISSIONS:
        app_config = _app_config(apps, label)
        if app_config is None:
            continue
        # Historical app configs have no models module, which create_permissions takes to
        # mean "no models"; pretend for the length of the call.
        app_config.models_module = True
        try:
            create_permissions(app_config, verbosity=0, using=using, apps=apps)
        finally:
            app_config.models_module = None


def create_group(apps, schema_editor):
    using = schema_editor.connection.alias
    _ensure_permissions(apps, using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    wanted = []
    for label, models in PERMISSIONS.items():
        for model, actions in models.items():
            codenames = [f"{action}_{model}" for action in actions]
            found = list(
                Permission.objects.using(using).filter(
                    content_type__app_label=label, content_type__model=model, codename__in=codenames
                )
            )
            if len(found) != len(codenames) and label not in OPTIONAL_APPS:
                missing = sorted(set(codenames) - {p.codename for p in found})
                raise RuntimeError(f"Permissions missing for {label}.{model}: {', '.join(missing)}")
            wanted.extend(found)

    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    group.permissions.add(*wanted)


def delete_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0001_initial"),
        ("accounts", "0001_initial"),
        ("music", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
