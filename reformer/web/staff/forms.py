"""Forms of the staff pages. They only parse input into Python values; the rules (ranges,
uniqueness, conflicts) live in the actions, whose DomainErrors land on the named field."""

from __future__ import annotations

import json
import zoneinfo
from functools import lru_cache
from typing import cast

from django import forms

from reformer.accounts.models import Role
from reformer.billing.models import PackageProduct
from reformer.billing.products import MAX_CREDITS, MAX_VALIDITY_DAYS, MAX_WEEKLY_LIMIT
from reformer.core import timeformat
from reformer.core.timezones import usable_date
from reformer.studios.models import StudioPolicy
from reformer.studios.validation import WEEKDAYS

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r != Role.CLIENT]


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and "Etc" not in n)
    return [(name, timeformat.zone_label(name)) for name in names]


class ColourInput(forms.TextInput):
    input_type = "color"

    def use_required_attribute(self, initial) -> bool:
        return False  # HTML allows no `required` on a colour input: it always has a value


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateField(forms.DateField):
    """A date field refusing dates at the ends of the calendar (year 1, year 9999), which
    overflow once converted to UTC or moved by a day."""

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None and not usable_date(value):
            raise forms.ValidationError("Enter a real date.", code="invalid")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%H:%M")


# ----------------------------------------------------------------------- organization


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120)
    time_zone = forms.ChoiceField(choices=time_zone_choices, help_text="Default for new studios.")
    locale = forms.ChoiceField(
        label="Dates and times",
        choices=timeformat.LOCALE_CHOICES,
        required=False,
        help_text="How pages, emails and exports write times and dates.",
    )
    brand_colour = forms.CharField(
        label="Brand colour", widget=ColourInput, help_text="Used for buttons and highlights."
    )
    public_description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown on your public page.",
    )
    logo = forms.ImageField(required=False, help_text="PNG or JPEG, at most 2 MB.")


# ---------------------------------------------------------------------------- studios


class StudioForm(forms.Form):
    name = forms.CharField(max_length=120)
    address = forms.CharField(max_length=255, required=False)
    time_zone = forms.ChoiceField(choices=time_zone_choices)


class OpeningHoursForm(forms.Form):
    """Seven rows of opening and closing times; a day with neither is closed."""

    def __init__(self, *args, hours: dict | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        hours = hours or {}
        for day, name in enumerate(WEEKDAYS):
            span = hours.get(str(day)) or ["", ""]
            self.fields[f"open_{day}"] = forms.TimeField(
                label=f"{name} opens", required=False, widget=TimeInput, initial=span[0]
            )
            self.fields[f"close_{day}"] = forms.TimeField(
                label=f"{name} closes", required=False, widget=TimeInput, initial=span[1]
            )

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(name, self[f"open_{d}"], self[f"close_{d}"]) for d, name in enumerate(WEEKDAYS)]

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        for day, name in enumerate(WEEKDAYS):
            opens, closes = data.get(f"open_{day}"), data.get(f"close_{day}")
            if (opens is None) != (closes is None):
                self.add_error(
                    f"open_{day}", f"{name}: give both times, or leave both empty for closed."
                )
        return data

    def hours(self) -> dict[str, list[str]]:
        data = self.cleaned_data
        return {
            str(day): [
                data[f"open_{day}"].strftime("%H:%M"),
                data[f"close_{day}"].strftime("%H:%M"),
            ]
            for day in range(7)
            if data.get(f"open_{day}") and data.get(f"close_{day}")
        }


class SpecialHoursForm(forms.Form):
    date = DateField(widget=DateInput)
    closed = forms.BooleanField(required=False, label="Closed all day")
    opens = forms.TimeField(required=False, widget=TimeInput)
    closes = forms.TimeField(required=False, widget=TimeInput)

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if not data.get("closed") and not (data.get("opens") and data.get("closes")):
            self.add_error("opens", "Give opening and closing times, or tick “Closed all day”.")
        return data

    def span(self) -> list[str]:
        data = self.cleaned_data
        if data.get("closed"):
            return []
        return [data["opens"].strftime("%H:%M"), data["closes"].strftime("%H:%M")]


class ClosureForm(forms.Form):
    date = DateField(widget=DateInput)
    reason = forms.CharField(max_length=200, required=False)


class TimeOffForm(forms.Form):
    starts_on = DateField(label="First day", widget=DateInput)
    ends_on = DateField(
        label="Last day", widget=DateInput, required=False, help_text="Empty: just the first day."
    )
    reason = forms.CharField(
        label="Note", max_length=200, required=False, help_text="Optional, e.g. holiday."
    )

    def clean(self):
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        if data.get("starts_on") and not data.get("ends_on"):
            data["ends_on"] = data["starts_on"]
        return data


class PolicyForm(forms.ModelForm):
    class Meta:
        model = StudioPolicy
        fields = [
            "booking_window_days",
            "cancellation_window_hours",
            "late_cancel_rule",
            "check_in_window_minutes",
            "no_show_grace_minutes",
            "strike_count",
            "strike_period_days",
            "suspension_days",
            "waitlist_mode",
            "waitlist_cutoff_minutes",
            "max_upcoming_bookings",
            "quiet_hours_start",
            "quiet_hours_end",
        ]
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}),
        }
        labels = {
            "booking_window_days": "Booking window (days)",
            "cancellation_window_hours": "Cancellation window (hours)",
            "late_cancel_rule": "Late cancellation",
            "check_in_window_minutes": "Check-in opens (minutes before class)",
            "no_show_grace_minutes": "No-show grace (minutes after start)",
            "strike_count": "No-shows before suspension",
            "strike_period_days": "Counted over (days)",
            "suspension_days": "Suspension (days)",
            "waitlist_mode": "Waitlist",
            "waitlist_cutoff_minutes": "Waitlist cut-off (minutes before class)",
            "max_upcoming_bookings": "Most upcoming bookings per client",
            "quiet_hours_start": "Quiet hours start",
            "quiet_hours_end": "Quiet hours end",
        }
        help_texts = {
            "strike_period_days": "No-shows older than this do not count.",
            "quiet_hours_start": "No text messages between start and end (studio time).",
        }

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# ------------------------------------------------------------------------------ rooms


class RoomForm(forms.Form):
    name = forms.CharField(max_length=80)
    capacity = forms.IntegerField(min_value=1, help_text="Most clients in one class here.")
    grid_columns = forms.IntegerField(label="Layout columns", min_value=1, max_value=30, initial=4)
    grid_rows = forms.IntegerField(label="Layout rows", min_value=1, max_value=30, initial=3)


class LayoutForm(forms.Form):
    layout = forms.CharField(widget=forms.HiddenInput)

    def clean_layout(self) -> list:
        try:
            spots = json.loads(self.cleaned_data["layout"])
        except ValueError:
            raise forms.ValidationError("The layout could not be read; reload the page.") from None
        if not isinstance(spots, list):
            raise forms.ValidationError("The layout could not be read; reload the page.")
        return spots


# ----------------------------------------------------------------------- class types


class ClassTypeForm(forms.Form):
    name = forms.CharField(max_length=80)
    duration_minutes = forms.IntegerField(label="Length (minutes)", min_value=5, max_value=600)
    default_capacity = forms.IntegerField(min_value=1)
    colour = forms.CharField(widget=ColourInput, initial="#3b6e8f")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    what_to_bring = forms.CharField(
        required=False,
        max_length=300,
        help_text="Shown on the class page and the booking confirmation, e.g. grip socks.",
    )


# -------------------------------------------------------------------------- products


class ProductForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=PackageProduct.Kind.choices)
    credits = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_CREDITS,
        help_text="Classes included; leave empty for unlimited.",
    )
    validity_days = forms.IntegerField(
        label="Valid for (days)", min_value=1, max_value=MAX_VALIDITY_DAYS, initial=30
    )
    price = forms.DecimalField(min_value=0, max_digits=10, decimal_places=2)
    currency = forms.CharField(max_length=3, initial="USD")
    weekly_limit = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_WEEKLY_LIMIT,
        help_text="Most classes per week; empty = no limit.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


# ------------------------------------------------------------------------------ team


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES)
    studios: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Managers, front desk and instructors work at the studios you tick.",
    )

    def __init__(self, *args, studios, roles=STAFF_ROLE_CHOICES, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["studios"]).queryset = studios
        cast(forms.ChoiceField, self.fields["role"]).choices = roles


class RoleForm(InviteForm):
    email = None  # type: ignore[assignment]  # Django's documented way to drop an inherited field
    role = forms.ChoiceField(choices=Role.choices)


# -------------------------------------------------------------------------- classes


class CancelSessionForm(forms.Form):
    reason = forms.CharField(
        max_length=200, help_text="Clients read this in their cancellation notice."
    )


class NotesForm(forms.Form):
    private_notes = forms.CharField(
        label="Notes for this class",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


ATTENDANCE_CHOICES = [("attended", "Attended"), ("late", "Late"), ("no_show", "No-show")]


class AttendanceForm(forms.Form):
    status = forms.ChoiceField(choices=ATTENDANCE_CHOICES)


# ------------------------------------------------------------------------- schedule

WEEKDAY_CHOICES = [(str(day), name) for day, name in enumerate(WEEKDAYS)]
ROTATION_SLOTS = 4


def _choices(objects, empty: str | None = None) -> list[tuple[str, str]]:
    choices = [("", empty)] if empty is not None else []
    return choices + [(str(obj.pk), str(getattr(obj, "name", obj))) for obj in objects]


class _ScheduleForm(forms.Form):
    """Choices for the studio's rooms, the organization's class types and its instructors;
    `cleaned_data` then holds the chosen objects instead of ids."""

    def __init__(self, *args, rooms, class_types, instructors, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._objects = {
            "room": {str(r.pk): r for r in rooms},
            "class_type": {str(c.pk): c for c in class_types},
            "instructor": {str(m.pk): m for m in instructors},
        }
        if "room" in self.fields:
            cast(forms.ChoiceField, self.fields["room"]).choices = _choices(rooms)
        if "class_type" in self.fields:
            cast(forms.ChoiceField, self.fields["class_type"]).choices = _choices(class_types)
        for name, bound in self.fields.items():
            if name.startswith("instructor"):
                cast(forms.ChoiceField, bound).choices = _choices(
                    instructors, empty="No instructor yet"
                )

    def chosen(self, kind: str, value: str):
        return self._objects[kind].get(value) if value else None


class SessionForm(_ScheduleForm):
    class_type = forms.ChoiceField()
    room = forms.ChoiceField()
    date = DateField(widget=DateInput)
    start_time = forms.TimeField(label="Starts at", widget=TimeInput)
    instructor = forms.ChoiceField(required=False)
    capacity = forms.IntegerField(
        required=False, min_value=1, help_text="Leave empty for the class type's size."
    )
    duration_minutes = forms.IntegerField(
        label="Length (minutes)",
        required=False,
        min_value=5,
        max_value=600,
        help_text="Leave empty for the class type's length.",
    )

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        for kind in ("class_type", "room", "instructor"):
            if kind in data:
                data[kind] = self.chosen(kind, data[kind])
        return data


class TemplateForm(_ScheduleForm):
    """A weekly class; the rotation is up to ROTATION_SLOTS instructors taking turns."""

    class_type = forms.ChoiceField()
    room = forms.ChoiceField()
    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int)
    local_start_time = forms.TimeField(label="Starts at (studio time)", widget=TimeInput)
    # Like a single class: empty takes the class type's size (at most the room's), so the
    # form never starts with a number the room cannot hold.
    capacity = forms.IntegerField(
        required=False, min_value=1, help_text="Leave empty for the class type's size."
    )
    start_date = DateField(label="First date", widget=DateInput)
    end_date = DateField(
        label="Last date", required=False, widget=DateInput, help_text="Empty: no end."
    )

    def __init__(self, *args, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for slot in range(ROTATION_SLOTS):
            self.fields[f"instructor_{slot}"] = rotation_field = forms.ChoiceField(
                label=f"Instructor {slot + 1}" + (" (first turn)" if slot == 0 else ""),
                required=False,
            )
            rotation_field.choices = [
                ("", "—"),
                *[(key, member.name) for key, member in self._objects["instructor"].items()],
            ]
        if editing:
            capacity = self.fields["capacity"]
            capacity.required, capacity.help_text = True, ""
            for name in ("class_type", "weekday", "start_date"):
                self.fields[name].required = False
                self.fields[name].disabled = True

    def rotation_fields(self) -> list[forms.BoundField]:
        return [self[f"instructor_{slot}"] for slot in range(ROTATION_SLOTS)]

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        rotation = []
        for slot in range(ROTATION_SLOTS):
            member = self.chosen("instructor", data.pop(f"instructor_{slot}", ""))
            if member is not None:
                if member in rotation:
                    self.add_error(
                        f"instructor_{slot}", f"{member.name} is already in the rotation."
                    )
                rotation.append(member)
        data["instructors"] = rotation
        for kind in ("class_type", "room"):
            if kind in data:
                data[kind] = self.chosen(kind, data[kind])
        return data


class AssignInstructorForm(_ScheduleForm):
    instructor = forms.ChoiceField(required=False)

    def clean(self) -> dict:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        data["instructor"] = self.chosen("instructor", data.get("instructor", ""))
        return data
