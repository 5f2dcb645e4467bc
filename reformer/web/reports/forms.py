from __future__ import annotations

from django import forms


class CustomReportForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    studio = forms.TypedChoiceField(label="Studio", coerce=int, required=False, empty_value=None)

    def __init__(self, *args, studios=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["studio"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "All studios"), *((s.pk, s.name) for s in studios)]


class ReportSettingsForm(forms.Form):
    monthly_email = forms.BooleanField(
        label="Email me the monthly report on the 1st", required=False
    )
    studio_reports = forms.BooleanField(
        label="Also make a separate report for each studio", required=False
    )
