"""Who is calling: the API key (Bearer), its scopes and its rate limit."""

from __future__ import annotations

from typing import cast

from django.http import HttpRequest
from ninja.security import HttpBearer

from reformer.accounts.models import Membership
from reformer.api.keys import authenticate, count_request
from reformer.api.models import ApiKey
from reformer.core import timeformat
from reformer.core.errors import PermissionDenied


class ApiRequest(HttpRequest):
    """A request that came with a valid key (set by ApiKeyAuth)."""

    api_key: ApiKey
    actor: Membership


class RateLimited(Exception):
    def __init__(self, retry_after: int, limit: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after
        self.limit = limit


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer rk_...`: the key, once counted against its per-minute limit."""

    openapi_description = (
        "An organization API key (the owner creates it under Integrations). It acts as one "
        "member of the organization, with that member's permissions, limited to its scopes."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = authenticate(token)
        if key is None:
            return None
        retry_after = count_request(key)
        if retry_after is not None:
            raise RateLimited(retry_after, key.rate_limit_per_minute)
        keyed = cast(ApiRequest, request)
        keyed.api_key = key
        keyed.actor = key.acts_as
        # Dates in answers and refusals as the key's organization writes them (a key has no
        # session for the web's middleware to pick the organization from); that middleware
        # resets the locale when the response is done.
        timeformat.set_current(key.acts_as.organization)
        return key


def actor_with_scope(request: HttpRequest, scope: str) -> Membership:
    """The member the key acts as, if the key carries `scope`."""
    keyed = cast(ApiRequest, request)
    key = keyed.api_key
    if scope not in key.scopes:
        refusal = PermissionDenied(f"scope:{scope}")
        refusal.message = (
            f"This API key lacks the {scope} scope. Ask the owner for a key that has it."
        )
        raise refusal
    return keyed.actor
