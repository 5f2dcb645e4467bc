"""Template helpers for the shared components (templates/components/).

    {% load ui %}
    {% component "card" title="Your studios" %} ...body... {% endcomponent %}

renders components/card.html with the keyword arguments and `body` (the rendered inner
content) added to the current context. Components without a body are plain includes:
`{% include "components/button.html" with label="Save" variant="primary" %}`.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, Parser, Token
from django.utils.safestring import mark_safe

register = template.Library()


class ComponentNode(template.Node):
    def __init__(
        self, name: FilterExpression, kwargs: dict[str, FilterExpression], nodelist
    ) -> None:
        self.name = name
        self.kwargs = kwargs
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        name = self.name.resolve(context)
        values = {key: value.resolve(context) for key, value in self.kwargs.items()}
        body = mark_safe(self.nodelist.render(context))
        assert context.template is not None  # the tag renders inside a template
        component = context.template.engine.get_template(f"components/{name}.html")
        with context.push(**values, body=body):
            return component.render(context)


@register.tag("component")
def do_component(parser: Parser, token: Token) -> ComponentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError('Usage: {% component "name" key=value %}')
    name = parser.compile_filter(bits[1])
    kwargs = template.base.token_kwargs(bits[2:], parser)
    if len(kwargs) != len(bits) - 2:
        raise template.TemplateSyntaxError("component takes only key=value arguments")
    nodelist = parser.parse(("endcomponent",))
    parser.delete_first_token()
    return ComponentNode(name, kwargs, nodelist)


@register.filter
def role_badge(role: str) -> str:
    """The badge variant for a role (components/badge.html)."""
    return {"owner": "brand", "manager": "info", "client": "neutral"}.get(role, "success")
