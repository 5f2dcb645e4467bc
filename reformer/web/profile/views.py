"""Everyone's own profile: details, photo, notification preferences, password, email.

One page with tabs (`?tab=profile|notifications|password`); each form posts to its own
URL and, for htmx, answers with its own panel re-rendered (success or errors inline).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from reformer.accounts import profile
from reformer.accounts.models import ClientProfile
from reformer.core.errors import DomainError
from reformer.core.permissions import BOOK_SELF, has_capability
from reformer.web.errors import is_htmx
from reformer.web.http import AppRequest, SignedInRequest
from reformer.web.profile.forms import NotificationForm, PasswordForm, ProfileForm

TABS = {"profile": "Profile", "notifications": "Notifications", "password": "Password"}
# Requests this much over the photo limit are refused before their body is read.
UPLOAD_SLACK_BYTES = 256 * 1024


def _client_membership(request: SignedInRequest):
    membership = getattr(request, "membership", None)
    if membership is not None and has_capability(membership, BOOK_SELF):
        return membership  # clients keep an emergency contact on their ClientProfile
    return None


def _client_profile(request: SignedInRequest):
    # Read afresh: the form shown after a save must show what was saved, and the
    # membership's cached relation predates it (or was missing until the first save).
    membership = _client_membership(request)
    return ClientProfile.objects.filter(membership=membership).first() if membership else None


def _profile_form(request: SignedInRequest, data=None) -> ProfileForm:
    user = request.user
    contact = _client_profile(request)
    initial = {"name": user.name, "email": user.email, "phone": user.phone}
    if contact is not None:
        initial["emergency_contact_name"] = contact.emergency_contact_name
        initial["emergency_contact_phone"] = contact.emergency_contact_phone
        initial["birth_date"] = contact.birth_date
    return ProfileForm(
        data, initial=initial, with_emergency_contact=_client_membership(request) is not None
    )


def _notification_form(request: SignedInRequest, data=None) -> NotificationForm:
    user = request.user
    return NotificationForm(
        data,
        initial={
            "class_reminders": user.notify_class_reminders,
            "booking_confirmations": user.notify_booking_confirmations,
            "promotional_email": user.notify_promotional_email,
        },
    )


def photo_src(user) -> str:
    if not user.photo:
        return ""
    # The name changes with every upload, so the URL does too (no stale cached photo).
    return f"{reverse('profile:photo_file')}?v={user.photo.name.rsplit('/', 1)[-1]}"


def _context(request: SignedInRequest, **overrides) -> dict:
    tab = request.GET.get("tab", "profile")
    context = {
        "tab": tab if tab in TABS else "profile",
        "tabs": list(TABS.items()),
        "form": _profile_form(request),
        "notification_form": _notification_form(request),
        "password_form": PasswordForm(),
        "photo_url": photo_src(request.user),
        "max_photo_bytes": profile.MAX_PHOTO_BYTES,
        "live_query": "",
    }
    context.update(overrides)
    return context


def _panel(request: SignedInRequest, template: str, context: dict, status: int = 200):
    """The panel for htmx, else the whole page on the panel's tab."""
    if is_htmx(request):
        return render(request, template, _context(request, **context), status=status)
    return render(request, "profile/edit.html", _context(request, **context), status=status)


@login_required
def edit(request: SignedInRequest) -> HttpResponse:
    if request.method != "POST":
        if is_htmx(request) and request.GET.get("tab") in TABS:
            return render(request, "profile/_tabs.html", _context(request))
        return render(request, "profile/edit.html", _context(request))
    form = _profile_form(request, request.POST)
    if not form.is_valid():
        return _panel(request, "profile/_details.html", {"form": form}, status=422)
    data = form.cleaned_data
    user = request.user
    email_sent_to = ""
    try:
        with transaction.atomic():
            has_contact = "emergency_contact_name" in data
            profile.update_profile(
                user,
                name=data["name"],
                phone=data["phone"],
                membership=_client_membership(request) or request.membership,
                emergency_contact_name=data["emergency_contact_name"] if has_contact else None,
                emergency_contact_phone=data["emergency_contact_phone"] if has_contact else None,
                birth_date=data["birth_date"] if has_contact else profile.KEEP,
            )
            if data["email"].strip().lower() != user.email.lower():
                profile.request_email_change(
                    user,
                    new_email=data["email"],
                    confirm_url=lambda token: request.build_absolute_uri(
                        reverse("profile:confirm_email", args=[token])
                    ),
                )
                email_sent_to = data["email"].strip().lower()
    except DomainError as error:
        user.refresh_from_db()
        field = error.data.get("field")
        form.add_error(field if field in form.fields else None, error.message)
        return _panel(request, "profile/_details.html", {"form": form}, status=422)
    notice = "Profile updated"
    if email_sent_to:
        notice += (
            f". We sent a confirmation link to {email_sent_to}: your email changes once you open it"
        )
    if not is_htmx(request):
        messages.success(request, notice)
        return redirect("profile:edit")
    return _panel(request, "profile/_details.html", {"saved": notice})


@require_POST
@login_required
def photo(request: SignedInRequest) -> HttpResponse:
    user = request.user
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:  # a malformed header: Django reads no body either
        length = 0
    if length > profile.MAX_PHOTO_BYTES + UPLOAD_SLACK_BYTES:
        return _photo_error(request, profile.PHOTO_TOO_LARGE)
    upload = request.FILES.get("photo")
    if upload is None:
        return _photo_error(request, "Choose a JPEG or PNG image.")
    try:
        profile.set_photo(user, upload=upload)
    except DomainError as error:
        user.refresh_from_db()
        return _photo_error(request, error.message)
    if not is_htmx(request):
        messages.success(request, "Photo updated")
        return redirect("profile:edit")
    return _panel(request, "profile/_photo.html", {"photo_saved": "Photo updated"})


def _photo_error(request: SignedInRequest, message: str) -> HttpResponse:
    return _panel(request, "profile/_photo.html", {"photo_error": message}, status=422)


@require_POST
@login_required
def photo_remove(request: SignedInRequest) -> HttpResponse:
    profile.remove_photo(request.user)
    if not is_htmx(request):
        messages.success(request, "Photo removed")
        return redirect("profile:edit")
    return _panel(request, "profile/_photo.html", {"photo_saved": "Photo removed"})


@login_required
def photo_file(request: SignedInRequest) -> FileResponse:
    """The signed-in user's own photo, from whichever storage holds it."""
    name = request.user.photo.name if request.user.photo else ""
    if not name:
        raise Http404("No photo")
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("No photo") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_POST
@login_required
def notifications(request: SignedInRequest) -> HttpResponse:
    form = _notification_form(request, request.POST)
    form.is_valid()  # booleans: always valid
    data = form.cleaned_data
    profile.update_notification_preferences(
        request.user,
        class_reminders=data["class_reminders"],
        booking_confirmations=data["booking_confirmations"],
        promotional_email=data["promotional_email"],
    )
    notice = "Notification preferences saved"
    if not is_htmx(request):
        messages.success(request, notice)
        return redirect(f"{reverse('profile:edit')}?tab=notifications")
    return _panel(
        request,
        "profile/_notifications.html",
        {"notification_form": _notification_form(request), "saved": notice},
    )


@require_POST
@login_required
def password(request: SignedInRequest) -> HttpResponse:
    form = PasswordForm(request.POST)
    if form.is_valid():
        try:
            profile.change_password(
                request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as error:
            field = error.data.get("field")
            form.add_error(field if field in form.fields else None, error.message)
        else:
            update_session_auth_hash(request, request.user)
            notice = "Password changed"
            if not is_htmx(request):
                messages.success(request, notice)
                return redirect(f"{reverse('profile:edit')}?tab=password")
            return _panel(request, "profile/_password.html", {"saved": notice})
    return _panel(request, "profile/_password.html", {"password_form": form}, status=422)


def confirm_email(request: AppRequest, token: str) -> HttpResponse:
    """The link from the confirmation email; works signed in (as that user) or not."""
    user = request.user if request.user.is_authenticated else None
    try:
        changed = profile.confirm_email_change(token, user=user)
    except DomainError as error:
        return render(request, "profile/confirm_email.html", {"error": error.message}, status=400)
    if user is not None:
        messages.success(request, f"Your email is now {changed.email}.")
        return redirect("profile:edit")
    return render(request, "profile/confirm_email.html", {"email": changed.email})
