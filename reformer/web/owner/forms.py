"""Forms of the owner pages: they parse input; the rules live in the actions."""

from __future__ import annotations

from typing import cast

from django import forms

from reformer.studios.models import Studio


class StudioChoiceForm(forms.Form):
    """Base for forms with a studio multi-choice limited to the studios the actor reaches."""

    studios = forms.ModelMultipleChoiceField(
        queryset=Studio.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The studios where they teach.",
    )

    def __init__(self, *args, studios=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["studios"])
        field.queryset = Studio.objects.filter(pk__in=[s.pk for s in studios]).order_by("name")


class InviteInstructorForm(StudioChoiceForm):
    email = forms.EmailField(label="Email address", max_length=254)

    field_order = ["email", "studios"]


class InstructorForm(StudioChoiceForm):
    name = forms.CharField(label="Name", max_length=150)
    bio = forms.CharField(
        label="Bio",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown to clients with the classes they teach.",
    )

    field_order = ["name", "bio", "studios"]

    def __init__(self, *args, name_editable: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not name_editable:
            field = self.fields["name"]
            field.disabled = True
            field.required = False
            field.help_text = (
                "They also belong to another organization, so they keep their name "
                "up to date in their own profile."
            )
