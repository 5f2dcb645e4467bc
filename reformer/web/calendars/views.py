"""Calendar pages: subscribe to your own feed, a studio's public timetable, and the feeds
themselves (answered without a session: the token in the URL is the key).

A feed answers 404 with a short plain-text explanation (get a new link from the Calendar
page) for an unknown, revoked or expired token (nothing tells which), 304 to a poller whose
ETag still matches, and 429 past the rate limit.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import http_date
from django.views.decorators.http import require_GET, require_POST

from reformer.calendars import actions, feeds, queries
from reformer.calendars.models import CalendarFeed
from reformer.core.errors import NotFound
from reformer.core.permissions import REVOKE_CALENDAR_FEEDS, has_capability
from reformer.web.auth import capability_required, membership_required
from reformer.web.http import MemberRequest

POLLS_PER_HOUR = 60


def _base_url(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def subscribe_links(request: HttpRequest, path: str, name: str) -> dict[str, str]:
    """The same feed for each calendar app: webcal:// for Apple and desktop apps, Google's
    and Outlook's "add by URL" pages, and the plain https:// address to copy."""
    https_url = f"{_base_url(request)}{path}"
    webcal_url = "webcal://" + https_url.split("://", 1)[1]
    outlook_query = urlencode({"url": https_url, "name": name})
    return {
        "https": https_url,
        "webcal": webcal_url,
        "google": f"https://calendar.google.com/calendar/render?cid={quote(webcal_url, safe='')}",
        "outlook": f"https://outlook.live.com/calendar/0/addfromweb?{outlook_query}",
        "outlook365": f"https://outlook.office.com/calendar/0/addfromweb?{outlook_query}",
    }


def _feed_context(request: MemberRequest, feed: CalendarFeed | None) -> dict:
    context: dict = {"feed": feed, "reminder_choices": CalendarFeed.Reminders.choices}
    if feed is not None:
        path = reverse("calendars:feed", args=[feed.token])
        context["links"] = subscribe_links(
            request, path, f"{request.membership.organization.name} classes"
        )
    return context


@require_GET
@membership_required
def mine(request: MemberRequest) -> HttpResponse:
    feed = actions.live_feed(request.membership)
    context = _feed_context(request, feed)
    context["may_revoke_others"] = has_capability(request.membership, REVOKE_CALENDAR_FEEDS)
    context["notice"] = request.GET.get("done", "")
    return render(request, "calendars/mine.html", context)


@require_POST
@membership_required
def create(request: MemberRequest) -> HttpResponse:
    actions.create_feed(request.membership)
    return redirect(f"{reverse('calendars:mine')}?done=created")


@require_POST
@membership_required
def reset(request: MemberRequest) -> HttpResponse:
    actions.reset_feed(request.membership)
    return redirect(f"{reverse('calendars:mine')}?done=reset")


@require_POST
@membership_required
def turn_off(request: MemberRequest) -> HttpResponse:
    actions.revoke_own_feed(request.membership)
    return redirect(f"{reverse('calendars:mine')}?done=off")


@require_POST
@membership_required
def reminders(request: MemberRequest) -> HttpResponse:
    try:
        actions.set_reminders(request.membership, request.POST.get("reminders", ""))
    except actions.InvalidReminders as error:
        context = _feed_context(request, actions.live_feed(request.membership))
        context["reminder_error"] = error.message
        return render(request, "calendars/mine.html", context, status=422)
    return redirect(f"{reverse('calendars:mine')}?done=reminders")


def _over_limit(key: str) -> bool:
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) > POLLS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return False


def _not_found(text: str = "") -> HttpResponse:
    return HttpResponse(text.encode(), status=404, content_type="text/plain; charset=utf-8")


def _feed_gone(request: HttpRequest) -> HttpResponse:
    """An unknown, revoked or expired link (one answer for all: nothing tells which). A
    person who opens it, or a calendar app that shows the error, learns what to do."""
    page = f"{_base_url(request)}{reverse('calendars:mine')}"
    return _not_found(
        f"This calendar link is no longer valid. Get a new link from your Calendar page at "
        f"{page}.\n"
    )


def _calendar_response(
    request: HttpRequest, built: feeds.BuiltFeed, *, filename: str, private: bool
) -> HttpResponse:
    headers = {
        "ETag": built.etag,
        "Cache-Control": "private, max-age=300" if private else "public, max-age=900",
    }
    if built.last_modified is not None:
        headers["Last-Modified"] = http_date(built.last_modified.timestamp())
    response: HttpResponse
    if built.etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(built.body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    for name, value in headers.items():
        response[name] = value
    if private:
        response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    if _over_limit(f"calendar-feed:{token[:64]}"):
        response = HttpResponse(b"", status=429, content_type="text/plain")
        response["Retry-After"] = "3600"
        return response
    subscription = actions.open_feed(token)
    if subscription is None:
        return _feed_gone(request)
    built = feeds.person_feed(subscription, base_url=_base_url(request))
    return _calendar_response(request, built, filename="reformer.ics", private=True)


@require_GET
def studio_schedule(request: HttpRequest, studio_id: int) -> HttpResponse:
    try:
        studio = queries.public_studio(studio_id)
    except NotFound:
        return _not_found()
    built = feeds.studio_feed(studio, base_url=_base_url(request))
    return _calendar_response(request, built, filename=f"studio-{studio.pk}.ics", private=False)


@require_GET
def studio_page(request: HttpRequest, studio_id: int) -> HttpResponse:
    studio = queries.public_studio(studio_id)
    path = reverse("calendars:studio_feed", args=[studio.pk])
    links = subscribe_links(request, path, f"{studio.name} classes")
    return render(request, "calendars/studio.html", {"studio": studio, "links": links})


@require_GET
@capability_required(REVOKE_CALENDAR_FEEDS)
def subscriptions(request: MemberRequest) -> HttpResponse:
    feeds_list = list(queries.live_feeds(request.membership)[:200])
    return render(
        request,
        "calendars/subscriptions.html",
        {"feeds": feeds_list, "notice": request.GET.get("done", "")},
    )


@require_POST
@capability_required(REVOKE_CALENDAR_FEEDS)
def revoke(request: MemberRequest, feed_id: int) -> HttpResponse:
    actions.revoke_member_feed(request.membership, feed_id)
    return redirect(f"{reverse('calendars:subscriptions')}?done=revoked")
