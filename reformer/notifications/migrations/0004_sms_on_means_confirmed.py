"""The profile's old "SMS notifications" checkbox is gone: texts are on only once a number is
confirmed by code (PHX-23). A tick without a confirmed number never sent a text; clear it so
`User.notify_sms` means "texts on" everywhere (the profile, exports, the message log)."""

from django.db import migrations
from django.db.models import Exists, OuterRef


def clear_unconfirmed(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    RecipientSettings = apps.get_model("notifications", "RecipientSettings")
    confirmed = RecipientSettings.objects.filter(
        user_id=OuterRef("pk"), sms_confirmed_at__isnull=False
    )
    User.objects.filter(notify_sms=True).exclude(Exists(confirmed)).update(notify_sms=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("notifications", "0003_outbox_tracking_preferences"),
    ]

    operations = [migrations.RunPython(clear_unconfirmed, migrations.RunPython.noop)]
