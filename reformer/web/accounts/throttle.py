"""Failed sign-ins slow down, by network address and by account, with growing delays.

- An address that keeps failing waits 1 s, 2 s, 4 s ... (up to an hour) after its first
  FREE_FAILURES failures, whatever account it tries.
- An account that keeps failing (from anywhere) waits the same way, up to ACCOUNT_CAP, so a
  stranger cannot lock its owner out for long: past the cap the owner gets a try every few
  minutes, and the stranger's own address is slowed far more (a try an hour).
- A browser that has signed in to the account before carries a signed "known device" cookie
  and skips the account's delay (only its address's own delay applies), and a completed
  password reset clears the account's delay: the owner always has a way in.

Refused attempts are not counted (no password is checked), so waiting them out works. The
counters live in Django's cache (per process by default; a shared cache with more than one
server process).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache

FREE_FAILURES = 5
BASE_DELAY = 1.0
ADDRESS_CAP = 3600.0
ACCOUNT_CAP = 300.0
# Counters are forgotten a day after the last failure.
MEMORY_SECONDS = 24 * 3600

DEVICE_COOKIE = "reformer_known_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600
_DEVICE_SALT = "reformer.accounts.known-device"


@dataclass(frozen=True)
class Refusal:
    seconds: int
    by_account: bool

    @property
    def message(self) -> str:
        wait = _duration(self.seconds)
        if self.by_account:
            return (
                f"Too many failed sign-ins for this account. Try again in {wait}, "
                "or reset your password to sign in now."
            )
        return f"Too many failed sign-ins from your network. Try again in {wait}."


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def delay_after(failures: int, cap: float) -> float:
    if failures < FREE_FAILURES:
        return 0.0
    return min(BASE_DELAY * 2 ** (failures - FREE_FAILURES), cap)


def _account_key(email: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:account:{digest}"


def _address_key(address: str) -> str:
    return f"login-failures:address:{address}"


def _wait(key: str, cap: float, now: float) -> float:
    failures, last = cache.get(key, (0, 0.0))
    return last + delay_after(failures, cap) - now


def check(*, address: str, email: str, known_device: bool) -> Refusal | None:
    """Why this attempt must wait, or None when it may go ahead."""
    now = time.time()
    address_wait = _wait(_address_key(address), ADDRESS_CAP, now)
    if address_wait > 0:
        return Refusal(math.ceil(address_wait), by_account=False)
    if not known_device:
        account_wait = _wait(_account_key(email), ACCOUNT_CAP, now)
        if account_wait > 0:
            return Refusal(math.ceil(account_wait), by_account=True)
    return None


def record_failure(*, address: str, email: str) -> None:
    now = time.time()
    for key in (_address_key(address), _account_key(email)):
        failures, _last = cache.get(key, (0, 0.0))
        cache.set(key, (failures + 1, now), MEMORY_SECONDS)


def forget_account(email: str) -> None:
    """The owner proved themselves (signed in, or reset the password by email)."""
    cache.delete(_account_key(email))


def device_token(user_id: int) -> str:
    return signing.dumps(user_id, salt=_DEVICE_SALT)


def is_known_device(token: str | None, email: str) -> bool:
    if not token:
        return False
    try:
        user_id = signing.loads(token, salt=_DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    except signing.BadSignature:
        return False
    from reformer.accounts.models import User

    return User.objects.filter(pk=user_id, email__iexact=email.strip()).exists()
