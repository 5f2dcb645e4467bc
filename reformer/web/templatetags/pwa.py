"""{% pwa_head %}: the manifest of the current organization (or Reformer's), the icons iOS
uses, the app version the service worker is registered with, and the app's scripts."""

from __future__ import annotations

from django import template
from django.urls import reverse

from reformer.web.pwa.version import app_version

register = template.Library()


@register.inclusion_tag("pwa/_head.html", takes_context=True)
def pwa_head(context) -> dict:
    organization = context.get("public_org") or context.get("organization")
    if organization is not None:
        manifest = reverse("pwa:manifest", args=[organization.slug])
        touch_icon = reverse("pwa:icon", args=[organization.slug, 180])
        name = organization.name
    else:
        manifest, touch_icon, name = reverse("pwa:default_manifest"), "", "Reformer"
    return {
        "manifest_url": manifest,
        "touch_icon_url": touch_icon,
        "app_name": name,
        "version": app_version(),
        "service_worker_url": reverse("pwa:service_worker"),
        "user_id": getattr(context.get("user"), "pk", None) or "",
    }
