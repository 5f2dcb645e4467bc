"""Manage instructors: the list with upcoming class counts, invite, edit, deactivate.

Writes go through the accounts actions (`invite_staff`, `change_role`, `deactivate_member`)
and `accounts.profile.update_staff_details` (name and bio).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from reformer.accounts import actions as accounts
from reformer.accounts import profile
from reformer.accounts.models import Role
from reformer.accounts.queries import invitations_for
from reformer.analytics.queries import instructor_overview
from reformer.core.errors import DomainError
from reformer.core.permissions import MANAGE_STAFF, studio_ids_in_scope
from reformer.studios.models import Studio
from reformer.web.auth import capability_required, get_or_404
from reformer.web.errors import is_htmx, render_domain_error
from reformer.web.http import MemberRequest
from reformer.web.owner.forms import InstructorForm, InviteInstructorForm
from reformer.web.toasts import add_toast

PAGE_SIZE = 25


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
    paginator = Paginator(instructor_overview(request.membership), PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    studios = _studios(request)
    return {
        "page_obj": page_obj,
        "instructors": page_obj.object_list,
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


@require_POST
@capability_required(MANAGE_STAFF)
def instructor_deactivate(request: MemberRequest, pk: int) -> HttpResponse:
    instructor = get_or_404(instructor_overview(request.membership), pk, "instructor")
    accounts.deactivate_member(request.membership, instructor)
    message = f"{instructor.user.display_name} was deactivated and can no longer sign in here."
    if not is_htmx(request):
        messages.success(request, message)
        return redirect("owner:instructors")
    # The row is replaced by nothing (data-hx-swap="outerHTML" on the row).
    return add_toast(HttpResponse(""), message)
