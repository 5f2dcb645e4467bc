"""Photos members of an organization see: its class types' and its staff's (instructors on
class pages and cards). Served from whichever storage holds them, to members only; the URL
carries the file name (`?v=`), which changes with every upload, so it is cached long."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from reformer.accounts.models import Membership
from reformer.core.permissions import is_staff
from reformer.scheduling.models import ClassType
from reformer.web.http import AppRequest


def _organization_id(request: AppRequest) -> int:
    if request.membership is None:  # signed in, but not a member here
        raise Http404("No photo")
    return request.membership.organization_id


@require_GET
@login_required
def class_type_photo(request: AppRequest, class_type_id: int) -> FileResponse:
    class_type = ClassType.objects.filter(
        pk=class_type_id, organization_id=_organization_id(request)
    ).first()
    return _serve(class_type.photo.name if class_type is not None and class_type.photo else "")


@require_GET
@login_required
def instructor_photo(request: AppRequest, membership_id: int) -> FileResponse:
    member = (
        Membership.objects.filter(pk=membership_id, organization_id=_organization_id(request))
        .select_related("user")
        .first()
    )
    if member is None or not is_staff(member):  # clients' photos are not shown to others
        raise Http404("No photo")
    return _serve(member.user.photo.name if member.user.photo else "")


def _serve(name: str) -> FileResponse:
    if not name:
        raise Http404("No photo")
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404("No photo") from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=31536000, immutable"
    return response
