"""The shared components render, accessibly, in every variant the templates document."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.template import Context, RequestContext, Template
from django.test import RequestFactory


def render(source, **context):
    return Template(source).render(Context(context))


class ExampleForm(forms.Form):
    name = forms.CharField(help_text="As clients know it.")
    agree = forms.BooleanField()


def test_it_renders_buttons_and_links():
    html = render('{% include "components/button.html" with label="Save" %}')
    assert html.strip() == '<button type="submit" class="btn btn--primary">Save</button>'
    html = render(
        '{% include "components/button.html" with label="Back" href="/x/" variant="ghost" %}'
    )
    assert html.strip() == '<a href="/x/" class="btn btn--ghost">Back</a>'


def test_it_renders_fields_with_labels_help_and_errors_linked():
    form = ExampleForm({"name": ""})
    form.is_valid()
    html = render('{% include "components/form_fields.html" with form=form %}', form=form)
    assert '<label for="id_name">' in html
    assert 'id="id_name_helptext"' in html
    assert 'id="id_name_error"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'class="field field--invalid field--check"' in html  # the checkbox


def test_it_renders_pagination_keeping_the_filters():
    request = RequestFactory().get("/list/", {"studio": "3", "page": "2"})
    page = Paginator(list(range(50)), 10).page(2)
    html = Template('{% include "components/pagination.html" with page_obj=page %}').render(
        RequestContext(request, {"page": page})
    )
    assert 'aria-label="Pages"' in html
    assert "Page 2 of 5" in html
    assert 'href="?studio=3&amp;page=1"' in html
    assert 'href="?studio=3&amp;page=3"' in html


def test_it_renders_nothing_for_a_single_page():
    request = RequestFactory().get("/list/")
    page = Paginator([1], 10).page(1)
    html = Template('{% include "components/pagination.html" with page_obj=page %}').render(
        RequestContext(request, {"page": page})
    )
    assert html.strip() == ""


def test_it_renders_empty_states_skeletons_badges_alerts_and_page_headers():
    html = render(
        '{% include "components/empty_state.html" with title="No classes" text="Add one." %}'
    )
    assert "No classes" in html and "Add one." in html
    assert (
        render('{% include "components/skeleton.html" with lines=4 %}').count("skeleton--text") == 4
    )
    assert 'aria-busy="true"' in render('{% include "components/skeleton.html" %}')
    assert "badge--warning" in render(
        '{% include "components/badge.html" with label="Full" variant="warning" %}'
    )
    assert 'role="alert"' in render(
        '{% include "components/alert.html" with message="No." level="error" %}'
    )
    assert render('{% include "components/alert.html" with message="" %}').strip() == ""
    html = render(
        '{% component "page_header" title="Team" %}<a href="#">Invite</a>{% endcomponent %}'
    )
    assert '<h1 class="page-header__title">Team</h1>' in html
    assert '<a href="#">Invite</a>' in html
