"""What our middleware adds to Django's HttpRequest, spelled out for the type checker.

Django builds every request as a plain HttpRequest; these classes are never instantiated.
A view annotates `request` with the narrowest one its decorator guarantees, so the checker
knows `request.membership` is there (and not None) without a cast in every view:

    AppRequest      any request: `htmx` (django-htmx), `membership` / `memberships`
                    (CurrentMembershipMiddleware), None / [] when signed out
    SignedInRequest @login_required: `user` is our User, never AnonymousUser
    MemberRequest   @membership_required, @staff_required, @capability_required(...):
                    signed in and acting in an organization, so `membership` is set
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from reformer.accounts.models import Membership, User


class AppRequest(HttpRequest):
    htmx: HtmxDetails
    membership: Membership | None
    memberships: list[Membership]


class SignedInRequest(AppRequest):
    user: User


class MemberRequest(SignedInRequest):
    membership: Membership
