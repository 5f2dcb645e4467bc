"""allauth, made safe to face strangers: sign-up reveals nothing, sign-in failures slow down.

Sign-up answers every address the same way ("check your email"): a new address gets a
confirmation link that signs the person in; an address already registered gets an email
saying so (with a sign-in and a password-reset link), and no second account. Sign-in
throttling is `web/accounts/throttle.py`; allauth's own fixed-window limit is replaced by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.app_settings import EmailVerificationMethod
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.stages import EmailVerificationStage
from allauth.core import context as allauth_context
from django import forms
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest, HttpResponse

from reformer.accounts import actions as accounts_actions
from reformer.web.accounts import throttle

PRODUCT_NAME = "Reformer"


@dataclass(frozen=True)
class EmailSite:
    """What allauth's emails call the site ("Hello from {{ current_site.name }}!").
    Without django.contrib.sites allauth falls back to the request's host
    ("Hello from 127.0.0.1:8714!"); these emails go out before any organization is known
    (sign-up, password reset), so they speak as the product, at the host they came from."""

    name: str
    domain: str


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        domain = get_current_site(allauth_context.request).domain
        context = {"current_site": EmailSite(PRODUCT_NAME, domain), **context}
        super().send_mail(template_prefix, email, context)

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        email = str(credentials.get("email", ""))
        refusal = throttle.check(
            address=self.get_client_ip(request),
            email=email,
            known_device=throttle.is_known_device(
                request.COOKIES.get(throttle.DEVICE_COOKIE), email
            ),
        )
        if refusal is not None:
            raise forms.ValidationError(refusal.message, code="too_many_login_attempts")

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        throttle.record_failure(
            address=self.get_client_ip(request), email=str(credentials.get("email", ""))
        )

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        # Called by allauth after a completed password reset.
        throttle.forget_account(str(credentials.get("email", "")))

    def get_login_stages(self) -> list[str]:
        stages = super().get_login_stages()
        return [
            f"{__name__}.SignupVerificationStage"
            if stage == "allauth.account.stages.EmailVerificationStage"
            else stage
            for stage in stages
        ]

    def post_login(self, request: HttpRequest, user, **kwargs: Any) -> HttpResponse:
        response = super().post_login(request, user, **kwargs)
        throttle.forget_account(user.email)
        response.set_cookie(
            throttle.DEVICE_COOKIE,
            throttle.device_token(user.pk),
            max_age=throttle.DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
        return response


class SignupVerificationStage(EmailVerificationStage):
    """A fresh sign-up is answered exactly like one for a registered address: "check your
    email" (verification is mandatory for it; the link signs the person in). Sign-ins of
    existing accounts keep the configured ACCOUNT_EMAIL_VERIFICATION."""

    def handle(self):
        if self.login.signup:
            self.login.email_verification = EmailVerificationMethod.MANDATORY
        return super().handle()


class SignupForm(AllauthSignupForm):
    """A registered address passes validation; `try_save` then emails its owner instead."""

    def validate_unique_email(self, value: str) -> str:
        # An address is taken when it is an account's own address or one its owner verified.
        # An unverified extra address someone attached to their account proves nothing and
        # must not keep the address's real owner out (allauth would refuse the sign-up).
        self.account_already_exists = accounts_actions.email_is_taken(value)
        return value

    def try_save(self, request: HttpRequest):
        if not self.account_already_exists:
            accounts_actions.release_unverified_claims(self.cleaned_data["email"])
            return super().try_save(request)
        adapter = get_adapter(request)
        adapter.send_account_already_exists_mail(self.cleaned_data["email"])
        return None, adapter.respond_email_verification_sent(request, None)
