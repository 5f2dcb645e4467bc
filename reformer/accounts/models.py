"""People: the User (login by email), their Membership (role) in each organization, the
client's per-organization profile, and staff invitations."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from reformer.studios.models import Organization, Studio


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, e.g. +14155550123")
    photo = models.ImageField(upload_to="photos/", blank=True)
    # Notification preferences (PHX-14 defaults).
    notify_class_reminders = models.BooleanField(default=True)
    notify_booking_confirmations = models.BooleanField(default=True)
    notify_promotional_email = models.BooleanField(default=False)
    notify_sms = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    # Django admin access, for support only: product roles live in Membership.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager"
    FRONT_DESK = "front_desk", "Front desk"
    INSTRUCTOR = "instructor", "Instructor"
    CLIENT = "client", "Client"


class Membership(models.Model):
    """A user's role in one organization. Staff other than owners are scoped to studios."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    studios = models.ManyToManyField(Studio, blank=True, related_name="staff")
    active = models.BooleanField(default=True)
    bio = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Not stored: core.permissions.studio_ids_in_scope caches its answer here.
    _studio_ids_in_scope: set[int]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]
        indexes = [models.Index(fields=["organization", "role", "active"])]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()} at {self.organization})"

    @property
    def name(self) -> str:
        return self.user.display_name


class ClientProfile(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="client_profile"
    )
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    health_notes = models.TextField(blank=True)
    # Optional, given by the client or the desk: the roster flags the class's week of it.
    birth_date = models.DateField(null=True, blank=True)
    no_show_strikes = models.PositiveIntegerField(default=0)
    suspended_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Client profile of {self.membership.user}"


class Invitation(models.Model):
    """A staff invitation: single use, expires, carries the role and studio scope."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    studios = models.ManyToManyField(Studio, blank=True)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    # Not stored: the raw token, on the Invitation that invite_staff returns (for the link).
    plain_token: str

    class Meta:
        indexes = [models.Index(fields=["organization", "email"])]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.role}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now
