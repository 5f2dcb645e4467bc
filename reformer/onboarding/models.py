"""The newcomer's front door: waivers, health intake, intro offers, class prerequisites."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from reformer.accounts.models import Membership
from reformer.billing.models import ClientPackage, PackageProduct
from reformer.scheduling.models import ClassType
from reformer.studios.models import Organization

# ------------------------------------------------------------------------------ waivers


class Document(models.Model):
    """A document clients accept before booking (liability waiver, studio terms)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint("organization", Lower("title"), name="document_title_unique")
        ]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """An immutable text; publishing a new one asks every client again at their next booking."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_once"),
            models.CheckConstraint(
                condition=Q(body__regex=r"\S"), name="document_version_has_text"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class Acceptance(models.Model):
    """A client accepted a version: when, and the exact text they saw."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="acceptances")
    version = models.ForeignKey(
        DocumentVersion, on_delete=models.PROTECT, related_name="acceptances"
    )
    text_seen = models.TextField()
    accepted_at = models.DateTimeField()
    signature = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="acceptance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.client} accepted {self.version}"


# ------------------------------------------------------------------------ health intake


class IntakeQuestion(models.Model):
    class Kind(models.TextChoices):
        YES_NO = "yes_no", "Yes / no"
        SHORT = "short", "Short answer"
        LONG = "long", "Long answer"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    prompt = models.CharField(max_length=200)
    help_text = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SHORT)
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.prompt


class IntakeForm(models.Model):
    """A client's answers: {question id: {"prompt": as asked, "answer": text}}."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    client = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="intake")
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Intake of {self.client}"


# ------------------------------------------------------------------------- intro offers


class IntroOffer(models.Model):
    """A product sold only to first-timers, once per client."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    product = models.OneToOneField(
        PackageProduct, on_delete=models.CASCADE, related_name="intro_offer"
    )
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Intro offer: {self.product}"


class IntroRedemption(models.Model):
    """The one intro offer a client ever bought (the unique client makes it once)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    client = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="intro_redemption"
    )
    product = models.ForeignKey(PackageProduct, on_delete=models.PROTECT, related_name="+")
    client_package = models.OneToOneField(
        ClientPackage, on_delete=models.CASCADE, related_name="intro_redemption"
    )
    redeemed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.client} took {self.product}"


# ------------------------------------------------------------------------ prerequisites


class ClientTag(models.Model):
    """A mark staff grant a client: a level ("Level 2") or a clearance ("Jumpboard")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("organization", Lower("name"), name="client_tag_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ClientTagGrant(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="tag_grants")
    tag = models.ForeignKey(ClientTag, on_delete=models.CASCADE, related_name="grants")
    granted_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "tag"], name="client_tag_granted_once")
        ]

    def __str__(self) -> str:
        return f"{self.tag} for {self.client}"


class ClassRequirement(models.Model):
    """What a client needs before booking classes of a type; all of a type's must hold."""

    class Kind(models.TextChoices):
        ATTENDED = "attended", "Attended classes of a type"
        PRIVATE = "private", "Completed a private session"
        TAG = "tag", "Cleared by staff"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    class_type = models.ForeignKey(ClassType, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    required_class_type = models.ForeignKey(
        ClassType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    min_count = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    tag = models.ForeignKey(ClientTag, on_delete=models.CASCADE, null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="attended") | Q(required_class_type__isnull=False),
                name="requirement_attended_names_type",
            ),
            models.CheckConstraint(
                condition=~Q(kind="tag") | Q(tag__isnull=False), name="requirement_tag_named"
            ),
            models.CheckConstraint(condition=Q(min_count__gte=1), name="requirement_count"),
        ]

    def __str__(self) -> str:
        return f"{self.class_type} requires {self.kind}"


class RequirementOverride(models.Model):
    """Staff placed a client who did not meet a class's requirements: who, why, when."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(Membership, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(max_length=200)
    unmet = models.CharField(max_length=300)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__regex=r"\S"), name="requirement_override_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"Override for {self.client}: {self.reason}"
