from __future__ import annotations

from django import forms


class SignupExtraForm(forms.Form):
    """Extra sign-up fields for allauth: the person's name."""

    name = forms.CharField(max_length=150, label="Full name")

    def signup(self, request, user) -> None:
        user.name = self.cleaned_data["name"]
        user.save(update_fields=["name"])
