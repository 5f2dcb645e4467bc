"""Forms of the integrations pages: they only parse; the actions decide."""

from __future__ import annotations

from typing import cast

from django import forms

from reformer.api.keys import SCOPES
from reformer.portability.importing import KINDS
from reformer.webhooks.events import EVENT_TYPES


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="Where it is used, e.g. “Studio website”.")
    scopes = forms.MultipleChoiceField(
        choices=list(SCOPES.items()), widget=forms.CheckboxSelectMultiple
    )
    acts_as = forms.TypedChoiceField(
        label="Acts as",
        coerce=int,
        help_text="The key has this member's permissions (narrowed by its scopes).",
    )
    rate_limit_per_minute = forms.IntegerField(
        label="Requests a minute", min_value=1, max_value=100_000, initial=600
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        acts_as = cast(forms.TypedChoiceField, self.fields["acts_as"])
        acts_as.choices = [
            (m.pk, f"{m.user.display_name} ({m.get_role_display()})") for m in members
        ]


class EndpointForm(forms.Form):
    url = forms.URLField(
        label="Endpoint URL",
        max_length=2000,
        assume_scheme="https",
        help_text="We POST signed JSON here (Standard Webhooks).",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=list(EVENT_TYPES.items()), widget=forms.CheckboxSelectMultiple
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="The file holds",
        choices=[(k, k.capitalize()) for k in KINDS],
        help_text="Import clients first, then packages, then bookings.",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="Reformer template, or a Mindbody / Mariana Tek export. Up to 20 MB.",
    )


class ConfirmDeleteForm(forms.Form):
    confirm = forms.CharField(
        label="Type DELETE to confirm",
        max_length=10,
        help_text="This cannot be undone.",
    )

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != "DELETE":
            raise forms.ValidationError("Type DELETE in capitals to confirm.")
        return value
