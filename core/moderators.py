"""The site's "Moderators" group (created by rooms.0002), granted permissions by the
migrations of the apps whose models moderators act on (chat messages, uploads)."""

from django.contrib.auth.management import create_permissions

GROUP = "Moderators"


def grant_in_migration(apps, schema_editor, *, app_label: str, codenames: list[str]) -> None:
    """Gives the Moderators group `codenames` of `app_label` (creating both as needed). Django
    creates permissions after every migration has run, so they are created here first."""
    using = schema_editor.connection.alias
    app_config = apps.get_app_config(app_label)
    app_config.models_module = True  # historical configs have none; create_permissions needs one
    try:
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    finally:
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames)
    )


def revoke_in_migration(apps, schema_editor, *, app_label: str, codenames: list[str]) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    using = schema_editor.connection.alias
    group = Group.objects.using(using).filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.using(using).filter(content_type__app_label=app_label, codename__in=codenames)
        )
