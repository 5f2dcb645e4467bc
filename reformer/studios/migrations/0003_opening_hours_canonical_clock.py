"""Opening and special hours back to canonical "HH:MM".

Before this, organizations on a 12-hour clock had their hours stored in display form
("7:00\xa0AM"), which the hours form could not read back: the form showed empty fields and
saving it again closed the studio every day. Any such value is rewritten as "07:00".
"""

import re

from django.db import migrations

_TWELVE_HOUR = re.compile(r"^\s*(\d{1,2}):(\d{2})[\s\xa0\u202f]*([AaPp])\.?\s*[Mm]\.?\s*$")
_TWENTY_FOUR = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def canonical_clock(value):
    """ "7:00\xa0AM" -> "07:00", "12:30 PM" -> "12:30", "7:05" -> "07:05"; else unchanged."""
    if not isinstance(value, str):
        return value
    match = _TWELVE_HOUR.match(value)
    if match:
        hour, minute, half = int(match[1]), int(match[2]), match[3].lower()
        if 1 <= hour <= 12 and minute < 60:
            hour = hour % 12 + (12 if half == "p" else 0)
            return f"{hour:02d}:{minute:02d}"
        return value
    match = _TWENTY_FOUR.match(value)
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return f"{int(match[1]):02d}:{int(match[2]):02d}"
    return value


def _spans(mapping):
    if not isinstance(mapping, dict):
        return mapping
    return {
        key: [canonical_clock(t) for t in span] if isinstance(span, list) else span
        for key, span in mapping.items()
    }


def forwards(apps, schema_editor):
    Studio = apps.get_model("studios", "Studio")
    for studio in Studio.objects.only("pk", "opening_hours", "special_hours").iterator():
        opening, special = _spans(studio.opening_hours), _spans(studio.special_hours)
        if opening != studio.opening_hours or special != studio.special_hours:
            studio.opening_hours, studio.special_hours = opening, special
            studio.save(update_fields=["opening_hours", "special_hours"])


class Migration(migrations.Migration):
    dependencies = [
        ("studios", "0002_organization_locale"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
