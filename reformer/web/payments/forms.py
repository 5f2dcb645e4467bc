"""Forms of the payment pages: they parse and bound input; the actions decide the rules."""

from __future__ import annotations

from typing import cast

from django import forms

from reformer.billing.models import Payment
from reformer.core.money import format_money


class StripeKeysForm(forms.Form):
    secret_key = forms.CharField(
        label="Secret key",
        max_length=255,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "placeholder": "sk_live_…"}),
        help_text="Stripe Dashboard → Developers → API keys. Stored encrypted; never shown again.",
    )
    webhook_secret = forms.CharField(
        label="Webhook signing secret",
        max_length=255,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "placeholder": "whsec_…"}),
        help_text="From the endpoint you add in Stripe for the webhook URL shown on this "
        "page (it appears once the secret key is saved). Leave empty to keep the saved one.",
    )

    def __init__(self, *args, connected: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if connected:  # Step 2 (or a rotation) may change one key and keep the other.
            key = self.fields["secret_key"]
            key.required = False
            key.help_text = "Leave empty to keep the saved one. " + str(key.help_text)


class FeePolicyForm(forms.Form):
    late_cancel_fee = forms.DecimalField(
        label="Late-cancel fee",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text="Empty = no fee.",
    )
    no_show_fee = forms.DecimalField(
        label="No-show fee",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text="Empty = no fee.",
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount to refund",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text="Empty = everything still refundable.",
    )
    credits = forms.IntegerField(
        label="Credits to take back",
        min_value=0,
        required=False,
        help_text="Empty = all unused credits for a full refund, none for a partial one.",
    )
    reason = forms.CharField(label="Reason", max_length=200, required=False)


class SaleForm(forms.Form):
    client = forms.TypedChoiceField(label="Client", coerce=int)
    product = forms.TypedChoiceField(label="Package", coerce=int)
    studio = forms.TypedChoiceField(label="Studio", coerce=int)
    method = forms.ChoiceField(
        label="Paid with",
        choices=[
            (Payment.Method.CASH, "Cash"),
            (Payment.Method.TERMINAL, "Card terminal"),
            (Payment.Method.COMPLIMENTARY, "Complimentary (no charge)"),
        ],
        widget=forms.RadioSelect,
        initial=Payment.Method.CASH,
    )
    amount = forms.DecimalField(
        label="Amount taken",
        min_value=0,
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text="Empty = the package's price.",
    )
    note = forms.CharField(label="Note", max_length=200, required=False)

    def __init__(self, *args, clients=(), products=(), studios=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["client"]).choices = [
            (c.pk, f"{c.user.name or c.user.email} ({c.user.email})") for c in clients
        ]
        cast(forms.ChoiceField, self.fields["product"]).choices = [
            (p.pk, f"{p.name} · {format_money(p.price, p.currency)}") for p in products
        ]
        cast(forms.ChoiceField, self.fields["studio"]).choices = [(s.pk, s.name) for s in studios]
