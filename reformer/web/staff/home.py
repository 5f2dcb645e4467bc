"""The staff landing page: owners and managers get the getting-started checklist and
shortcuts; instructors land on their classes, front desk on today's check-in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from reformer.core.permissions import BOOK_FOR_CLIENT, MANAGE_STUDIO, has_capability
from reformer.web.auth import staff_required
from reformer.web.staff.common import actor_of
from reformer.web.staff.setup_queries import onboarding_steps


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not has_capability(actor, BOOK_FOR_CLIENT):  # instructors
        return redirect("staff:instructor_dashboard")
    if not has_capability(actor, MANAGE_STUDIO):  # front desk
        return redirect("staff:checkin")
    steps = onboarding_steps(actor)
    done = sum(step.done for step in steps)
    return render(
        request,
        "staff/home.html",
        {"steps": steps, "done": done, "all_done": done == len(steps)},
    )
