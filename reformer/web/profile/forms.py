"""Profile forms: they parse input; validation rules (phone, email, password) live in
`reformer.accounts.profile`, whose DomainErrors land on the named field."""

from __future__ import annotations

from django import forms

from reformer.web.staff.forms import DateField, DateInput


class ProfileForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(
        label="Email",
        max_length=254,
        help_text="A new address takes effect once you open the link we email to it.",
    )
    phone = forms.CharField(
        label="Mobile phone",
        max_length=32,
        required=False,
        help_text="Include the country code if you are abroad, e.g. +44 20 7946 0018.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    emergency_contact_name = forms.CharField(
        label="Emergency contact name", max_length=150, required=False
    )
    emergency_contact_phone = forms.CharField(
        label="Emergency contact phone",
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    birth_date = DateField(
        label="Birthday",
        required=False,
        widget=DateInput(attrs={"autocomplete": "bday"}),
        help_text="Optional. Your instructor sees a birthday note on the class list that week.",
    )

    def __init__(self, *args, with_emergency_contact: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        if not with_emergency_contact:  # staff: no emergency contact, no birthday
            del self.fields["emergency_contact_name"]
            del self.fields["emergency_contact_phone"]
            del self.fields["birth_date"]


class BirthDateForm(forms.Form):
    """The desk gives or corrects a client's birth date on the client record."""

    birth_date = DateField(label="Birthday", required=False, widget=DateInput)


class NotificationForm(forms.Form):
    class_reminders = forms.BooleanField(
        label="Class reminders", required=False, help_text="Before each class you booked."
    )
    booking_confirmations = forms.BooleanField(
        label="Booking confirmations", required=False, help_text="When you book or cancel."
    )
    promotional_email = forms.BooleanField(
        label="Promotional emails", required=False, help_text="News and offers from studios."
    )


class PasswordForm(forms.Form):
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="8 to 128 characters; not only numbers, not a common password.",
    )
    new_password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean returns cleaned_data
        if cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", "The two new passwords do not match.")
        return cleaned
