from django.apps import AppConfig


class FrontdoorConfig(AppConfig):
    """The newcomer's path (waivers, health form, intro offers, privates) and the staff
    pages that run it: appointments, instructor hours, the client card, setup."""

    name = "reformer.web.frontdoor"
    label = "web_frontdoor"
