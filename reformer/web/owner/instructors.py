"""Manage instructors: the list with upcoming class counts, invite, edit, deactivate,
reactivate (deactivated instructors are listed under "Inactive").

Writes go through the accounts actions (`invite_staff`, `change_role`, `deactivate_member`,
`reactivate_member`) and `accounts.profile.update_staff_details` (name and bio). Who may
manage whom is `core.permissions.why_not_manage_member`: the list hides Edit and
Deactivate where it refuses and says why, and the edit page refuses before showing a form
that could not be saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from reformer.accounts import actions as accounts
from reformer.accounts import profile
from reformer.accounts.models import Membership, Role
from reformer.accounts.queries import invitations_for
from reformer.core.errors import DomainError
from reformer.core.permissions import MANAGE_STAFF, studio_ids_in_scope, why_not_manage_member
from reformer.scheduling.models import ClassSession
from reformer.scheduling.queries import instructor_overview
from reformer.studios.models import Studio
from reformer.web.auth import capability_required, get_or_404
from reformer.web.errors import is_htmx, render_domain_error
from reformer.web.http import MemberRequest
from reformer.web.owner.forms import InstructorForm, InviteInstructorForm
from reformer.web.staff.setup_schedule import week_url
from reformer.web.toasts import add_toast

PAGE_SIZE = 25
# The deactivation page lists this many of the instructor's next classes (with the count).
CLASSES_SHOWN = 10


@dataclass
class InstructorRow:
    member: Membership
    refusal: str | None  # why the actor may not manage them; None: Edit and Deactivate


def _studios(request: MemberRequest) -> list[Studio]:
    membership = request.membership
    return list(
        Studio.objects.filter(
            organization_id=membership.organization_id,
            pk__in=studio_ids_in_scope(membership),
        ).order_by("name")
    )


def _pending_invitations(request: MemberRequest):
    return invitations_for(request.membership).filter(role=Role.INSTRUCTOR)


def _list_context(request: MemberRequest, invite_form: InviteInstructorForm | None = None) -> dict:
    actor = request.membership
    paginator = Paginator(instructor_overview(actor), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    studios = _studios(request)
    inactive = list(instructor_overview(actor, active=False))
    return {
        "page_obj": page_obj,
        "instructors": page_obj.object_list,
        "rows": [InstructorRow(m, why_not_manage_member(actor, m)) for m in page_obj],
        "inactive_rows": [InstructorRow(m, why_not_manage_member(actor, m)) for m in inactive],
        "invite_form": invite_form or InviteInstructorForm(studios=studios),
        "invitations": _pending_invitations(request),
        "studio_count": len(studios),
    }


@capability_required(MANAGE_STAFF)
def instructors(request: MemberRequest) -> HttpResponse:
    template = "owner/_instructor_list.html" if is_htmx(request) else "owner/instructors.html"
    return render(request, template, _list_context(request))


@require_POST
@capability_required(MANAGE_STAFF)
def instructor_invite(request: MemberRequest) -> HttpResponse:
    form = InviteInstructorForm(request.POST, studios=_studios(request))
    if not form.is_valid():
        return _invite_response(request, form, status=422)
    email = form.cleaned_data["email"]
    try:
        invitation = accounts.invite_staff(
            request.membership,
            email=email,
            role=Role.INSTRUCTOR,
            studios=form.cleaned_data["studios"],
        )
    except DomainError as error:
        return render_domain_error(
            request,
            error,
            template="owner/_invite_form.html" if is_htmx(request) else "owner/instructors.html",
            context=_list_context(request, form) | {"invite_form": form},
        )
    message = f"Invitation sent to {invitation.email}."
    if not is_htmx(request):
        messages.success(request, message)
        return redirect("owner:instructors")
    response = render(
        request,
        "owner/_invite_form.html",
        _list_context(request),
    )
    return add_toast(response, message)


def _invite_response(request: MemberRequest, form: InviteInstructorForm, status: int):
    template = "owner/_invite_form.html" if is_htmx(request) else "owner/instructors.html"
    return render(
        request, template, _list_context(request, form) | {"invite_form": form}, status=status
    )


@capability_required(MANAGE_STAFF)
def instructor_edit(request: MemberRequest, pk: int) -> HttpResponse:
    instructor = get_or_404(instructor_overview(request.membership), pk, "instructor")
    refusal = why_not_manage_member(request.membership, instructor)
    if refusal is not None:
        # Not a form that cannot be saved: the page says who may edit them.
        return render(
            request,
            "owner/instructor_edit.html",
            {"instructor": instructor, "refusal": refusal},
            status=403,
        )
    name_editable = not profile.name_is_shared(instructor)
    studios = _studios(request)
    if request.method != "POST":
        form = InstructorForm(
            initial={
                "name": instructor.user.name,
                "bio": instructor.bio,
                "studios": [s.pk for s in instructor.studios.all()],
            },
            studios=studios,
            name_editable=name_editable,
        )
        return _edit_page(request, instructor, form)
    form = InstructorForm(request.POST, studios=studios, name_editable=name_editable)
    if not form.is_valid():
        return _edit_page(request, instructor, form, status=422)
    try:
        with transaction.atomic():
            profile.update_staff_details(
                request.membership,
                instructor,
                bio=form.cleaned_data["bio"],
                name=form.cleaned_data["name"] if name_editable else None,
            )
            accounts.change_role(
                request.membership,
                instructor,
                role=Role.INSTRUCTOR,
                studios=form.cleaned_data["studios"],
            )
    except DomainError as error:
        return render_domain_error(
            request,
            error,
            template="owner/instructor_edit.html",
            context={"instructor": instructor, "form": form},
        )
    messages.success(request, f"Saved {instructor.user.display_name}'s details.")
    return redirect("owner:instructors")


def _edit_page(request, instructor, form, status: int = 200) -> HttpResponse:
    return render(
        request,
        "owner/instructor_edit.html",
        {"instructor": instructor, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE_STAFF)
def instructor_deactivate(request: MemberRequest, pk: int) -> HttpResponse:
    """GET: the confirmation, with the classes they still teach (deactivating cancels
    none: they stay on the schedule under their name until reassigned). POST: deactivate."""
    instructor = get_or_404(instructor_overview(request.membership), pk, "instructor")
    if request.method != "POST":
        refusal = why_not_manage_member(request.membership, instructor)
        upcoming = list(
            ClassSession.objects.filter(
                organization_id=instructor.organization_id,
                instructor=instructor,
                status=ClassSession.Status.SCHEDULED,
                starts_at__gte=timezone.now(),
            )
            .select_related("studio", "class_type")
            .order_by("starts_at", "pk")[:CLASSES_SHOWN]
        )
        context = {
            "instructor": instructor,
            "refusal": refusal,
            "classes": [(session, week_url(session, "list")) for session in upcoming],
        }
        return render(
            request,
            "owner/instructor_deactivate.html",
            context,
            status=200 if refusal is None else 403,
        )
    accounts.deactivate_member(request.membership, instructor)
    name = instructor.user.display_name
    message = f"{name} was deactivated and can no longer sign in here."
    if instructor.upcoming_count:
        message += (
            f" Their {_classes(instructor.upcoming_count)} still name them: give them another"
            " instructor on the schedule."
        )
    return _back_to_the_list(request, message)  # the row moves to "Inactive"


@require_POST
@capability_required(MANAGE_STAFF)
def instructor_reactivate(request: MemberRequest, pk: int) -> HttpResponse:
    instructor = get_or_404(instructor_overview(request.membership, active=False), pk, "instructor")
    accounts.reactivate_member(request.membership, instructor)
    message = f"{instructor.user.display_name} was reactivated and can sign in again."
    return _back_to_the_list(request, message)


def _back_to_the_list(request: MemberRequest, message: str) -> HttpResponse:
    """After a (de)activation: the list page with `message`, or for htmx the list itself
    swapped in with the message as a toast."""
    if not is_htmx(request):
        messages.success(request, message)
        return redirect("owner:instructors")
    response = render(request, "owner/_instructor_list.html", _list_context(request))
    response["HX-Retarget"] = "#instructor-list"
    response["HX-Reswap"] = "outerHTML"
    return add_toast(response, message)


def _classes(count: int) -> str:
    return f"{count} upcoming class" + ("" if count == 1 else "es")
