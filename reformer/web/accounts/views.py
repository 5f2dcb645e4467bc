"""Pages for belonging to an organization: its public page and joining it, staff
invitations, creating an organization, and switching between organizations."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from reformer.accounts import actions, queries
from reformer.core.errors import DomainError, NotFound
from reformer.studios.actions import create_organization
from reformer.web.accounts.forms import OrganizationCreateForm
from reformer.web.context import brand_for
from reformer.web.errors import not_found, render_domain_error
from reformer.web.http import AppRequest, SignedInRequest
from reformer.web.middleware import remember_membership


def _public_context(request: AppRequest, slug: str) -> dict:
    found = queries.public_organization(slug)
    if found is None:
        raise Http404("No such organization")
    public_org, studios = found
    return {
        "public_org": public_org,
        "studios": studios,
        "their_membership": queries.membership_in(request.user, public_org),
        "brand": brand_for(public_org),
    }


def organization_public(request: AppRequest, slug: str) -> HttpResponse:
    return render(request, "accounts/organization_public.html", _public_context(request, slug))


@require_POST
def organization_join(request: AppRequest, slug: str) -> HttpResponse:
    context = _public_context(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("organization_public", args=[slug]))
    try:
        membership = actions.join_organization(request.user, context["public_org"])
    except DomainError as error:
        return render_domain_error(
            request, error, template="accounts/organization_public.html", context=context
        )
    remember_membership(request, membership)
    messages.success(request, f"Welcome to {membership.organization.name}!")
    return redirect("home")


@login_required
def start(request: SignedInRequest) -> HttpResponse:
    """For a signed-in person without an organization: join one, or create your own."""
    return render(
        request,
        "accounts/start.html",
        {
            "form": OrganizationCreateForm(),
            "pending_invitations": list(queries.pending_invitations_to(request.user)),
        },
    )


@login_required
def organization_create(request: SignedInRequest) -> HttpResponse:
    form = OrganizationCreateForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            membership = create_organization(
                request.user,
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except DomainError as error:
            return render_domain_error(
                request, error, template="accounts/organization_create.html", context=context
            )
        remember_membership(request, membership)
        messages.success(
            request, f"{membership.organization.name} is ready. Add your first studio next."
        )
        # A new organization starts on the setup checklist.
        return redirect("staff:dashboard")
    return render(request, "accounts/organization_create.html", context)


@require_POST
@login_required
def switch_organization(request: SignedInRequest) -> HttpResponse:
    chosen = request.POST.get("membership", "")
    for membership in request.memberships:
        if str(membership.pk) == chosen:
            remember_membership(request, membership)
            messages.info(request, f"You are now in {membership.organization.name}.")
            return redirect("home")
    raise NotFound("organization")


def invitation_accept(request: AppRequest, token: str) -> HttpResponse:
    """Show a staff invitation; signed in with the invited email, accept it (POST)."""
    invitation = queries.invitation_by_token(token)
    if invitation is None:
        return not_found(
            request,
            "This invitation link is not valid. Check the link in the "
            "email, or ask the studio to send a new one.",
        )
    problem = None
    try:
        actions.check_invitation_usable(invitation)
    except DomainError as error:
        problem = error.message
    user = request.user
    context = {
        "invitation": invitation,
        "invited_org": invitation.organization,
        "brand": brand_for(invitation.organization),
        "problem": problem,
        "wrong_email": user.is_authenticated and user.email.lower() != invitation.email.lower(),
    }
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.path)
        try:
            membership = actions.accept_invitation(user, token)
        except DomainError as error:
            return render_domain_error(
                request, error, template="accounts/invitation_accept.html", context=context
            )
        remember_membership(request, membership)
        messages.success(
            request,
            f"Welcome to the team at {membership.organization.name}, "
            f"{membership.get_role_display().lower()}!",
        )
        return redirect("home")
    if not user.is_authenticated and problem is None:
        # The link came by email: signing up with that address needs no further check.
        get_adapter(request).stash_verified_email(request, invitation.email)
    return render(request, "accounts/invitation_accept.html", context)
