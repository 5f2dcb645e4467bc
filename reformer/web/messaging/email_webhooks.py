"""Email tracking webhooks: anymail's own views for the providers we send through
(settings.ANYMAIL_BACKENDS), under /webhooks/anymail/<esp>/tracking/, namespace "anymail".

anymail verifies a webhook when it is told how (its WEBHOOK_SECRET basic auth, or the
provider's own signature: RESEND_SIGNING_SECRET, SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY,
MAILGUN_WEBHOOK_SIGNING_KEY) but, told nothing, only warns and accepts anyone's events:
forged bounces would suppress real addresses. Here a view with no verification configured
answers 403 and records nothing. A body the provider's parser cannot read answers 400
(anymail lets a parse error through as a 500, which providers retry forever); a wrong
signature stays anymail's own 400.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from anymail.exceptions import AnymailError, AnymailWebhookValidationFailure
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.brevo import BrevoTrackingWebhookView
from anymail.webhooks.mailgun import MailgunTrackingWebhookView
from anymail.webhooks.mailjet import MailjetTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from anymail.webhooks.resend import ResendTrackingWebhookView
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.core.exceptions import BadRequest, ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.urls import path
from django.views import View

logger = logging.getLogger(__name__)

app_name = "anymail"

# What a provider's parser raises on a body that is not what it sends (not JSON, not the
# right shape, not UTF-8, an SNS envelope that does not parse).
_MALFORMED = (AnymailError, ValueError, KeyError, TypeError, AttributeError, IndexError)


class _RefuseUnverified:
    """Mixed in before an anymail tracking view: refuse unless anymail will verify."""

    basic_auth: Any
    warn_if_no_basic_auth: bool
    esp_name: str

    def __init__(self, **kwargs: Any) -> None:
        self.unavailable = ""
        try:
            super().__init__(**kwargs)
        except ImproperlyConfigured as error:
            # A required setting or package is missing (Mailgun without a signing key,
            # Amazon SES without boto3): nothing can be verified, so nothing is accepted.
            self.unavailable = str(error)

    def verified(self) -> bool:
        """anymail checks a basic-auth secret, or the provider's own signature: it clears
        `warn_if_no_basic_auth` exactly when it has a signing key for the provider."""
        if self.unavailable:
            return False
        return bool(getattr(self, "basic_auth", None)) or not self.warn_if_no_basic_auth

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.verified():
            logger.warning(
                "%s tracking webhook refused: no verification configured%s",
                self.esp_name,
                f" ({self.unavailable})" if self.unavailable else "",
            )
            return HttpResponseForbidden(
                "This webhook is not configured: set ANYMAIL_WEBHOOK_SECRET or the "
                "provider's signing secret.",
                content_type="text/plain; charset=utf-8",
            )
        return super().post(request, *args, **kwargs)  # type: ignore[misc]  # anymail's View

    def run_validators(self, request: HttpRequest) -> None:
        try:
            super().run_validators(request)  # type: ignore[misc]  # anymail's View
        except AnymailWebhookValidationFailure:
            raise  # anymail's own answer to a wrong signature or secret (400)
        except _MALFORMED as error:
            raise BadRequest(f"Malformed {self.esp_name} webhook body.") from error

    def parse_events(self, request: HttpRequest) -> list:
        # Only parsing: the events are sent to our tracking handler afterwards, so an error
        # of ours there is still a 500 (and the provider retries).
        try:
            return super().parse_events(request)  # type: ignore[misc]  # anymail's View
        except _MALFORMED as error:
            raise BadRequest(f"Malformed {self.esp_name} webhook body.") from error


def _guarded(view_class: type[View]) -> Any:
    guarded = type(f"Verified{view_class.__name__}", (_RefuseUnverified, view_class), {})
    return cast(type[View], guarded).as_view()


_TRACKING_VIEWS = {
    "resend": ResendTrackingWebhookView,
    "postmark": PostmarkTrackingWebhookView,
    "mailgun": MailgunTrackingWebhookView,
    "sendgrid": SendGridTrackingWebhookView,
    "amazon_ses": AmazonSESTrackingWebhookView,
    "brevo": BrevoTrackingWebhookView,
    "mailjet": MailjetTrackingWebhookView,
}

urlpatterns = [
    path(f"{esp}/tracking/", _guarded(view), name=f"{esp}_tracking_webhook")
    for esp, view in _TRACKING_VIEWS.items()
]
