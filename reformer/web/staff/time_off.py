"""Time off (PHX-17): a member of staff marks the days they cannot teach, or a manager does
it for them. Generation leaves them off classes on those days, and classes they were
already teaching then are flagged "needs an instructor" for the studio
(scheduling.actions.add_unavailability)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from reformer.core.errors import AccessError, DomainError
from reformer.scheduling.actions import add_unavailability, remove_unavailability
from reformer.scheduling.queries import time_off_of, time_off_period
from reformer.web.auth import staff_required
from reformer.web.staff.common import actor_of
from reformer.web.staff.forms import TimeOffForm


def _url(actor, instructor) -> str:
    url = reverse("staff:time_off")
    return url if instructor.pk == actor.pk else f"{url}?instructor={instructor.pk}"


@require_http_methods(["GET", "POST"])
@staff_required
def time_off(request: HttpRequest) -> HttpResponse:
    """?instructor=<id>: someone else's (managers of their studios, owners)."""
    actor = actor_of(request)
    instructor, periods = time_off_of(actor, request.GET.get("instructor"))
    form = TimeOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            away = add_unavailability(
                actor,
                instructor,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                reason=data["reason"],
            )
        except AccessError:
            raise
        except DomainError as error:
            field = error.data.get("field")
            form.add_error(field if field in form.fields else None, error.message)
        else:
            done = "Time off saved."
            if away.unassigned:
                count = len(away.unassigned)
                done += (
                    f" {count} class{'es' if count != 1 else ''} on those days now "
                    f"need{'s' if count == 1 else ''} another instructor; the studio is alerted."
                )
            messages.success(request, done)
            return redirect(_url(actor, instructor))
    context = {
        "instructor": instructor,
        "is_self": instructor.pk == actor.pk,
        "periods": periods,
        "form": form,
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "staff/time_off.html", context, status=status)


@require_POST
@staff_required
def time_off_remove(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    period = time_off_period(actor, pk)
    remove_unavailability(actor, period)
    messages.success(request, "Time off removed. Classes already reassigned keep their instructor.")
    return redirect(_url(actor, period.instructor))
