"""Owner setup of the front door: appointment types, waivers, health questions, intro
offers, class prerequisites and the tags staff grant. One page, one form per section."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from reformer.accounts.models import Membership
from reformer.appointments import actions as appointment_actions
from reformer.appointments.models import AppointmentType
from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.parsing import to_id
from reformer.core.permissions import (
    MANAGE_APPOINTMENT_TYPES,
    MANAGE_ONBOARDING,
    STAFF_ROLES,
    has_capability,
)
from reformer.onboarding import actions as onboarding
from reformer.onboarding.models import (
    ClassRequirement,
    ClientTag,
    Document,
    IntakeQuestion,
)
from reformer.scheduling.models import ClassType
from reformer.web.auth import capability_required
from reformer.web.frontdoor import queries
from reformer.web.http import MemberRequest

TEMPLATE = "frontdoor/setup/newcomers.html"


def _get(model, actor, pk, what):
    found = model.objects.filter(organization_id=actor.organization_id, pk=to_id(pk) or 0).first()
    if found is None:
        raise NotFound(what)
    return found


def _context(actor) -> dict:
    documents = [
        {"document": d, "current": max(d.versions.all(), key=lambda v: v.number, default=None)}
        for d in Document.objects.filter(organization_id=actor.organization_id).prefetch_related(
            "versions"
        )
    ]
    requirements = list(
        ClassRequirement.objects.filter(organization_id=actor.organization_id).select_related(
            "class_type", "required_class_type", "tag"
        )
    )
    return {
        "types": queries.appointment_types(actor, active_only=False),
        "instructors": list(
            Membership.objects.filter(
                organization_id=actor.organization_id, active=True, role__in=STAFF_ROLES
            ).select_related("user")
        ),
        "credit_kinds": AppointmentType.CreditKind.choices,
        "documents": documents,
        "questions": list(IntakeQuestion.objects.filter(organization_id=actor.organization_id)),
        "question_kinds": IntakeQuestion.Kind.choices,
        "products": queries.products_for_sale(actor),
        "class_types": list(
            ClassType.objects.filter(organization_id=actor.organization_id, active=True)
        ),
        "requirements": requirements,
        "requirement_kinds": ClassRequirement.Kind.choices,
        "tags": list(ClientTag.objects.filter(organization_id=actor.organization_id)),
        "can_onboard": has_capability(actor, MANAGE_ONBOARDING),
        "can_types": has_capability(actor, MANAGE_APPOINTMENT_TYPES),
    }


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE_APPOINTMENT_TYPES)
def newcomers(request: MemberRequest) -> HttpResponse:
    actor = request.membership
    if request.method == "POST":
        post = request.POST
        action = post.get("action", "")
        try:
            done = _apply(actor, action, post)
        except (NotFound, PermissionDenied):
            raise
        except DomainError as error:
            context = _context(actor) | {"error": error, "failed": action, "posted": post}
            return render(request, TEMPLATE, context, status=422)
        messages.success(request, done)
        return redirect(f"{request.path}#{action.split('_')[0]}")
    return render(request, TEMPLATE, _context(actor))


def _apply(actor, action: str, post) -> str:
    if action == "type_add":
        kind = appointment_actions.create_appointment_type(
            actor,
            post,
            instructor_ids=[i for i in map(to_id, post.getlist("instructors")) if i is not None],
        )
        return f"{kind.name} added."
    if action == "type_active":
        kind = _get(AppointmentType, actor, post.get("pk"), "appointment type")
        appointment_actions.set_appointment_type_active(actor, kind, post.get("active") == "1")
        return f"{kind.name} {'offered again' if kind.active else 'archived'}."
    if action == "document_add":
        version = onboarding.create_document(actor, title=post.get("title"), body=post.get("body"))
        return f"{version.document.title} published. Clients accept it at their next booking."
    if action == "document_publish":
        document = _get(Document, actor, post.get("pk"), "document")
        version = onboarding.publish_version(actor, document, body=post.get("body"))
        return f"{document.title} version {version.number} published."
    if action == "question_add":
        onboarding.add_question(
            actor,
            prompt=post.get("prompt"),
            kind=post.get("kind", ""),
            required=post.get("required") == "1",
            help_text=post.get("help_text", ""),
        )
        return "Question added."
    if action == "question_active":
        question = _get(IntakeQuestion, actor, post.get("pk"), "question")
        onboarding.set_question_active(actor, question, post.get("active") == "1")
        return "Question updated."
    if action == "intro_set":
        product = next(
            (i.product for i in queries.products_for_sale(actor) if str(i.pk) == post.get("pk")),
            None,
        )
        if product is None:
            raise NotFound("package")
        onboarding.set_intro_offer(actor, product, post.get("enabled") == "1")
        state = "is now" if post.get("enabled") == "1" else "is no longer"
        return f"{product.name} {state} an intro offer."
    if action == "requirement_add":
        class_type = _get(ClassType, actor, post.get("class_type"), "class type")
        required = (
            _get(ClassType, actor, post.get("required_class_type"), "class type")
            if post.get("required_class_type")
            else None
        )
        tag = _get(ClientTag, actor, post.get("tag"), "tag") if post.get("tag") else None
        onboarding.add_requirement(
            actor,
            class_type,
            kind=post.get("kind", ""),
            required_class_type=required,
            min_count=post.get("min_count", "1"),
            tag=tag,
        )
        return f"{class_type.name} now has a prerequisite."
    if action == "requirement_remove":
        onboarding.remove_requirement(
            actor, _get(ClassRequirement, actor, post.get("pk"), "requirement")
        )
        return "Prerequisite removed."
    if action == "tag_add":
        tag = onboarding.create_tag(
            actor, name=post.get("name"), description=post.get("description", "")
        )
        return f"{tag.name} added: staff can now grant it on a client's page."
    raise DomainError("validation", "Choose what to change.")
