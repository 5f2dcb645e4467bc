"""Password rules beyond Django's: an upper bound on length.

Django checks a minimum only; a 100,000-character "password" was accepted (and hashed, and
compared against user attributes, on every change and sign-in). Password managers generate
at most 64-100 characters, so 128 leaves room for any real passphrase."""

from __future__ import annotations

from django.core.exceptions import ValidationError

MAX_PASSWORD_LENGTH = 128


class MaximumLengthValidator:
    def __init__(self, max_length: int = MAX_PASSWORD_LENGTH) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: object = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.",
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return f"Your password can have at most {self.max_length} characters."
