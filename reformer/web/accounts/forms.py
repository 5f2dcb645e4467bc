from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import cast

from django import forms


class SignupExtraForm(forms.Form):
    """Extra sign-up fields for allauth (ACCOUNT_SIGNUP_FORM_CLASS): the person's name."""

    # allauth's SignupForm subclasses this form and honours field_order.
    field_order = ["name", "email", "password1", "password2"]

    name = forms.CharField(
        max_length=150,
        label="Full name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def signup(self, request, user) -> None:
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])


@lru_cache(maxsize=1)
def time_zone_choices() -> list[tuple[str, str]]:
    """Area/City zones people recognise, plus UTC; sorted, without legacy aliases."""
    zones = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in zones)]


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        label="Organization name",
        help_text="Your studio or business name, as clients know it.",
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        initial="America/New_York",
        help_text="Where your studios are. Each studio can have its own later.",
        widget=forms.Select(attrs={"data-detect-time-zone": ""}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = time_zone_choices()
