"""Health intake: owner-editable questions, the client's answers, and who may read them."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from reformer.accounts.models import Membership
from reformer.core import audit
from reformer.core.errors import NotFound, PermissionDenied
from reformer.core.permissions import (
    BOOK_SELF,
    MANAGE_ONBOARDING,
    VIEW_INTAKE,
    is_client,
    may_view_intake,
    require,
    require_same_organization,
    teaches_only,
)
from reformer.onboarding.audit_codes import (
    ONBOARDING_INTAKE_QUESTION_ACTIVE,
    ONBOARDING_INTAKE_QUESTION_ADDED,
    ONBOARDING_INTAKE_SUBMITTED,
)
from reformer.onboarding.models import IntakeForm, IntakeQuestion
from reformer.studios.validation import clean_text, invalid

MAX_ANSWER = 2000
YES, NO = "yes", "no"


def add_question(
    actor: Membership, *, prompt: object, kind: str, required: bool = False, help_text=""
) -> IntakeQuestion:
    require(actor, MANAGE_ONBOARDING)
    prompt = clean_text(prompt, field="prompt", label="Question", max_length=200)
    help_text = clean_text(
        help_text, field="help_text", label="Hint", max_length=200, required=False
    )
    if kind not in IntakeQuestion.Kind.values:
        raise invalid("Choose how the question is answered.", "kind")
    with transaction.atomic(durable=True):
        position = (
            IntakeQuestion.objects.filter(organization_id=actor.organization_id).aggregate(
                p=Max("position")
            )["p"]
            or 0
        )
        question = IntakeQuestion.objects.create(
            organization_id=actor.organization_id,
            prompt=prompt,
            kind=kind,
            required=bool(required),
            help_text=help_text,
            position=position + 1,
        )
        audit.record(actor, ONBOARDING_INTAKE_QUESTION_ADDED, question)
    return question


def set_question_active(actor: Membership, question: IntakeQuestion, active: bool):
    require_same_organization(actor, question, "question")
    require(actor, MANAGE_ONBOARDING)
    with transaction.atomic(durable=True):
        question.active = bool(active)
        question.save(update_fields=["active"])
        audit.record(actor, ONBOARDING_INTAKE_QUESTION_ACTIVE, question, active=bool(active))
    return question


def active_questions(organization_id: int) -> list[IntakeQuestion]:
    return list(IntakeQuestion.objects.filter(organization_id=organization_id, active=True))


def submit_intake(actor: Membership, answers: dict) -> IntakeForm:
    """The client fills in (or updates) their form; each answer keeps the question as asked."""
    require(actor, BOOK_SELF)
    questions = active_questions(actor.organization_id)
    cleaned = {}
    for question in questions:
        raw = answers.get(str(question.pk), answers.get(question.pk, ""))
        value = "" if raw is None else str(raw).strip()
        field = f"q{question.pk}"
        if question.kind == IntakeQuestion.Kind.YES_NO and value not in ("", YES, NO):
            raise invalid(f"“{question.prompt}”: answer yes or no.", field)
        if len(value) > MAX_ANSWER:
            raise invalid(f"“{question.prompt}”: at most {MAX_ANSWER} characters.", field)
        if question.required and not value:
            raise invalid(f"“{question.prompt}” needs an answer.", field)
        cleaned[str(question.pk)] = {"prompt": question.prompt, "answer": value}
    now = timezone.now()
    with transaction.atomic(durable=True):
        form, created = IntakeForm.objects.select_for_update().get_or_create(
            client=actor,
            defaults={
                "organization_id": actor.organization_id,
                "answers": cleaned,
                "submitted_at": now,
                "updated_at": now,
            },
        )
        if not created:
            form.answers = cleaned
            form.updated_at = now
            form.save(update_fields=["answers", "updated_at"])
        audit.record(actor, ONBOARDING_INTAKE_SUBMITTED, form, created=created)
    return form


def intake_for(actor: Membership, client: Membership) -> IntakeForm | None:
    """The client's own form, or staff allowed to see it (core.permissions.may_view_intake):
    desk staff and managers of a studio where the client books, the instructor of one of
    their classes or appointments. Others: PermissionDenied; other organizations: NotFound."""
    require_same_organization(actor, client, "client")
    if actor.pk != client.pk:
        from reformer.onboarding.queries import client_studio_ids, teaches_client

        if not may_view_intake(
            actor,
            client_studio_ids=client_studio_ids(client),
            teaches_client=teaches_only(actor) and teaches_client(actor, client),
        ):
            raise PermissionDenied(VIEW_INTAKE)
    elif not is_client(client):
        raise NotFound("intake form")
    return IntakeForm.objects.filter(client=client).first()
