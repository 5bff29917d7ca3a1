"""Usernames unique by look (issue 11): the skeleton column, filled for every account.

Of existing accounts that already look alike, the oldest keeps the skeleton and the others
keep their names with a null skeleton (listed on the console): renaming people silently is
worse than leaving a pair that was there before. Nobody can take such a look again.
Display names saved before the rule lose their bidi controls and invisible characters here.
"""

from django.db import migrations, models

from accounts.names import display_name_clean, username_skeleton


def fill_skeletons(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    using = schema_editor.connection.alias
    seen: set[str] = set()
    grandfathered = []
    rows = User.objects.using(using).order_by("date_joined", "pk").values_list("pk", "username", "display_name")
    for pk, username, display_name in rows:
        changes = {"display_name": display_name_clean(display_name)[:64]}
        skeleton = username_skeleton(username)
        if skeleton in seen:
            grandfathered.append(username)
        else:
            seen.add(skeleton)
            changes["username_skeleton"] = skeleton
        User.objects.using(using).filter(pk=pk).update(**changes)
    if grandfathered:
        print(f"\n  Look-alike usernames kept without a skeleton: {', '.join(grandfathered)}")  # noqa: T201


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_email_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="username_skeleton",
            field=models.TextField(editable=False, null=True),
        ),
        migrations.RunPython(fill_skeletons, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                fields=("username_skeleton",), name="accounts_user_username_skeleton_unique"
            ),
        ),
    ]
