"""Create the Django groups for the staff roles (moderator, civil servant, jury, council)."""

from django.db import migrations

# Copied, not imported: a migration must keep working when roles.py changes later.
GROUP_NAMES = ("moderator", "civil_servant", "jury_member", "council_member")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUP_NAMES:
        Group.objects.get_or_create(name=name)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=GROUP_NAMES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_organisations"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
